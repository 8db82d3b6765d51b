//! Connections to Redis, owned per process: every queue and worker that uses the same
//! address shares one multiplexed connection (a `Link`), so re-creating a `Queue` (a
//! Next.js dev server reloading a route) costs no new Redis client. Each user holds a
//! `Lease`; when the last one is released the connection is closed, and `close`
//! waits until Redis has let go of it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, Value};
use tokio::sync::{mpsc, OnceCell};

use crate::connection::{ConnectionSpec, CONNECT_TIMEOUT};
use crate::error::{Error, Result};

/// How long closing waits for Redis to acknowledge `QUIT`.
const QUIT_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection to Redis that connects on first use and again after it broke, and
/// that never connects again once closed. Calls get the connection in two steps, so
/// they can tell "could not connect: nothing was sent" from "sent, then it broke".
pub(crate) struct Link {
    client: redis::Client,
    /// Set with `CLIENT SETNAME` on each new connection (a worker's, for `getWorkers`).
    client_name: Option<String>,
    /// How long a command may go unanswered.
    command_timeout: Duration,
    /// The live connection and its generation; `None` until connected, after it
    /// broke, and once closed.
    current: Mutex<(u64, Option<MultiplexedConnection>)>,
    /// One connection attempt at a time.
    connecting: tokio::sync::Mutex<()>,
    closed: AtomicBool,
    /// Redis' `proto-max-bulk-len`, read once when a large value is first sent
    /// (`None`: not readable, e.g. `CONFIG` is not allowed for this user).
    bulk_limit: OnceCell<Option<u64>>,
    /// Pub/sub channels this link listens on (RESP3: on the same connection as its
    /// calls), and who hears each one's messages. Subscribed again on every new
    /// connection.
    listeners: Mutex<HashMap<String, Vec<Listener>>>,
    next_listener: std::sync::atomic::AtomicU64,
}

impl Link {
    pub(crate) fn new(client: redis::Client, command_timeout: Duration) -> Arc<Self> {
        Self::named(client, command_timeout, None)
    }

    fn named(
        client: redis::Client,
        command_timeout: Duration,
        client_name: Option<String>,
    ) -> Arc<Self> {
        Arc::new(Self {
            client,
            client_name,
            command_timeout,
            current: Mutex::new((0, None)),
            connecting: tokio::sync::Mutex::new(()),
            closed: AtomicBool::new(false),
            bulk_limit: OnceCell::new(),
            listeners: Mutex::new(HashMap::new()),
            next_listener: std::sync::atomic::AtomicU64::new(1),
        })
    }

    fn live(&self) -> Option<Conn> {
        let current = self.current.lock().ok()?;
        let (generation, conn) = (current.0, current.1.clone()?);
        Some(Conn { generation, conn })
    }

