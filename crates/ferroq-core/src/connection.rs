//! Where Redis is: a `redis://` / `rediss://` URL or `{host, port, username, password,
//! db, tls}`, normalised to one URL plus TLS settings, and the client settings that keep
//! every call bounded.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

/// How long one connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a non-blocking command may take, unless `commandTimeout` says otherwise.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConnectionSpec {
    url: String,
    tls: TlsSettings,
    /// How long a command may go unanswered (ioredis' `commandTimeout`).
    command_timeout: Duration,
}

/// TLS settings beyond the `rediss://` scheme, as ioredis takes them in `tls`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TlsSettings {
    /// PEM certificate(s) of the authority to trust instead of the system's.
    pub ca: Option<String>,
    /// PEM client certificate and key, for servers that ask for one (mutual TLS).
    pub cert: Option<String>,
    pub key: Option<String>,
    /// `rejectUnauthorized: false`: accept any server certificate.
    pub insecure: bool,
}

impl TlsSettings {
    /// Reads ioredis' `tls` option: `true`, or `{ca, cert, key, rejectUnauthorized}`.
    fn from_json(value: Option<&Value>) -> Result<Option<Self>> {
        let map = match value {
            None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(None),
            Some(Value::Bool(true)) => return Ok(Some(Self::default())),
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(Error::invalid(
                    "connection.tls",
                    "must be true or {ca, cert, key, rejectUnauthorized}",
                ))
            }
        };
        let pem = |key: &str| match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::invalid(
                format!("connection.tls.{key}"),
                "must be a PEM string",
            )),
        };
        let insecure = match map.get("rejectUnauthorized") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(reject)) => !reject,
            Some(_) => {
                return Err(Error::invalid(
                    "connection.tls.rejectUnauthorized",
                    "must be a boolean",
                ))
            }
        };
        let settings = Self {
            ca: pem("ca")?,
            cert: pem("cert")?,
            key: pem("key")?,
            insecure,
        };
        if settings.cert.is_some() != settings.key.is_some() {
            return Err(Error::invalid(
                "connection.tls",
                "`cert` and `key` go together (a client certificate needs its key)",
            ));
        }
        Ok(Some(settings))
    }
}

/// Percent-encodes a URL user-info part.
fn encode(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A non-negative integer, also as text: ioredis takes `port: process.env.REDIS_PORT`.
fn whole_number(value: &Value) -> Option<u64> {
    match value {
        Value::String(text) => text.trim().parse().ok(),
        other => other.as_u64(),
    }
}

fn string_field<'a>(value: &'a Value, key: &str) -> Result<Option<&'a str>> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::invalid(
            format!("connection.{key}"),
            "must be a string",
        )),
    }
}

