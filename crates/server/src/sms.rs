//! The `twilio` SMS sender: posts to a Twilio-compatible Messages API
//! (`POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form fields `To`, `From`,
//! `Body`, HTTP Basic auth with the account SID and auth token).

use async_trait::async_trait;
use gatehouse_app::SmsSender;
use gatehouse_domain::security::PhoneNumber;

use crate::config::TwilioSmsConfig;

/// Sends SMS through Twilio's (or a compatible) Messages API.
pub struct TwilioSms {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: String,
    from: String,
}

impl TwilioSms {
    /// A sender for the configured account.
    pub fn new(config: &TwilioSmsConfig) -> anyhow::Result<Self> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(15)).build()?;
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            config.base_url.trim_end_matches('/'),
            config.account_sid
        );
        Ok(TwilioSms {
            client,
            url,
            account_sid: config.account_sid.clone(),
            auth_token: config.auth_token.clone(),
            from: config.from.clone(),
        })
    }
}

#[async_trait]
impl SmsSender for TwilioSms {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<(), String> {
        let response = self
            .client
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&[("To", to.as_str()), ("From", self.from.as_str()), ("Body", body)])
            .send()
            .await
            .map_err(|e| format!("Messages API unreachable: {e}"))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let text = response.text().await.unwrap_or_default();
            Err(format!("Messages API answered {status}: {}", text.chars().take(300).collect::<String>()))
        }
    }
}