    /// The connection, connecting first when there is none. An error here means no
    /// command was sent.
    pub(crate) async fn conn(self: &Arc<Self>) -> Result<Conn> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed("connection"));
        }
        if let Some(conn) = self.live() {
            return Ok(conn);
        }
        let _one_at_a_time = self.connecting.lock().await;
        if let Some(conn) = self.live() {
            return Ok(conn);
        }
        let generation = self.current.lock().map(|c| c.0 + 1).unwrap_or(1);
        // RESP3 tells the connection's own task when Redis closes the socket (a
        // restart): the link forgets it at once, and the next call connects anew
        // instead of failing with the dead connection's error. Calls are bounded by
        // the store (`bounded`), not by redis-rs' own response timeout (500 ms unless
        // set), which would end every blocking wait early.
        let this: Weak<Self> = Arc::downgrade(self);
        let on_push = move |info: PushInfo| -> std::result::Result<(), ()> {
            if let Some(link) = this.upgrade() {
                match info.kind {
                    PushKind::Disconnection => link.forget(generation),
                    PushKind::Message => link.hear(info.data),
                    _ => {}
                }
            }
            Ok(())
        };
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(None)
            .set_push_sender(on_push);
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(super::errors::not_connected)?;
        if let Some(name) = &self.client_name {
            // Only for listing workers: a server that refuses it (ACL) still serves.
            let setname = redis::cmd("CLIENT").arg("SETNAME").arg(name).to_owned();
            let _ = tokio::time::timeout(
                self.command_timeout,
                setname.query_async::<redis::Value>(&mut conn.clone()),
            )
            .await;
        }
        if let Ok(mut current) = self.current.lock() {
            *current = (generation, Some(conn.clone()));
        }
        // After the connection is current: a `listen` from now on subscribes by itself,
        // one from before is in `channels` (a channel subscribed twice is harmless). A
        // failure leaves requests unheard until the next connection; what listens has
        // a slower way to learn of them (lock renewal, for cancels).
        let channels = self.channels();
        if !channels.is_empty() {
            let mut conn = conn.clone();
            let _ = tokio::time::timeout(self.command_timeout, conn.subscribe(&channels)).await;
        }
        if self.closed.load(Ordering::Acquire) {
            // Closed while connecting: do not keep what nobody will close.
            self.forget(generation);
            return Err(Error::Closed("connection"));
        }
        Ok(Conn { generation, conn })
    }

    /// Messages published on `channel` from now on, while the link is connected, and
    /// the listener's id for `stop_listening`.
    pub(crate) fn listen(
        self: &Arc<Self>,
        channel: &str,
    ) -> (u64, mpsc::UnboundedReceiver<Vec<u8>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.next_listener.fetch_add(1, Ordering::Relaxed);
        let first = match self.listeners.lock() {
            Ok(mut listeners) => {
                let senders = listeners.entry(channel.to_string()).or_default();
                senders.push((id, tx));
                senders.len() == 1
            }
            Err(_) => false,
        };
        // Not connected yet: the connection subscribes when it is made.
        if let (true, Some(mut live)) = (first, self.live()) {
            let (channel, timeout) = (channel.to_string(), self.command_timeout);
            tokio::spawn(async move {
                let _ = tokio::time::timeout(timeout, live.conn.subscribe(&channel)).await;
            });
        }
        (id, rx)
    }

    /// Ends listener `id` of `channel` (its receiver sees the end); the last one gone
    /// unsubscribes.
    pub(crate) async fn stop_listening(&self, channel: &str, id: u64) {
        let none_left = match self.listeners.lock() {
            Ok(mut listeners) => match listeners.get_mut(channel) {
                Some(senders) => {
                    senders.retain(|(listener, _)| *listener != id);
                    let empty = senders.is_empty();
                    if empty {
                        listeners.remove(channel);
                    }
                    empty
                }
                None => false,
            },
            Err(_) => false,
        };
        if let (true, Some(mut live)) = (none_left, self.live()) {
            let _ =
                tokio::time::timeout(self.command_timeout, live.conn.unsubscribe(channel)).await;
        }
    }

    fn channels(&self) -> Vec<String> {
        self.listeners
            .lock()
            .map(|listeners| listeners.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A published message (`[channel, payload]`): handed to the channel's listeners.
    fn hear(&self, data: Vec<Value>) {
        let mut data = data.into_iter();
        let (Some(Value::BulkString(channel)), Some(Value::BulkString(payload))) =
            (data.next(), data.next())
        else {
            return;
        };
        let Ok(channel) = String::from_utf8(channel) else {
            return;
        };
        if let Ok(listeners) = self.listeners.lock() {
            for (_, tx) in listeners.get(&channel).into_iter().flatten() {
                let _ = tx.send(payload.clone());
            }
        }
    }

    /// Drops connection `generation` (it broke, or stopped answering); the next call
    /// connects anew. Calls still waiting on it keep their own handle to it.
    pub(crate) fn forget(&self, generation: u64) {
        if let Ok(mut current) = self.current.lock() {
            if current.0 == generation {
                current.1 = None;
            }
        }
    }

    /// After a call on connection `generation` failed with `err`: drops that
    /// connection when the error says it is unusable.
    pub(crate) fn failed(&self, generation: u64, err: &redis::RedisError) {
        if err.is_unrecoverable_error() || err.is_io_error() || err.is_timeout() {
            self.forget(generation);
        }
    }

    /// Closes the connection for good: sends `QUIT` and waits for its answer (once it
    /// came, Redis has let go of the client, so a `CLIENT LIST` sent afterwards no
    /// longer shows it). A link never used has nothing to close.
    pub(crate) async fn close(&self) {
        if let Some(mut conn) = self.shut() {
            let _ = tokio::time::timeout(
                QUIT_TIMEOUT,
                redis::cmd("QUIT").query_async::<redis::Value>(&mut conn),
            )
            .await;
        }
    }

    /// Marks the link closed (it never connects again) and takes its connection.
    fn shut(&self) -> Option<MultiplexedConnection> {
        self.closed.store(true, Ordering::Release);
        self.current
            .lock()
            .ok()
            .and_then(|mut current| current.1.take())
    }

    /// A new, unshared link to the same address (for a blocking wait), its
    /// connections named `client_name` when given.
    pub(crate) fn sibling(&self, client_name: Option<String>) -> Arc<Self> {
        Link::named(self.client.clone(), self.command_timeout, client_name)
    }

    pub(crate) fn command_timeout(&self) -> Duration {
        self.command_timeout
    }

    /// The largest single value Redis accepts, when it says. Its answer (or its
    /// refusal to say) is kept; a failure to ask is not, so the next large value
    /// asks again.
    pub(crate) async fn bulk_limit(self: &Arc<Self>) -> Option<u64> {
        let asked = self
            .bulk_limit
            .get_or_try_init(|| async {
                let mut conn = self.conn().await.map_err(drop)?;
                let cmd = redis::cmd("CONFIG")
                    .arg("GET")
                    .arg("proto-max-bulk-len")
                    .to_owned();
                let reply = tokio::time::timeout(
                    self.command_timeout,
                    cmd.query_async::<HashMap<String, u64>>(&mut conn.conn),
                )
                .await;
                match reply {
                    Ok(Ok(config)) => Ok(config.get("proto-max-bulk-len").copied()),
                    // Refused (no CONFIG for this user, a server without it): ask no more.
                    Ok(Err(err)) if !err.is_io_error() && !err.is_unrecoverable_error() => Ok(None),
                    _ => Err(()),
                }
            })
            .await;
        asked.ok().copied().flatten()
    }
}

/// One listener of a pub/sub channel: its id and where its messages go.
type Listener = (u64, mpsc::UnboundedSender<Vec<u8>>);

/// A connection handed to one call, with the generation it belongs to (so that a
/// failure drops this connection and never a newer one).
pub(crate) struct Conn {
    pub generation: u64,
    pub conn: MultiplexedConnection,
}

/// The redis-rs client for this address. It speaks RESP3, so that a connection
/// learns at once when Redis closes it (a restart) and reconnects before the next
/// call, instead of failing that call with the old connection's error.
pub(crate) fn client(spec: &ConnectionSpec) -> Result<redis::Client> {
    use redis::IntoConnectionInfo;
    let bad = |e: redis::RedisError| {
        Error::invalid("connection", format!("is not a usable Redis address: {e}"))
    };
    let url = if spec.tls().insecure && !spec.url().contains('#') {
        format!("{}#insecure", spec.url())
    } else {
        spec.url().to_string()
    };
    let info = url.as_str().into_connection_info().map_err(bad)?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(redis::ProtocolVersion::RESP3);
    let info = info.set_redis_settings(settings);
    if !spec.url().starts_with("rediss://") {
        return redis::Client::open(info).map_err(bad);
    }
    // rustls needs one process-wide crypto provider; a second install is refused,
    // which is fine: one is in place.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client_tls = match (&spec.tls().cert, &spec.tls().key) {
        (Some(cert), Some(key)) => Some(redis::ClientTlsConfig {
            client_cert: cert.clone().into_bytes(),
            client_key: key.clone().into_bytes(),
        }),
        _ => None,
    };
    if client_tls.is_none() && spec.tls().ca.is_none() {
        return redis::Client::open(info).map_err(bad);
    }
    let certs = redis::TlsCertificates {
        client_tls,
        root_cert: spec.tls().ca.clone().map(String::into_bytes),
    };
    redis::Client::build_with_tls(info, certs).map_err(bad)
}

