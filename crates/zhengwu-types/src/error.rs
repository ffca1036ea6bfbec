//! The error codes users and API clients may see. Rich server errors map onto these at the
//! boundary; nothing internal (SQL, paths, stack) ever travels with them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed or a value is out of range.
    BadRequest,
    /// No such resource (or not visible to this caller).
    NotFound,
    /// Not signed in (or the session ended).
    Unauthorized,
    /// Signed in, but not allowed to do this.
    Forbidden,
    /// The server could not complete the request; details are in the log under the request id.
    Internal,
    /// The database or another dependency is unavailable right now.
    Unavailable,
    /// A limit on how often something may be done was reached; try again later.
    TooMany,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
            ErrorCode::TooMany => 429,
        }
    }

    /// Short English title, as RFC 9457 `title`.
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::NotFound => "Not found",
            ErrorCode::Unauthorized => "Unauthorized",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::Internal => "Internal server error",
            ErrorCode::Unavailable => "Service unavailable",
            ErrorCode::TooMany => "Too many requests",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::NotFound => "not-found",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::TooMany => "too-many-requests",
        }
    }
}

/// How a domain error reaches whoever asked. Each domain error implements it once, next to its
/// definition — the one table from its variants to the shared [`ErrorCode`] — and the web layer
/// turns any `Failure` into a server function's error, a form's message or a problem detail in
/// one place each, so no handler matches a variant to pick a status or a message.
pub trait Failure: std::fmt::Display {
    /// The shared code: the HTTP status, the API's `code`.
    fn code(&self) -> ErrorCode;

    /// The form field the message is about; `None` for the form (or request) as a whole.
    fn field(&self) -> Option<&'static str> {
        None
    }

    /// A fault of ours (database, audit chain, a dependency), not of the request: logged where
    /// it becomes a response, and the caller told only the code's title — never the message.
    fn is_fault(&self) -> bool {
        self.code() == ErrorCode::Internal
    }
}
