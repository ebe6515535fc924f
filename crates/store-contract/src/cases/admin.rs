//! Contract cases for the Admin Center: domains and organization invitations.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::Error;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::store::Store;
use gatehouse_domain::user::Email;

use crate::fixtures::{self, add_user, t0};

pub async fn a_domain_is_verified_by_one_organization_only(store: Arc<dyn Store>) {
    use gatehouse_domain::domains::{Domain, DomainStatus};
    use gatehouse_domain::sid::DomainSid;
    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let claim = |org: &gatehouse_domain::organization::Organization| Domain {
        sid: DomainSid::generate(),
        organization_sid: org.sid.clone(),
        name: "acme.com".into(),
        token: "t".into(),
        status: DomainStatus::Pending,
        verified_at: None,
        checked_at: None,
        last_error: None,
        created_at: t0(),
    };
    let ours = claim(&acme);
    let theirs = claim(&rival);
    tx.insert_domain(&ours).await.unwrap();
    tx.insert_domain(&theirs).await.unwrap();
    assert_eq!(tx.verified_domain("acme.com").await.unwrap(), None);
    let verified =
        Domain { status: DomainStatus::Verified, verified_at: Some(t0()), checked_at: Some(t0()), ..ours.clone() };
    tx.update_domain(&verified).await.unwrap();
    assert_eq!(tx.verified_domain("acme.com").await.unwrap(), Some(verified.clone()));
    assert_eq!(tx.organization_domains(&acme.sid).await.unwrap(), vec![verified.clone()]);
    assert_eq!(tx.domain(&rival.sid, &ours.sid).await.unwrap(), None, "scoped to its organization");
    let later = t0() + Duration::hours(2);
    assert_eq!(tx.domains_due_for_recheck(later, 10).await.unwrap(), vec![verified.clone()]);
    assert!(tx.domains_due_for_recheck(t0(), 10).await.unwrap().is_empty(), "checked at t0, not before");
    tx.delete_domain(&rival.sid, &ours.sid).await.unwrap();
    assert!(tx.verified_domain("acme.com").await.unwrap().is_some(), "another organization cannot remove it");
    tx.commit().await.unwrap();

    // Last: on PostgreSQL a refused statement ends the transaction.
    let mut tx = store.write().await.unwrap();
    let second = Domain { status: DomainStatus::Verified, ..theirs };
    let refused = tx.update_domain(&second).await;
    assert!(matches!(&refused, Err(Error::Conflict(m)) if m.contains("another organization")), "{refused:?}");
}

pub async fn organization_invitations_round_trip_and_users_become_managed(store: Arc<dyn Store>) {
    use gatehouse_domain::invitation::{InvitationStatus, OrgInvitation};
    use gatehouse_domain::role::OrgRole;
    use gatehouse_domain::sid::InvitationSid;
    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let invite = |org: &gatehouse_domain::organization::Organization, token: &str| OrgInvitation {
        sid: InvitationSid::generate(),
        organization_sid: org.sid.clone(),
        email: Email::parse("dana@acme.com").unwrap(),
        role: OrgRole::StandardUser,
        invited_by: None,
        token_hash: token.into(),
        status: InvitationStatus::Pending,
        created_at: t0(),
        expires_at: t0() + Duration::days(7),
        updated_at: t0(),
    };
    let ours = invite(&acme, "o1");
    tx.insert_org_invitation(&ours).await.unwrap();
    tx.insert_org_invitation(&invite(&rival, "r1")).await.unwrap();
    assert_eq!(tx.org_invitation_by_token("o1").await.unwrap().as_ref(), Some(&ours));
    assert_eq!(tx.org_invitation(&rival.sid, &ours.sid).await.unwrap(), None, "scoped");
    let upper = Email::parse("DANA@acme.com").unwrap();
    assert_eq!(tx.pending_org_invitation(&acme.sid, &upper).await.unwrap().map(|i| i.sid), Some(ours.sid.clone()));
    assert_eq!(tx.pending_org_invitations(&acme.sid, &PageRequest::first(10)).await.unwrap().items.len(), 1);
    let admin = OrgInvitation { role: OrgRole::Administrator, token_hash: "o2".into(), ..ours.clone() };
    tx.update_org_invitation(&admin).await.unwrap();
    assert_eq!(tx.org_invitation_by_token("o2").await.unwrap().unwrap().role, OrgRole::Administrator);
    tx.update_org_invitation(&OrgInvitation { status: InvitationStatus::Accepted, ..admin }).await.unwrap();
    assert!(tx.pending_org_invitations(&acme.sid, &PageRequest::first(10)).await.unwrap().items.is_empty());
    tx.set_user_organization(&dana.sid, &acme.sid, t0()).await.unwrap();
    assert_eq!(tx.user(&dana.sid).await.unwrap().unwrap().organization_sid, Some(acme.sid.clone()));
}
