//! Use cases for Public Key Client Validation: an account's public keys (Twilio's Credentials
//! API: create, list, fetch, rename, delete; the console lists them), and the check every 2010
//! and iam/v1 request passes: with the account's *Require Public Key Client Validation* on, it
//! must carry a `Twilio-Client-Validation` JWT (RS256, `kid` one of the account's keys) whose
//! `rqh` is the hash of the very request; a signed request to an account without the setting
//! is refused too, as Twilio refuses it.

use base64::Engine as _;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::public_key::{AccountPublicKey, SignedParts, request_hash, rsa_public_key_der};
use gatehouse_domain::sid::{AccountSid, CredentialSid};
use gatehouse_domain::user::parse_name;
use gatehouse_domain::{Error, Result};
use serde_json::{Value, json};

use crate::App;
use crate::api_keys::keys_readable;
use crate::members::locked_for;

/// A request as received, with its `Twilio-Client-Validation` token, for [`App::check_client_validation`].
#[derive(Debug, Clone)]
pub struct SignedRequest {
    pub token: String,
    pub method: String,
    pub path: String,
    pub query: String,
    /// Every header, name in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a request fails Public Key Client Validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationRefusal {
    /// The account requires it and the request is unsigned, or its signature does not hold
    /// (Twilio's 70052); the reason says which check failed.
    Invalid(String),
    /// A signed request to an account that does not require validation (Twilio's 70053).
    NotEnabled,
}

/// How far a token's `exp`/`nbf` may be off the server's clock, in seconds.
const CLOCK_SKEW: i64 = 60;

fn part(segment: &str) -> std::result::Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|_| "the token is not a JWT".to_owned())
}

fn json_part(segment: &str) -> std::result::Result<Value, String> {
    serde_json::from_slice(&part(segment)?).map_err(|_| "the token is not a JWT".to_owned())
}

