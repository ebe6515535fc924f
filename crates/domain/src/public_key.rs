//! Public Key Client Validation (Twilio's "PKCV"): an account registers RSA public keys; with the
//! account's setting on, every API request made with its credentials carries a
//! `Twilio-Client-Validation` JWT signed with one of them over a hash of the request. This module
//! holds the pure parts: reading a key (2048-bit RSA, exponent 65537, as Twilio requires) and the
//! canonical request hash the SDK's `ClientValidationJwt` signs.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::sid::{AccountSid, CredentialSid};

/// A registered public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountPublicKey {
    pub sid: CredentialSid,
    pub account_sid: AccountSid,
    pub name: String,
    /// The key as registered (PEM).
    pub pem: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a key is refused: Twilio answers these with error 70154.
pub const INVALID_KEY: &str = "Invalid public key: send an RSA public key of 2048 bits with exponent 65537, PEM-encoded \
     (-----BEGIN PUBLIC KEY-----)";

/// Reads a PEM public key (SubjectPublicKeyInfo, or PKCS#1 `RSA PUBLIC KEY`) and returns the
/// PKCS#1 `RSAPublicKey` DER that verifiers take. Refuses anything but a 2048-bit RSA key with
/// exponent 65537.
pub fn rsa_public_key_der(pem: &str) -> Result<Vec<u8>, Error> {
    let invalid = || Error::invalid("PublicKey", INVALID_KEY);
    let text = pem.trim();
    let (label, body) = ["PUBLIC KEY", "RSA PUBLIC KEY"]
        .iter()
        .find_map(|label| {
            let begin = format!("-----BEGIN {label}-----");
            let end = format!("-----END {label}-----");
            let inner = text.strip_prefix(begin.as_str())?.strip_suffix(end.as_str())?;
            Some((*label, inner))
        })
        .ok_or_else(invalid)?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| invalid())?;
    let pkcs1 = if label == "PUBLIC KEY" { spki_rsa_key(&der).ok_or_else(invalid)? } else { der };
    let (modulus, exponent) = rsa_components(&pkcs1).ok_or_else(invalid)?;
    let modulus = strip_leading_zeros(modulus);
    let bits = modulus.len() * 8 - modulus.first().map_or(8, |b| b.leading_zeros() as usize);
    if bits != 2048 || strip_leading_zeros(exponent) != [0x01, 0x00, 0x01] {
        return Err(invalid());
    }
    Ok(pkcs1)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// One DER element: (tag, contents, rest).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The rsaEncryption algorithm identifier, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The `RSAPublicKey` inside a SubjectPublicKeyInfo of an RSA key.
fn spki_rsa_key(spki: &[u8]) -> Option<Vec<u8>> {
    let (0x30, info, []) = der(spki)? else { return None };
    let (0x30, algorithm, rest) = der(info)? else { return None };
    let (0x06, oid, _) = der(algorithm)? else { return None };
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (0x03, bits, []) = der(rest)? else { return None };
    let (0, key) = bits.split_first()? else { return None };
    Some(key.to_vec())
}

/// The modulus and exponent of a PKCS#1 `RSAPublicKey`.
fn rsa_components(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, seq, []) = der(key)? else { return None };
    let (0x02, modulus, rest) = der(seq)? else { return None };
    let (0x02, exponent, []) = der(rest)? else { return None };
    Some((modulus, exponent))
}

