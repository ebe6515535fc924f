//! Password hashing with argon2id at the OWASP parameters (the crate default: m=19456, t=2,
//! p=1), off the async runtime and capped at one hash per core so sign-in floods cannot
//! starve the server.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use gatehouse_domain::{Error, Result};
use tokio::sync::Semaphore;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random password, verified against when the email is unknown so that an
    /// unknown email costs the same time as a wrong password.
    decoy: Arc<tokio::sync::OnceCell<String>>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    /// A hasher allowing as many concurrent hashes as there are cores.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        PasswordHasher { permits: Arc::new(Semaphore::new(cores)), decoy: Arc::default() }
    }

    /// The PHC string of a new argon2id hash of `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("argon2: {e}")))
        })
        .await
        .map_err(Error::internal)?
    }

    /// Whether `password` matches the stored PHC string. With no stored hash, verifies against
    /// a decoy and answers false, taking the same time.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        let stored = match stored {
            Some(s) => s.to_owned(),
            None => {
                let decoy =
                    self.decoy.get_or_try_init(|| async { self.hash(&crate::secret::new_token()?).await }).await?;
                let _ = self.check(password, decoy.clone()).await?;
                return Ok(false);
            }
        };
        self.check(password, stored).await
    }

    async fn check(&self, password: &str, stored: String) -> Result<bool> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&stored).map_err(|e| Error::Internal(format!("stored password hash: {e}")))?;
            Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(Error::internal)?
    }
}

/// The password policy: the domain's length and context rules, then a strength estimate
/// (zxcvbn) against common passwords and the user's own email and name. Scores below 3 ("safely
/// unguessable", about 10^10 guesses) are refused with zxcvbn's advice.
///
/// This is the one rule for every place a password is set (sign-up, first-run setup, the
/// operator's CLI, accepting an invitation, reset, change). The words zxcvbn is told about are
/// the pieces a guesser tries first: the address and its parts, the domain and its labels
/// (`acmecorp` of `acmecorp.com`), the name, its words and its words run together.
pub fn check_policy(password: &str, email: &gatehouse_domain::user::Email, name: &str) -> Result<()> {
    gatehouse_domain::user::check_password(password, email)?;
    let local = email.as_str().split('@').next().unwrap_or_default();
    let mut inputs: Vec<String> = vec![email.as_str().into(), local.into(), email.domain().into(), "gatehouse".into()];
    inputs.extend(local.split(['.', '_', '-', '+']).map(str::to_owned));
    let labels: Vec<&str> = email.domain().split('.').collect();
    // Every label but the top-level one, alone and run together (`mail.acme.co` → mail, acme, mailacme).
    let named = &labels[..labels.len().saturating_sub(1)];
    inputs.extend(named.iter().map(|l| (*l).to_owned()));
    inputs.push(named.concat());
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    inputs.extend(words.iter().map(|w| (*w).to_owned()));
    inputs.push(words.concat());
    inputs.push(lower.clone());
    inputs.retain(|i| i.chars().count() >= 3);
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if (estimate.score() as u8) < 3 {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning().map(|w| w.to_string()))
            .unwrap_or_else(|| "it would be easy to guess".into());
        return Err(Error::invalid(
            "password",
            format!("this password is too weak: {hint}. Use a longer passphrase of several unrelated words"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = PasswordHasher::new();
        let stored = h.hash("correct horse battery").await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(h.verify("correct horse battery", Some(&stored)).await.unwrap());
        assert!(!h.verify("wrong horse battery", Some(&stored)).await.unwrap());
        assert!(!h.verify("anything", None).await.unwrap());
    }

    #[test]
    fn weak_or_personal_passwords_are_refused_with_advice() {
        let email = gatehouse_domain::user::Email::parse("grace@example.com").unwrap();
        for weak in ["password1234", "qwertyuiop12", "1234567890", "example.com2026"] {
            match check_policy(weak, &email, "Grace Hopper") {
                Err(Error::Invalid { field: "password", reason }) => assert!(
                    reason.contains("too weak") || reason.contains("characters") || reason.contains("email"),
                    "{weak}: {reason}"
                ),
                other => panic!("{weak} gave {other:?}"),
            }
        }
        assert!(check_policy("hopper grace 1906!", &email, "Grace Hopper").is_err(), "the user's own name");
        let acme = gatehouse_domain::user::Email::parse("owner@acmecorp.com").unwrap();
        for personal in ["acmecorp2026", "acmecorp2026!", "AcmeCorp.2026"] {
            assert!(check_policy(personal, &acme, "Olive Owner").is_err(), "{personal}: the company's domain");
        }
        assert!(check_policy("oliveowner2026", &acme, "Olive Owner").is_err(), "the name run together + year");
        assert!(check_policy("Olive-Owner-2026", &acme, "Olive Owner").is_err(), "the name + year");
        assert!(check_policy("violet tugboat marmalade", &email, "Grace Hopper").is_ok());
    }
}
