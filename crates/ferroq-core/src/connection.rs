//! Where Redis is: a `redis://` URL or `{host, port, username, password, db, tls}`,
//! normalised to one URL, and the client settings that keep every call bounded.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

/// How long one connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a non-blocking command may take before the call fails with `ERR_CONNECTION`.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionSpec {
    url: String,
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
        })
    }

    /// Accepts a URL string or `{host, port, username, password, db, tls}`; other
    /// fields (ioredis settings such as `maxRetriesPerRequest`) are ignored.
    pub fn from_json(value: &Value) -> Result<Self> {
        match value {
            Value::String(url) => Self::from_url(url),
            Value::Object(_) => {
                if let Some(url) = string_field(value, "url")? {
                    return Self::from_url(url);
                }
                let host = string_field(value, "host")?.unwrap_or("127.0.0.1");
                let port = match value.get("port") {
                    None | Some(Value::Null) => 6379,
                    Some(v) => v
                        .as_u64()
                        .filter(|p| (1..=65535).contains(p))
                        .ok_or_else(|| {
                            Error::invalid("connection.port", "must be an integer from 1 to 65535")
                        })?,
                };
                let db = match value.get("db") {
                    None | Some(Value::Null) => 0,
                    Some(v) => v
                        .as_u64()
                        .ok_or_else(|| Error::invalid("connection.db", "must be an integer ≥ 0"))?,
                };
                let tls = !matches!(
                    value.get("tls"),
                    None | Some(Value::Null) | Some(Value::Bool(false))
                );
                let scheme = if tls { "rediss" } else { "redis" };
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
                Ok(Self {
                    url: format!("{scheme}://{auth}{host}:{port}/{db}"),
                })
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

    pub(crate) fn client(&self) -> Result<redis::Client> {
        redis::Client::open(self.url.as_str()).map_err(|e| {
            if self.url.starts_with("rediss://") {
                Error::invalid(
                    "connection",
                    format!("TLS (rediss://) is not available in this build: {e}"),
                )
            } else {
                Error::invalid("connection", format!("is not a usable Redis address: {e}"))
            }
        })
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
    }
}