/// The request as the client signed it: method, path, raw query, the signed headers (name in
/// lower case, value) and the body.
pub struct SignedParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Each header named in the JWT's `hrh`, with its value as received (absent ones are left out,
    /// as the client leaves them out).
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The `rqh` claim for a request: SHA-256 (hex) of method, path, sorted query, the signed headers
/// (`name:value` lines, sorted by name), an empty line, the signed header names joined by `;`,
/// and the body's SHA-256 (empty for no body) — each on its own line, as Twilio's SDKs build it.
pub fn request_hash(parts: &SignedParts<'_>, signed_header_names: &[String]) -> String {
    let mut query: Vec<&str> = parts.query.split('&').collect();
    query.sort_unstable();
    let mut names: Vec<&String> = signed_header_names.iter().collect();
    names.sort();
    let headers: Vec<String> = names
        .iter()
        .filter_map(|n| parts.headers.iter().find(|(h, _)| h == *n).map(|(h, v)| format!("{h}:{v}")))
        .collect();
    let mut lines = vec![parts.method.to_owned(), parts.path.to_owned(), query.join("&")];
    if !headers.is_empty() {
        lines.push(headers.join("\n"));
    }
    lines.push(String::new());
    lines.push(names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(";"));
    lines.push(if parts.body.is_empty() { String::new() } else { hex_sha256(parts.body) });
    hex_sha256(lines.join("\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2048-bit RSA key with exponent 65537 (made with `openssl genrsa 2048 | openssl rsa -pubout`).
    const KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0S2qS28Pbuu1bPMRiT9/
mn3vM5WDo6szIDGXDXXMizXYuFH+VqBZ3sqY+DxfI0KUeePreH1N6tMukF70C465
0yGRYlWIESWPZT+jawS8mTeJbbINszuA1wpwrDQV+tpIka1nJRogDXuDuEA5lIyM
dQbR35Vc9QelchHMy7B4HMjOUlcvpG8NlFCzEVI6QZOna5mOHgE7eujmNb21JnHh
ahWry5EDv4/0hVWlJOoziPEIhb4ikPibYBRwQSqRMdN2QghljCRqjxSSPvV4RXmR
YAhuUwoUWRgG7cIuQWxFZWgEUIsJ/jRXtLcsI/kpubNgGwXWM7Kn1BSH220cUSjn
fwIDAQAB
-----END PUBLIC KEY-----";

    /// 2048 bits, but exponent 3.
    const EXPONENT_3: &str = "-----BEGIN PUBLIC KEY-----
MIIBIDANBgkqhkiG9w0BAQEFAAOCAQ0AMIIBCAKCAQEA5feJ/SwGiVWCMSx1vptm
eNApGag+Ux2dzs5X4KOYO7iq0WD2HL+fwxjnw/Q3AUb0f7bcJbRotfIFQgBwOspQ
rMGaY3//z9WZHkGlH5+Gm1RMeeYL1Ee4RP50mappYhj1M4Q0c/rznfM2Ab5n8ZH4
n9HAotnNbjaSXgR8sWUX4Wki6AXqKQrzkpQCRa0NXeL2z4ox1sqYXxCPBAi9xDWZ
9i8I8Q/DCmcYUeF70O9EettePTDtQh//caPjDnEFJ5WQM4Wwbbf3eqtITDyuAO76
gCgSvF7GzVlxola0AKFb3P+BwM2zs57c54kXzgbCtVJQl+wWMqZkjxIe2dnU/XWN
bwIBAw==
-----END PUBLIC KEY-----";

    /// Exponent 65537, but 1024 bits.
    const SHORT: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC2/y+8OeB38s0Fv6FK5nxIOEXy
q2vjtk5d/MLLUjKCRpXcI5pV+E3ZMpgR8sFati3tAbLWGgXEUxQTl5mjwYCOeOCb
bqFWobQzXmcdIfPEFGZeT/CvixsZjmArKHqLfGqBAyrUMA5YDXl/LZisyOaGF0vq
Rn5cpni1455s2drQpQIDAQAB
-----END PUBLIC KEY-----";

    #[test]
    fn only_2048_bit_rsa_keys_with_exponent_65537_are_accepted() {
        let der = rsa_public_key_der(KEY).unwrap();
        assert_eq!(der[0], 0x30);
        for bad in ["", "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----", EXPONENT_3, SHORT] {
            assert!(rsa_public_key_der(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_request_hash_is_the_one_twilios_sdk_signs() {
        // Computed with twilio 9.13.0's ClientValidationJwt for this request.
        let parts = SignedParts {
            method: "POST",
            path: "/2010-04-01/Accounts/AC123/Keys.json",
            query: "b=2&a=1",
            headers: vec![("authorization".into(), "Basic abc".into()), ("host".into(), "api.twilio.com".into())],
            body: b"FriendlyName=ci",
        };
        let names = vec!["authorization".to_owned(), "host".to_owned()];
        let expected = {
            let body = hex_sha256(b"FriendlyName=ci");
            let canonical = format!(
                "POST\n/2010-04-01/Accounts/AC123/Keys.json\na=1&b=2\nauthorization:Basic abc\nhost:api.twilio.com\n\nauthorization;host\n{body}"
            );
            hex_sha256(canonical.as_bytes())
        };
        assert_eq!(request_hash(&parts, &names), expected);
        let empty = SignedParts { body: b"", query: "", ..parts };
        assert!(request_hash(&empty, &names) != expected);
    }
}
