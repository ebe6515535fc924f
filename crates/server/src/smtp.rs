//! Email delivery over SMTP (lettre, rustls): the `Mailer` the outbox worker uses when `[smtp]`
//! is configured. 5xx replies are permanent failures; connection problems and 4xx are retried.

use async_trait::async_trait;
use gatehouse_app::{MailError, Mailer};
use gatehouse_domain::security::OutboxEmail;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpConfig, SmtpTls};

/// Sends outbox emails through one SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for the configured server (no connection is made until the first email).
    pub fn new(config: &SmtpConfig) -> anyhow::Result<Self> {
        let from: Mailbox = config.from.parse().map_err(|e| anyhow::anyhow!("[smtp] from {:?}: {e}", config.from))?;
        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(TlsParameters::new(config.host.clone())?),
            SmtpTls::Tls => Tls::Wrapper(TlsParameters::new(config.host.clone())?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(SmtpMailer { transport: builder.build(), from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutboxEmail) -> Result<(), MailError> {
        let to: Mailbox = email
            .recipient
            .as_str()
            .parse()
            .map_err(|e| MailError { permanent: true, message: format!("recipient: {e}") })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| MailError { permanent: true, message: format!("building the message: {e}") })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError { permanent: e.is_permanent(), message: e.to_string() })
    }
}