struct Entry {
    link: Arc<Link>,
    users: usize,
}

static LINKS: LazyLock<Mutex<HashMap<ConnectionSpec, Entry>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// One user's share of a link. Dropping it releases the share; `release` does too, and
/// closes the connection when it was the last share.
pub(crate) struct Lease {
    spec: ConnectionSpec,
    link: Arc<Link>,
    released: bool,
}

impl Lease {
    /// A share of the link to `spec`'s address, made on first use; nothing connects
    /// until the first call.
    pub(crate) fn acquire(spec: &ConnectionSpec) -> Result<Self> {
        let mut links = LINKS
            .lock()
            .map_err(|_| Error::Corrupt("connection registry poisoned".into()))?;
        if let Some(entry) = links.get_mut(spec) {
            entry.users += 1;
            return Ok(Self {
                spec: spec.clone(),
                link: entry.link.clone(),
                released: false,
            });
        }
        let link = Link::new(client(spec)?, spec.command_timeout());
        links.insert(
            spec.clone(),
            Entry {
                link: link.clone(),
                users: 1,
            },
        );
        Ok(Self {
            spec: spec.clone(),
            link,
            released: false,
        })
    }

    pub(crate) fn link(&self) -> &Arc<Link> {
        &self.link
    }

    /// Gives the share back; returns the link when this was the last share.
    fn give_back(&mut self) -> Option<Arc<Link>> {
        if std::mem::replace(&mut self.released, true) {
            return None;
        }
        let mut links = LINKS.lock().ok()?;
        let entry = links.get_mut(&self.spec)?;
        entry.users -= 1;
        if entry.users > 0 {
            return None;
        }
        links.remove(&self.spec).map(|entry| entry.link)
    }

    /// Releases the share; the last one closes the connection and returns once Redis
    /// has let go of it.
    pub(crate) async fn release(mut self) {
        if let Some(link) = self.give_back() {
            link.close().await;
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Dropped without `release` (a queue garbage-collected unclosed): the last
        // share closes the link, without waiting for Redis.
        if let Some(link) = self.give_back() {
            link.shut();
        }
    }
}