impl App {
    /// Registers a public key for an account (the credential's own, or one it manages keys of).
    pub async fn create_public_key(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        name: &str,
        pem: &str,
    ) -> Result<AccountPublicKey> {
        rsa_public_key_der(pem)?;
        let name = if name.trim().is_empty() { "Public key".to_owned() } else { parse_name("FriendlyName", name, 64)? };
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::ApiKeysManage).await?;
        let key = AccountPublicKey {
            sid: CredentialSid::generate(),
            account_sid: account_sid.clone(),
            name,
            pem: pem.trim().to_owned(),
            created_at: now,
            updated_at: now,
        };
        tx.insert_public_key(&key).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "public_key.created", key.sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "name": key.name })),
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// The account's public keys.
    pub async fn public_keys(
        &self,
        actor: &Actor,
        account: &AccountSid,
        page: &PageRequest,
    ) -> Result<Page<AccountPublicKey>> {
        let mut tx = self.store.read().await?;
        keys_readable(&mut *tx, actor, account).await?;
        tx.account_public_keys(account, page).await
    }

    /// One public key, if the actor may read its account's keys.
    pub async fn public_key(&self, actor: &Actor, sid: &CredentialSid) -> Result<AccountPublicKey> {
        let mut tx = self.store.read().await?;
        let key = tx.public_key(sid).await?.ok_or(Error::NotFound)?;
        keys_readable(&mut *tx, actor, &key.account_sid).await?;
        Ok(key)
    }

    /// Renames a public key.
    pub async fn rename_public_key(&self, actor: &Actor, sid: &CredentialSid, name: &str) -> Result<AccountPublicKey> {
        let name = parse_name("FriendlyName", name, 64)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let key = tx.public_key(sid).await?.ok_or(Error::NotFound)?;
        let account = locked_for(&mut *tx, actor, &key.account_sid, Permission::ApiKeysManage).await?;
        tx.rename_public_key(&key.account_sid, sid, &name, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "public_key.renamed", sid.as_str(), now)
                .in_account(&key.account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "from": key.name, "to": name })),
        )
        .await?;
        tx.commit().await?;
        Ok(AccountPublicKey { name, updated_at: now, ..key })
    }

    /// Deletes a public key: requests signed with it fail from now on.
    pub async fn delete_public_key(&self, actor: &Actor, sid: &CredentialSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let key = tx.public_key(sid).await?.ok_or(Error::NotFound)?;
        let account = locked_for(&mut *tx, actor, &key.account_sid, Permission::ApiKeysManage).await?;
        tx.delete_public_key(&key.account_sid, sid).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "public_key.deleted", sid.as_str(), now)
                .in_account(&key.account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "name": key.name })),
        )
        .await?;
        tx.commit().await
    }

    /// Public Key Client Validation of one request made with `actor` (an account's credential):
    /// `None` when it may go on.
    pub async fn check_client_validation(
        &self,
        actor: &Actor,
        signed: Option<&SignedRequest>,
    ) -> Result<Option<ValidationRefusal>> {
        let account = self.credential_account(actor).await?;
        let required = account.settings.require_public_key_validation;
        let Some(signed) = signed else {
            return Ok(required.then(|| {
                ValidationRefusal::Invalid("this account requires a Twilio-Client-Validation header".into())
            }));
        };
        if !required {
            return Ok(Some(ValidationRefusal::NotEnabled));
        }
        match self.verify_signature(actor, &account.sid, signed).await? {
            Ok(()) => Ok(None),
            Err(reason) => Ok(Some(ValidationRefusal::Invalid(reason))),
        }
    }

    async fn verify_signature(
        &self,
        actor: &Actor,
        account: &AccountSid,
        signed: &SignedRequest,
    ) -> Result<std::result::Result<(), String>> {
        let segments: Vec<&str> = signed.token.split('.').collect();
        let [header_b64, payload_b64, signature_b64] = segments.as_slice() else {
            return Ok(Err("the token is not a JWT".into()));
        };
        let (header, payload, signature) = match (json_part(header_b64), json_part(payload_b64), part(signature_b64)) {
            (Ok(h), Ok(p), Ok(s)) => (h, p, s),
            _ => return Ok(Err("the token is not a JWT".into())),
        };
        if header["alg"] != "RS256" || header["cty"] != "twilio-pkrv;v=1" {
            return Ok(Err("the token must be RS256 with cty twilio-pkrv;v=1".into()));
        }
        let Some(kid) = header["kid"].as_str().and_then(|k| CredentialSid::parse(k).ok()) else {
            return Ok(Err("the token's kid is not a credential SID".into()));
        };
        if payload["sub"].as_str() != Some(account.as_str()) {
            return Ok(Err("the token's sub is not the account".into()));
        }
        if let ActorKind::ApiKey { key, .. } = &actor.kind
            && payload["iss"].as_str() != Some(key.as_str())
        {
            return Ok(Err("the token's iss is not the API key that authenticated".into()));
        }
        let now = self.now().timestamp();
        let exp = payload["exp"].as_i64().unwrap_or(i64::MIN);
        let nbf = payload["nbf"].as_i64().unwrap_or(i64::MIN);
        if exp + CLOCK_SKEW < now || nbf - CLOCK_SKEW > now {
            return Ok(Err("the token has expired or is not valid yet".into()));
        }
        let key = {
            let mut tx = self.store.read().await?;
            tx.public_key(&kid).await?
        };
        let Some(key) = key.filter(|k| &k.account_sid == account) else {
            return Ok(Err(format!("{kid} is not a public key of this account")));
        };
        let der = rsa_public_key_der(&key.pem)?;
        let verifier = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &der);
        let signing_input = format!("{header_b64}.{payload_b64}");
        if verifier.verify(signing_input.as_bytes(), &signature).is_err() {
            return Ok(Err("the signature does not match the public key".into()));
        }
        let names: Vec<String> = payload["hrh"]
            .as_str()
            .unwrap_or_default()
            .split(';')
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
        if !(names.iter().any(|n| n == "authorization") && names.iter().any(|n| n == "host")) {
            return Ok(Err("the token must sign the authorization and host headers".into()));
        }
        let parts = SignedParts {
            method: &signed.method,
            path: &signed.path,
            query: &signed.query,
            headers: signed.headers.iter().filter(|(h, _)| names.contains(h)).cloned().collect(),
            body: &signed.body,
        };
        if payload["rqh"].as_str() != Some(request_hash(&parts, &names).as_str()) {
            return Ok(Err(
                "the request does not match its signature (method, path, query, headers or body changed)".into()
            ));
        }
        Ok(Ok(()))
    }
}
