//! Web sign-in sessions, stored in the database so that several nodes share them.
//! Only a hash of the session token is stored; the token itself lives in the browser cookie.

use chrono::{DateTime, Utc};

use crate::sid::UserSid;

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie token, hex.
    pub token_hash: String,
    pub user_sid: UserSid,
    /// The synchronizer token every form of this session must echo.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub stage: SessionStage,
}

/// How far a sign-in has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password and (if enrolled) second factor checked.
    Full,
    /// Password checked; the second factor is still owed. Such a session can only finish it.
    SecondFactor,
}

impl SessionStage {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Full => "full",
            SessionStage::SecondFactor => "second_factor",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(SessionStage::Full),
            "second_factor" => Some(SessionStage::SecondFactor),
            _ => None,
        }
    }
}
