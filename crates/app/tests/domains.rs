//! Domains: add, verify against a resolver, one organization per verified name, re-check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;
use gatehouse_app::{DnsError, DnsResolver};
use gatehouse_domain::Error;
use gatehouse_domain::domains::DomainStatus;
use support::*;

#[derive(Default)]
struct Zone(Mutex<HashMap<String, Vec<String>>>);

#[async_trait]
impl DnsResolver for Zone {
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        self.0.lock().unwrap().get(name).cloned().ok_or(DnsError::NotFound)
    }
}

#[tokio::test]
async fn a_domain_is_verified_by_its_record_once_and_rechecked() {
    let zone = Arc::new(Zone::default());
    let (app, clock) = app(sqlite_store().await);
    let app = app.with_dns(zone.clone());
    let acme = new_org(&app, "olivia@acme.com").await;
    let o = as_user(&acme.user);
    let org = &acme.organization.sid;
    assert!(matches!(app.add_domain(&o, org, "not a domain").await, Err(Error::Invalid { field: "name", .. })));
    let d = app.add_domain(&o, org, "Acme.com").await.unwrap();
    assert_eq!((d.name.as_str(), d.status), ("acme.com", DomainStatus::Pending));
    assert!(matches!(app.add_domain(&o, org, "acme.com").await, Err(Error::Conflict(_))), "once per organization");

    let failed = app.verify_domain(&o, org, &d.sid).await.unwrap();
    assert_eq!(failed.status, DomainStatus::Failed);
    assert!(failed.last_error.unwrap().contains("no TXT record found at _gatehouse-challenge.acme.com"));
    zone.0.lock().unwrap().insert(d.record_name(), vec!["gatehouse-verification=wrong".into()]);
    assert!(app.verify_domain(&o, org, &d.sid).await.unwrap().last_error.unwrap().contains("none is"));
    zone.0.lock().unwrap().insert(d.record_name(), vec!["v=spf1 -all".into(), d.record_value()]);
    let verified = app.verify_domain(&o, org, &d.sid).await.unwrap();
    assert_eq!(verified.status, DomainStatus::Verified);

    // Another organization can claim it but never verify it, even with its own record.
    let rival = new_org(&app, "rick@rival.com").await;
    let r = as_user(&rival.user);
    assert!(
        matches!(app.add_domain(&r, &rival.organization.sid, "acme.com").await, Err(Error::Conflict(m)) if m.contains("Another organization"))
    );
    assert_eq!(app.domains(&r, org).await.unwrap_err(), Error::NotFound, "tenancy");

    // The record disappears: the next re-check warns.
    clock.advance(Duration::hours(1));
    assert_eq!(app.recheck_domains().await.unwrap(), 0, "not due yet");
    zone.0.lock().unwrap().clear();
    clock.advance(Duration::hours(6));
    assert_eq!(app.recheck_domains().await.unwrap(), 1);
    let now = app.domains(&o, org).await.unwrap().remove(0);
    assert_eq!(now.status, DomainStatus::Failed);
    assert!(now.last_error.unwrap().contains("The TXT record disappeared"));
    app.remove_domain(&o, org, &d.sid).await.unwrap();
    assert!(app.domains(&o, org).await.unwrap().is_empty());
}
