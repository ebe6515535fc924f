//! High-entropy random tokens and their fast hashes (session cookies, setup links, CSRF).
//! These are 256-bit random values, so SHA-256 suffices; argon2 is for passwords only.

use gatehouse_domain::{Error, Result};
use sha2::{Digest, Sha256};

/// `N` random bytes from the OS.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("random source: {e}")))?;
    Ok(bytes)
}

/// A new random token: 32 bytes from the OS, hex-encoded.
pub fn new_token() -> Result<String> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// The stored form of a token.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in constant time.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