impl ConnectionSpec {
    pub fn from_url(url: &str) -> Result<Self> {
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(Error::invalid(
                "connection",
                format!("must be a redis:// or rediss:// URL, got {url:?}"),
            ));
        }
        Ok(Self {
            url: url.to_string(),
            tls: TlsSettings::default(),
            command_timeout: COMMAND_TIMEOUT,
        })
    }

    /// How long a command may go unanswered before its call fails.
    pub fn command_timeout(&self) -> Duration {
        self.command_timeout
    }

    /// Reads ioredis' `commandTimeout` (ms) when the object gives one.
    fn with_command_timeout(mut self, value: &Value) -> Result<Self> {
        match value.get("commandTimeout") {
            None | Some(Value::Null) => {}
            Some(v) => {
                let ms = whole_number(v).filter(|&ms| ms > 0).ok_or_else(|| {
                    Error::invalid("connection.commandTimeout", "must be an integer ≥ 1 (ms)")
                })?;
                self.command_timeout = Duration::from_millis(ms);
            }
        }
        Ok(self)
    }

    /// The URL with TLS turned on when `tls` asks for it.
    fn with_tls(mut self, tls: Option<TlsSettings>) -> Self {
        if let Some(tls) = tls {
            if let Some(rest) = self.url.strip_prefix("redis://") {
                self.url = format!("rediss://{rest}");
            }
            self.tls = tls;
        }
        self
    }

    /// Accepts a URL string or `{host, port, username, password, db, tls,
    /// commandTimeout}`; other fields (ioredis settings such as `maxRetriesPerRequest`) are ignored.
    pub fn from_json(value: &Value) -> Result<Self> {
        match value {
            Value::String(url) => Self::from_url(url),
            Value::Object(_) => {
                let tls = TlsSettings::from_json(value.get("tls"))?;
                if let Some(url) = string_field(value, "url")? {
                    return Self::from_url(url)?
                        .with_tls(tls)
                        .with_command_timeout(value);
                }
                let host = string_field(value, "host")?.unwrap_or("127.0.0.1");
                let port = match value.get("port") {
                    None | Some(Value::Null) => 6379,
                    Some(v) => whole_number(v)
                        .filter(|p| (1..=65535).contains(p))
                        .ok_or_else(|| {
                            Error::invalid("connection.port", "must be an integer from 1 to 65535")
                        })?,
                };
                let db = match value.get("db") {
                    None | Some(Value::Null) => 0,
                    Some(v) => whole_number(v)
                        .ok_or_else(|| Error::invalid("connection.db", "must be an integer ≥ 0"))?,
                };
                let user = string_field(value, "username")?;
                let password = string_field(value, "password")?;
                let auth = match (user, password) {
                    (Some(u), Some(p)) => format!("{}:{}@", encode(u), encode(p)),
                    (None, Some(p)) => format!(":{}@", encode(p)),
                    (Some(u), None) => format!("{}@", encode(u)),
                    (None, None) => String::new(),
                };
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.to_string()
                };
                Self::from_url(&format!("redis://{auth}{host}:{port}/{db}"))?
                    .with_tls(tls)
                    .with_command_timeout(value)
            }
            _ => Err(Error::invalid(
                "connection",
                "must be a redis:// URL or {host, port, username, password, db, tls}",
            )),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// TLS settings beyond the scheme.
    pub fn tls(&self) -> &TlsSettings {
        &self.tls
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_form_becomes_a_url() {
        let spec = ConnectionSpec::from_json(&json!({
            "host": "localhost", "port": 6390, "username": "app", "password": "p@ss", "db": 2,
            "maxRetriesPerRequest": null
        }))
        .unwrap();
        assert_eq!(spec.url(), "redis://app:p%40ss@localhost:6390/2");
        assert!(ConnectionSpec::from_json(&json!("http://x")).is_err());
        assert!(ConnectionSpec::from_json(&json!({"port": 0})).is_err());
        let from_env = ConnectionSpec::from_json(&json!({"port": "6391", "db": "3"})).unwrap();
        assert_eq!(from_env.url(), "redis://127.0.0.1:6391/3");
        assert!(ConnectionSpec::from_json(&json!({"port": "63x"})).is_err());
    }

    #[test]
    fn tls_turns_the_scheme_and_carries_its_settings() {
        let spec = ConnectionSpec::from_json(&json!({
            "host": "h", "port": 6380, "tls": {"ca": "PEM", "rejectUnauthorized": false}
        }))
        .unwrap();
        assert_eq!(spec.url(), "rediss://h:6380/0");
        assert_eq!(spec.tls.ca.as_deref(), Some("PEM"));
        assert!(spec.tls.insecure);
        let by_url =
            ConnectionSpec::from_json(&json!({"url": "redis://h:1", "tls": true})).unwrap();
        assert_eq!(by_url.url(), "rediss://h:1");
        let err = ConnectionSpec::from_json(&json!({"url": "rediss://h", "tls": {"cert": "x"}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("connection.tls"), "{err}");
        assert!(ConnectionSpec::from_json(&json!({"tls": "yes"})).is_err());
    }
}
