//! Password hashing with argon2id at the OWASP parameters (the crate default: m=19456, t=2,
//! p=1), off the async runtime and capped at one hash per core so sign-in floods cannot
//! starve the server. Each hash fills one of at most `cores` reused 19 MiB memory buffers, so
//! the server's memory does not grow with the sign-in rate (allocating 19 MiB per hash left
//! every allocator arena holding its own copy).

use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use gatehouse_domain::{Error, Result};
use tokio::sync::Semaphore;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Argon2 memory, one buffer per hash running (never more than the permits).
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    /// A real hash of a random password, verified against when the email is unknown so that an
    /// unknown email costs the same time as a wrong password.
    decoy: Arc<tokio::sync::OnceCell<String>>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

fn argon2_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("argon2: {e}"))
}

impl PasswordHasher {
    /// A hasher allowing as many concurrent hashes as there are cores.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        PasswordHasher { permits: Arc::new(Semaphore::new(cores)), memory: Arc::default(), decoy: Arc::default() }
    }

    /// Runs one argon2id computation on the blocking pool with a reused memory buffer: the
    /// output of `password` with `salt` and `params`, `len` bytes long.
    async fn compute(&self, password: &str, salt: Salt, params: Params, version: Version) -> Result<Vec<u8>> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let password = password.to_owned();
        let pool = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let blocks = params.block_count();
            // Only buffers of today's size are pooled: a stored hash with other parameters
            // borrows its memory once.
            let pooled = blocks == Params::DEFAULT_M_COST as usize;
            let taken = if pooled { pool.lock().map_err(Error::internal)?.pop() } else { None };
            let mut memory = taken.unwrap_or_else(|| vec![Block::new(); blocks]);
            let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
            let done = Argon2::new(Algorithm::Argon2id, version, params)
                .hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), &mut out, &mut memory[..])
                .map_err(argon2_error);
            if pooled {
                pool.lock().map_err(Error::internal)?.push(memory);
            }
            done.map(|()| out)
        })
        .await
        .map_err(Error::internal)?
    }

    /// The PHC string of a new argon2id hash of `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let salt = Salt::generate();
        let params = Params::default();
        let out = self.compute(password, salt, params.clone(), Version::V0x13).await?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(argon2_error)?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(argon2_error)?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the stored PHC string. With no stored hash, verifies against
    /// a decoy and answers false, taking the same time.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        let stored = match stored {
            Some(s) => s.to_owned(),
            None => {
                let decoy =
                    self.decoy.get_or_try_init(|| async { self.hash(&crate::secret::new_token()?).await }).await?;
                let _ = self.check(password, decoy).await?;
                return Ok(false);
            }
        };
        self.check(password, &stored).await
    }

    async fn check(&self, password: &str, stored: &str) -> Result<bool> {
        let corrupt = |e: argon2::password_hash::Error| Error::Internal(format!("stored password hash: {e}"));
        let parsed = PasswordHash::new(stored).map_err(|e| Error::Internal(format!("stored password hash: {e}")))?;
        if Algorithm::try_from(parsed.algorithm.as_str()).map_err(argon2_error)? != Algorithm::Argon2id {
            return Err(Error::Internal("stored password hash: not argon2id".into()));
        }
        let params = Params::try_from(&parsed).map_err(corrupt)?;
        let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from).map_err(argon2_error)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(Error::Internal("stored password hash: no salt or hash".into()));
        };
        let computed = self.compute(password, salt, params, version).await?;
        // `Output`'s equality is constant-time.
        Ok(Output::new(&computed).map_err(argon2_error)? == expected)
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

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crate_both_ways_and_memory_is_reused() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let h = PasswordHasher::new();
        // A hash stored before the memory pool (made by the crate itself) still verifies.
        let old = Argon2::default().hash_password(b"old password 1").unwrap().to_string();
        assert!(h.verify("old password 1", Some(&old)).await.unwrap());
        assert!(!h.verify("old password 2", Some(&old)).await.unwrap());
        // And ours verifies with the crate.
        let new = h.hash("new password 1").await.unwrap();
        let parsed = PasswordHash::new(&new).unwrap();
        assert!(Argon2::default().verify_password(b"new password 1", &parsed).is_ok());
        // Other parameters verify too, without joining the pool.
        let params = Params::new(8192, 1, 1, None).unwrap();
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password(b"p").unwrap().to_string();
        assert!(h.verify("p", Some(&small)).await.unwrap());
        let pooled = h.memory.lock().unwrap();
        assert!(!pooled.is_empty() && pooled.len() <= h.permits.available_permits(), "at most one buffer per permit");
        assert!(pooled.iter().all(|m| m.len() == Params::DEFAULT_M_COST as usize));
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
