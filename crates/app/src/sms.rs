//! The boundary for sending SMS codes. `LogSms` (the default) writes the message to the log;
//! the binary wires a Twilio-compatible sender when configured.

use async_trait::async_trait;
use gatehouse_domain::security::PhoneNumber;

/// Sends one text message.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `body` to `to`; the error is a sentence for the log.
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<(), String>;
}

/// Writes messages to the server log instead of sending them (development, first run).
pub struct LogSms;

#[async_trait]
impl SmsSender for LogSms {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<(), String> {
        tracing::info!(to = %to.as_str(), body = %body, "SMS not sent (sender `log`): message written here instead");
        Ok(())
    }
}
