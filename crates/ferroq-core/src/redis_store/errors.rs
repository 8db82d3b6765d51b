//! Redis' errors, read into the engine's error kinds: the one place that knows
//! which Redis failures mean "unreachable", "refused the credentials" or "answered
//! with an error".

use crate::error::Error;

/// An error from connecting: nothing was sent.
pub(crate) fn not_connected(err: redis::RedisError) -> Error {
    match Error::from(err) {
        Error::Redis(detail) => Error::Connection(detail),
        other => other,
    }
}

/// Redis' answers to a connection without (valid) credentials.
fn is_auth_failure(err: &redis::RedisError) -> bool {
    if err.kind() == redis::ErrorKind::AuthenticationFailed {
        return true;
    }
    let text = err.to_string();
    [
        "NOAUTH",
        "WRONGPASS",
        "invalid password",
        "invalid username-password",
    ]
    .iter()
    .any(|marker| text.contains(marker))
}

impl From<redis::RedisError> for Error {
    fn from(err: redis::RedisError) -> Self {
        if is_auth_failure(&err) {
            return Error::Auth(err.to_string());
        }
        if err.is_io_error()
            || err.is_connection_refusal()
            || err.is_connection_dropped()
            || err.is_timeout()
            || err.is_unrecoverable_error()
        {
            Error::Connection(err.to_string())
        } else {
            Error::Redis(err.to_string())
        }
    }
}
