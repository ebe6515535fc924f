//! The operator's service banner: one notice shown at the top of every console page until
//! withdrawn (like Twilio's "A2P 10DLC Campaign Vetting Delays").

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;

/// The longest banner, in characters.
pub const MAX_BANNER_CHARS: usize = 500;

/// The banner being shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceBanner {
    pub message: String,
    /// Who posted it, as the audit log names actors.
    pub posted_by: String,
    pub posted_at: DateTime<Utc>,
}

/// Checks a banner's text: one line, 1 to 500 characters, no control characters.
pub fn parse_banner_message(raw: &str) -> Result<String, Error> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Error::invalid("message", "write the notice to show"));
    }
    if text.chars().count() > MAX_BANNER_CHARS {
        return Err(Error::invalid("message", format!("at most {MAX_BANNER_CHARS} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::invalid("message", "one line, without control characters"));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_banner_is_one_line_of_at_most_500_characters() {
        assert_eq!(parse_banner_message("  Delays in campaign vetting  ").unwrap(), "Delays in campaign vetting");
        for bad in ["", "   ", "two\nlines", &"x".repeat(501)] {
            assert!(parse_banner_message(bad).is_err(), "{bad:?}");
        }
        assert!(parse_banner_message(&"é".repeat(500)).is_ok(), "characters, not bytes");
    }
}
