//! Audit events: an append-only record of every change, written in the changing transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::policy::Actor;
use crate::sid::{AccountSid, AuditEventSid, OrganizationSid};

/// One record: who did what to which target, in which scope, when, from where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    pub sid: AuditEventSid,
    pub occurred_at: DateTime<Utc>,
    /// A user SID, or `system` / `setup` / `anonymous`.
    pub actor: String,
    /// A dotted verb, e.g. `account.created`, `member.roles_changed`.
    pub action: String,
    /// The SID of the thing changed.
    pub target: String,
    pub organization_sid: Option<OrganizationSid>,
    pub account_sid: Option<AccountSid>,
    pub source_ip: Option<String>,
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// A new event by `actor`, now.
    pub fn new(actor: &Actor, action: &str, target: &str, now: DateTime<Utc>) -> Self {
        AuditEvent {
            sid: AuditEventSid::generate(),
            occurred_at: now,
            actor: actor.audit_name(),
            action: action.to_owned(),
            target: target.to_owned(),
            organization_sid: None,
            account_sid: None,
            source_ip: actor.source_ip.clone(),
            details: serde_json::Value::Null,
        }
    }

    /// Records the account (and its organization) the event happened in.
    pub fn in_account(mut self, account: &AccountSid, org: Option<&OrganizationSid>) -> Self {
        self.account_sid = Some(account.clone());
        self.organization_sid = org.cloned();
        self
    }

    /// Records the organization the event happened in.
    pub fn in_organization(mut self, org: &OrganizationSid) -> Self {
        self.organization_sid = Some(org.clone());
        self
    }

    /// Attaches structured details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Which events to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    Account(AccountSid),
    Organization(OrganizationSid),
}
