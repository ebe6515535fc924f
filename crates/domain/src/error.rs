//! The fixed set of error kinds every surface renders with an exhaustive match.
//! Must not carry transport details (HTTP status codes live in the http crate).

use std::fmt;

/// Every failure in Gatehouse is one of these kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The thing does not exist, or exists in a tenant the caller cannot see (never leaks which).
    NotFound,
    /// The caller can see the target but lacks the permission for this action.
    Forbidden,
    /// The caller can see the target but lacks this permission (what `policy::decide` refuses
    /// with, so that every surface can say why: its *Why?*).
    MissingPermission(crate::permission::Permission),
    /// One input field is wrong; `reason` is a sentence for the person who typed it.
    Invalid { field: &'static str, reason: String },
    /// The change collides with existing state (duplicate email, already a member).
    Conflict(String),
    /// The state does not allow this change now (remove the Owner, suspended account).
    Precondition(String),
    /// No valid credentials were presented.
    Unauthenticated,
    /// A bug or an infrastructure failure; the message is logged, never shown.
    Internal(String),
}

/// Result with the domain error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether it refuses a caller who can see the target: `Forbidden`, or `MissingPermission`
    /// (the same refusal, saying which permission).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Error::Forbidden | Error::MissingPermission(_))
    }

    /// Shorthand for an `Invalid` error.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid { field, reason: reason.into() }
    }

    /// Shorthand for an `Internal` error from anything displayable.
    pub fn internal(e: impl fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound => f.write_str("not found"),
            Error::Forbidden => f.write_str("you do not have permission to do this"),
            Error::MissingPermission(p) => {
                write!(f, "you do not hold the permission {} ({})", p.name(), p.description())
            }
            Error::Invalid { field, reason } => write!(f, "{field}: {reason}"),
            Error::Conflict(m) | Error::Precondition(m) => f.write_str(m),
            Error::Unauthenticated => f.write_str("authentication required"),
            Error::Internal(_) => f.write_str("internal error"),
        }
    }
}

impl std::error::Error for Error {}
