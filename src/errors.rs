//! Engine errors crossing into JavaScript as data: their stable `code` and message,
//! which lib/errors.js turns into the matching `Error` subclass, in one place.
//! An async call resolves to the error (a rejection could carry only a message); a
//! sync call throws a JavaScript error whose `code` is the engine's.

use napi::bindgen_prelude::Either;
use napi::{Env, Status};
use napi_derive::napi;

/// An engine error, as an async call resolves to it.
#[napi]
pub struct EngineError {
    code: String,
    message: String,
}

#[napi]
impl EngineError {
    /// The stable code (`ERR_…`).
    #[napi(getter)]
    pub fn code(&self) -> String {
        self.code.clone()
    }

    /// What went wrong, naming the field and the rule where there is one.
    #[napi(getter)]
    pub fn message(&self) -> String {
        self.message.clone()
    }
}

impl From<ferroq_core::Error> for EngineError {
    fn from(err: ferroq_core::Error) -> Self {
        EngineError {
            code: err.code().to_string(),
            message: err.to_string(),
        }
    }
}

/// What an async call resolves to: its value, or the engine's error.
pub type Answer<T> = Either<T, EngineError>;

/// Turns an engine result into an async call's answer.
pub fn answer<T>(result: ferroq_core::Result<T>) -> napi::Result<Answer<T>> {
    Ok(match result {
        Ok(value) => Either::A(value),
        Err(err) => Either::B(err.into()),
    })
}

/// Throws `err` as a JavaScript error carrying its code (sync calls).
pub fn throw(env: &Env, err: ferroq_core::Error) -> napi::Error {
    match env.throw_error(&err.to_string(), Some(err.code())) {
        Ok(()) => napi::Error::from_status(Status::PendingException),
        Err(_) => napi::Error::new(Status::GenericFailure, err.to_string()),
    }
}

/// Reads JSON the JS layer wrote; text that is not JSON names its field.
pub fn parse_json(field: &str, text: &str) -> ferroq_core::Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| ferroq_core::Error::NotSerializable {
        field: field.into(),
        reason: e.to_string(),
    })
}

/// `{code, message}` of an error inside a JSON answer (one job of a batch).
#[derive(serde::Serialize)]
pub struct ErrorData {
    code: &'static str,
    message: String,
}

impl From<&ferroq_core::Error> for ErrorData {
    fn from(err: &ferroq_core::Error) -> Self {
        ErrorData {
            code: err.code(),
            message: err.to_string(),
        }
    }
}
