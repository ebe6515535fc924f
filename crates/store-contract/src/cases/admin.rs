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
    assert!(tx.claim_domains_for_recheck(t0(), later, 10).await.unwrap().is_empty(), "checked at t0, not before");
    let claimed = tx.claim_domains_for_recheck(later, later, 10).await.unwrap();
    assert_eq!(claimed, vec![Domain { checked_at: Some(later), ..verified.clone() }]);
    assert!(tx.claim_domains_for_recheck(later, later, 10).await.unwrap().is_empty(), "claimed once, by one node");
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
    tx.set_user_organization(&dana.sid, Some(&acme.sid), t0()).await.unwrap();
    assert_eq!(tx.user(&dana.sid).await.unwrap().unwrap().organization_sid, Some(acme.sid.clone()));
}

pub async fn offboarding_finds_what_a_user_holds_and_erasure_forgets_them(store: Arc<dyn Store>) {
    use gatehouse_domain::api_key::ApiKey;
    use gatehouse_domain::audit::{AuditEvent, AuditScope};
    use gatehouse_domain::invitation::Invitation;
    use gatehouse_domain::offboarding::{OffboardingKind, OffboardingReport, erased_email};
    use gatehouse_domain::policy::Actor;
    use gatehouse_domain::role::AccountRole;
    use gatehouse_domain::sid::{ApiKeySid, OffboardingSid};

    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    tx.insert_organization(&acme).await.unwrap();
    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let main = fixtures::add_account(&mut *tx, "Main", Some(&acme.sid)).await;
    let sub = fixtures::account("Sub", Some(&acme.sid), Some(&main.sid));
    tx.insert_account(&sub).await.unwrap();
    fixtures::grant(&mut *tx, &dana, AccountRole::Owner, &main).await;
    fixtures::grant(&mut *tx, &dana, AccountRole::Developer, &sub).await;
    fixtures::grant(&mut *tx, &dana, AccountRole::Viewer, &sub).await;
    let held = tx.user_memberships(&dana.sid).await.unwrap();
    let pairs: Vec<_> = held.iter().map(|(a, r)| (a.name.as_str(), *r)).collect();
    assert_eq!(pairs.len(), 3);
    assert!(pairs.contains(&("Main", AccountRole::Owner)) && pairs.contains(&("Sub", AccountRole::Viewer)));

    let key = |name: &str, revoked: bool| ApiKey {
        sid: ApiKeySid::generate(),
        account_sid: main.sid.clone(),
        name: name.into(),
        secret_hash: format!("h-{name}"),
        created_by: Some(dana.sid.clone()),
        created_at: t0(),
        last_used_at: None,
        revoked_at: revoked.then(t0),
        updated_at: t0(),
        restricted_to: None,
    };
    let live = key("live", false);
    tx.insert_api_key(&live).await.unwrap();
    tx.insert_api_key(&key("old", true)).await.unwrap();
    assert_eq!(tx.api_keys_created_by(&dana.sid).await.unwrap(), vec![live], "revoked keys are not listed");

    let invitation = Invitation::new(
        main.sid.clone(),
        Email::parse("eve@example.com").unwrap(),
        vec![AccountRole::Viewer],
        Some(dana.sid.clone()),
        "tok".into(),
        t0(),
        Duration::days(7),
    );
    tx.insert_invitation(&invitation).await.unwrap();
    assert_eq!(tx.invitations_sent_by(&dana.sid).await.unwrap(), vec![invitation]);
    assert!(tx.org_invitations_sent_by(&dana.sid).await.unwrap().is_empty());
    let to_dana = Invitation::new(
        main.sid.clone(),
        Email::parse("dana@acme.com").unwrap(),
        vec![AccountRole::Viewer],
        None,
        "tok2".into(),
        t0(),
        Duration::days(7),
    );
    tx.insert_invitation(&to_dana).await.unwrap();

    // Moving an account out of the organization takes its subaccounts along.
    tx.set_account_organization(&main.sid, None, t0()).await.unwrap();
    assert_eq!(tx.account(&sub.sid).await.unwrap().unwrap().organization_sid, None);
    tx.set_account_organization(&main.sid, Some(&acme.sid), t0()).await.unwrap();
    assert_eq!(tx.account(&sub.sid).await.unwrap().unwrap().organization_sid, Some(acme.sid.clone()));

    tx.set_user_name(&dana.sid, "Dana Scully", t0()).await.unwrap();
    tx.insert_user(&fixtures::user("x@acme.com", "X", None), Some("hash")).await.unwrap();
    let x = tx.user_by_email(&Email::parse("x@acme.com").unwrap()).await.unwrap().unwrap();
    tx.clear_password_hash(&x.sid, t0()).await.unwrap();
    assert_eq!(tx.password_hash(&x.sid).await.unwrap(), None);

    // Erasure: the row keeps only the SID; the audit log keeps the SID but not the address.
    let actor = Actor::system();
    let mut event = AuditEvent::new(&actor, "member.added", dana.sid.as_str(), t0())
        .in_organization(&acme.sid)
        .with_details(serde_json::json!({ "email": "dana@acme.com", "name": "Main", "who": "Dana Scully" }));
    event.actor = dana.sid.to_string();
    event.source_ip = Some("192.0.2.7".into());
    tx.append_audit(&event).await.unwrap();
    let erased = erased_email(&dana.sid).unwrap();
    tx.erase_user(&dana.sid, &erased, "Deleted user", t0()).await.unwrap();
    let changed = tx.pseudonymize_audit(&dana.sid, "dana@acme.com", "Dana Scully", dana.sid.as_str()).await.unwrap();
    assert_eq!(changed, 3, "the address, the name in her own event, one source IP dropped");
    let gone = tx.user(&dana.sid).await.unwrap().unwrap();
    assert_eq!(
        (gone.email.as_str(), gone.name.as_str(), gone.status.as_str()),
        (erased.as_str(), "Deleted user", "deleted")
    );
    assert_eq!(gone.organization_sid, None);
    assert!(tx.user_by_email(&Email::parse("dana@acme.com").unwrap()).await.unwrap().is_none(), "address is free");
    assert!(tx.pending_invitation(&main.sid, &Email::parse("dana@acme.com").unwrap()).await.unwrap().is_none());
    assert!(tx.pending_invitation(&main.sid, &erased).await.unwrap().is_some(), "invitations to her lose the address");
    let events = tx.audit_events(&AuditScope::Organization(acme.sid.clone()), &PageRequest::first(10)).await.unwrap();
    assert_eq!(events.items[0].details["email"], dana.sid.as_str());
    assert_eq!(events.items[0].details["name"], "Main");
    assert_eq!(events.items[0].details["who"], dana.sid.as_str());
    assert_eq!(events.items[0].source_ip, None);

    let report = OffboardingReport {
        sid: OffboardingSid::generate(),
        organization_sid: acme.sid.clone(),
        user_sid: dana.sid.clone(),
        kind: OffboardingKind::Deleted,
        actor: "system".into(),
        created_at: t0(),
        details: serde_json::json!({ "keys": [{ "outcome": "revoked" }] }),
    };
    tx.insert_offboarding_report(&report).await.unwrap();
    assert_eq!(tx.offboarding_report(&acme.sid, &report.sid).await.unwrap().as_ref(), Some(&report));
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&rival).await.unwrap();
    assert_eq!(tx.offboarding_report(&rival.sid, &report.sid).await.unwrap(), None, "scoped");
    assert_eq!(tx.offboarding_reports(&acme.sid, &PageRequest::first(10)).await.unwrap().items, vec![report]);
    tx.commit().await.unwrap();
}

pub async fn account_requests_are_one_pending_per_account_and_access_lists_independent_accounts(store: Arc<dyn Store>) {
    use gatehouse_domain::account_request::{AccountRequest, AccountRequestKind, AccountRequestStatus};

    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let theirs = fixtures::add_account(&mut *tx, "Contractor", None).await;
    let ask = AccountRequest::new(acme.sid.clone(), theirs.sid.clone(), AccountRequestKind::Access, None, 7, t0());
    tx.insert_account_request(&ask).await.unwrap();
    assert_eq!(tx.pending_account_request(&theirs.sid).await.unwrap().as_ref(), Some(&ask));
    assert_eq!(tx.account_request(&rival.sid, &ask.sid).await.unwrap(), None, "scoped");
    assert_eq!(tx.pending_account_requests(&acme.sid, &PageRequest::first(10)).await.unwrap().items.len(), 1);
    assert!(tx.independent_accounts(&acme.sid, &PageRequest::first(10)).await.unwrap().items.is_empty());

    let accepted = AccountRequest { status: AccountRequestStatus::Accepted, updated_at: t0(), ..ask.clone() };
    tx.update_account_request(&accepted).await.unwrap();
    assert_eq!(tx.pending_account_request(&theirs.sid).await.unwrap(), None);
    assert_eq!(tx.accepted_access_request(&acme.sid, &theirs.sid).await.unwrap().as_ref(), Some(&accepted));
    assert_eq!(tx.accepted_access_request(&rival.sid, &theirs.sid).await.unwrap(), None);
    let listed = tx.independent_accounts(&acme.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.items, vec![theirs.clone()]);
    assert!(tx.independent_accounts(&rival.sid, &PageRequest::first(10)).await.unwrap().items.is_empty());
    // The access reaches Acme's Owners and Administrators, not its Standard Users or Rival's admins.
    let (ann, sue, rob) = (
        fixtures::add_user(&mut *tx, "ann@acme.com", "Ann").await,
        fixtures::add_user(&mut *tx, "sue@acme.com", "Sue").await,
        fixtures::add_user(&mut *tx, "rob@rival.com", "Rob").await,
    );
    fixtures::grant_org(&mut *tx, &ann, gatehouse_domain::role::OrgRole::Administrator, &acme).await;
    fixtures::grant_org(&mut *tx, &sue, gatehouse_domain::role::OrgRole::StandardUser, &acme).await;
    fixtures::grant_org(&mut *tx, &rob, gatehouse_domain::role::OrgRole::Owner, &rival).await;
    let child = fixtures::account("Child", None, Some(&theirs.sid));
    tx.insert_account(&child).await.unwrap();
    let shared = |user| (user, theirs.sid.clone());
    for ((user, account), parent, expected) in [
        (shared(&ann), theirs.sid.clone(), vec![theirs.sid.clone()]),
        (shared(&sue), theirs.sid.clone(), vec![]),
        (shared(&rob), theirs.sid.clone(), vec![]),
        ((&ann, child.sid.clone()), theirs.sid.clone(), vec![theirs.sid.clone()]),
    ] {
        let got = tx.accounts_shared_with_admin(&user.sid, &account, &parent).await.unwrap();
        assert_eq!(got, expected, "{} on {account}", user.email);
    }
    let second = AccountRequest::new(rival.sid.clone(), theirs.sid.clone(), AccountRequestKind::Import, None, 7, t0());
    tx.insert_account_request(&second).await.unwrap();
    tx.commit().await.unwrap();

    // Last: on PostgreSQL a refused statement ends the transaction.
    let mut tx = store.write().await.unwrap();
    let third = AccountRequest::new(acme.sid.clone(), theirs.sid.clone(), AccountRequestKind::Import, None, 7, t0());
    let refused = tx.insert_account_request(&third).await;
    assert!(matches!(&refused, Err(Error::Conflict(m)) if m.contains("pending request")), "{refused:?}");
}

pub async fn scim_tokens_and_profiles_round_trip(store: Arc<dyn Store>) {
    use gatehouse_domain::scim::{ScimProfile, ScimToken};
    use gatehouse_domain::sid::ScimTokenSid;
    use gatehouse_domain::user::UserStatus;

    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let token = ScimToken {
        sid: ScimTokenSid::generate(),
        organization_sid: acme.sid.clone(),
        name: "Okta".into(),
        token_hash: "h1".into(),
        created_by: None,
        created_at: t0(),
        last_used_at: None,
        revoked_at: None,
    };
    tx.insert_scim_token(&token).await.unwrap();
    assert_eq!(tx.scim_token_by_hash("h1").await.unwrap().as_ref(), Some(&token));
    assert_eq!(tx.scim_tokens(&acme.sid).await.unwrap(), vec![token.clone()]);
    tx.touch_scim_token(&token.sid, t0()).await.unwrap();
    assert_eq!(tx.revoke_scim_token(&rival.sid, &token.sid, t0()).await.unwrap(), 0, "scoped");
    assert_eq!(tx.revoke_scim_token(&acme.sid, &token.sid, t0()).await.unwrap(), 1);
    assert!(tx.scim_tokens(&acme.sid).await.unwrap().is_empty());
    assert_eq!(tx.scim_token_by_hash("h1").await.unwrap().unwrap().revoked_at, Some(t0()));

    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let erin = add_user(&mut *tx, "erin@acme.com", "Erin").await;
    let later = t0() + Duration::seconds(5);
    let mut attributes = serde_json::Map::new();
    attributes.insert("title".into(), "Agent".into());
    attributes.insert("phoneNumbers".into(), serde_json::json!([{ "value": "+1 555 0100", "type": "work" }]));
    let profile = ScimProfile {
        external_id: Some("ext-1".into()),
        given_name: Some("Dana".into()),
        family_name: None,
        attributes,
    };
    tx.put_scim_profile(&acme.sid, &dana.sid, &profile, later).await.unwrap();
    assert_eq!(tx.scim_profile(&dana.sid).await.unwrap(), Some(profile.clone()));
    assert_eq!(tx.user(&dana.sid).await.unwrap().unwrap().updated_at, later, "the user's version moves");
    let renamed =
        ScimProfile { family_name: Some("Scully".into()), attributes: serde_json::Map::new(), ..profile.clone() };
    tx.put_scim_profile(&acme.sid, &dana.sid, &renamed, later).await.unwrap();
    assert_eq!(tx.scim_profiles(&acme.sid).await.unwrap(), vec![(dana.sid.clone(), renamed)]);
    tx.put_scim_profile(&rival.sid, &erin.sid, &profile, later).await.unwrap();
    tx.set_user_status(&erin.sid, UserStatus::Deactivated, later).await.unwrap();
    assert_eq!(tx.user(&erin.sid).await.unwrap().unwrap().status, UserStatus::Deactivated);
    tx.commit().await.unwrap();

    // Last: on PostgreSQL a refused statement ends the transaction.
    let mut tx = store.write().await.unwrap();
    let refused = tx.put_scim_profile(&acme.sid, &erin.sid, &profile, later).await;
    assert!(matches!(&refused, Err(Error::Conflict(m)) if m.contains("externalId")), "{refused:?}");
}

pub async fn groups_hold_members_of_their_organization(store: Arc<dyn Store>) {
    use gatehouse_domain::group::Group;
    use gatehouse_domain::scim_filter::groups::GroupQuery;
    use gatehouse_domain::scim_filter::stored::Condition;
    use gatehouse_domain::sid::{GroupSid, UserSid};

    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let erin = add_user(&mut *tx, "erin@acme.com", "Erin").await;
    let group = |org: &gatehouse_domain::organization::Organization, name: &str, ext: Option<&str>| Group {
        sid: GroupSid::generate(),
        organization_sid: org.sid.clone(),
        display_name: name.into(),
        external_id: ext.map(str::to_owned),
        created_at: t0(),
        updated_at: t0(),
    };
    let eng = group(&acme, "Engineering", Some("g-1"));
    let ops = group(&acme, "Ops", None);
    tx.insert_group(&eng).await.unwrap();
    tx.insert_group(&ops).await.unwrap();
    tx.insert_group(&group(&rival, "Engineering", Some("g-1"))).await.unwrap();
    let all = GroupQuery { condition: Condition::Always(true), order: None, descending: false, offset: 0, limit: 10 };
    let mut both = vec![eng.clone(), ops.clone()];
    both.sort_by(|a, b| a.sid.cmp(&b.sid));
    assert_eq!(tx.scim_group_page(&acme.sid, &all).await.unwrap(), (both, 2));
    assert_eq!(tx.group(&rival.sid, &eng.sid).await.unwrap(), None, "scoped");
    let joined = tx.add_group_members(&eng.sid, &[dana.sid.clone(), erin.sid.clone()]).await.unwrap();
    assert_eq!(joined.len(), 2);
    tx.add_group_members(&ops.sid, std::slice::from_ref(&dana.sid)).await.unwrap();
    let again = tx.add_group_members(&eng.sid, std::slice::from_ref(&dana.sid)).await.unwrap();
    assert!(again.is_empty(), "adding a member again is no change");
    let members = |rows: Vec<(GroupSid, gatehouse_domain::user::User)>| -> Vec<(GroupSid, UserSid)> {
        rows.into_iter().map(|(g, u)| (g, u.sid)).collect()
    };
    let groups = [eng.sid.clone(), ops.sid.clone()];
    assert_eq!(tx.members_of(&groups).await.unwrap().len(), 3);
    let left = tx.remove_group_members(&eng.sid, &[dana.sid.clone(), dana.sid.clone()]).await.unwrap();
    assert_eq!(left, vec![dana.sid.clone()], "who left");
    let renamed = Group { display_name: "Platform".into(), updated_at: t0() + Duration::seconds(1), ..eng.clone() };
    tx.update_group(&renamed).await.unwrap();
    assert_eq!(tx.group(&acme.sid, &eng.sid).await.unwrap(), Some(renamed));
    let later = t0() + Duration::seconds(9);
    assert_eq!(tx.leave_all_groups(&dana.sid, later).await.unwrap(), 1);
    assert_eq!(tx.group(&acme.sid, &ops.sid).await.unwrap().unwrap().updated_at, later, "its version moved");
    assert_eq!(members(tx.members_of(&groups).await.unwrap()), vec![(eng.sid.clone(), erin.sid.clone())]);
    assert_eq!(tx.delete_group(&rival.sid, &eng.sid).await.unwrap(), 0, "scoped");
    assert_eq!(tx.delete_group(&acme.sid, &eng.sid).await.unwrap(), 1);
    assert!(tx.members_of(&groups).await.unwrap().is_empty(), "members go with the group");
    tx.commit().await.unwrap();

    // Last: on PostgreSQL a refused statement ends the transaction.
    let mut tx = store.write().await.unwrap();
    let refused = tx.insert_group(&group(&rival, "Again", Some("g-1"))).await;
    assert!(matches!(&refused, Err(Error::Conflict(m)) if m.contains("externalId")), "{refused:?}");
}

pub async fn oauth_apps_and_role_assignments_by_sid(store: Arc<dyn Store>) {
    use gatehouse_domain::oauth::{OAuthApp, OAuthAppOwner};
    use gatehouse_domain::role::AccountRole;
    use gatehouse_domain::sid::OAuthAppSid;

    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let app = OAuthApp {
        sid: OAuthAppSid::generate(),
        owner: OAuthAppOwner::Organization(acme.sid.clone()),
        name: "Terraform".into(),
        description: None,
        access_token_ttl: 3600,
        secret_hash: "h".into(),
        created_by: None,
        created_at: t0(),
        last_used_at: None,
        revoked_at: None,
    };
    tx.insert_oauth_app(&app).await.unwrap();
    assert_eq!(tx.oauth_app(&app.sid).await.unwrap().as_ref(), Some(&app));
    assert_eq!(tx.oauth_apps(&acme.sid).await.unwrap(), vec![app.clone()]);
    tx.touch_oauth_app(&app.sid, t0()).await.unwrap();
    let rivals = OAuthAppOwner::Organization(rival.sid.clone());
    assert_eq!(tx.revoke_oauth_app(&rivals, &app.sid, t0()).await.unwrap(), 0, "scoped");
    assert_eq!(tx.revoke_oauth_app(&app.owner, &app.sid, t0()).await.unwrap(), 1);
    assert!(tx.oauth_apps(&acme.sid).await.unwrap().is_empty());
    assert_eq!(tx.oauth_app(&app.sid).await.unwrap().unwrap().revoked_at, Some(t0()));

    // An account's app: described, with its token lifetime, changed and revoked by its account only.
    let payments = fixtures::add_account(&mut *tx, "Payments", Some(&acme.sid)).await;
    let mut mine = OAuthApp {
        sid: OAuthAppSid::generate(),
        owner: OAuthAppOwner::Account(payments.sid.clone()),
        description: Some("deploys".into()),
        access_token_ttl: 600,
        ..app.clone()
    };
    mine.revoked_at = None;
    tx.insert_oauth_app(&mine).await.unwrap();
    assert_eq!(tx.oauth_app(&mine.sid).await.unwrap().as_ref(), Some(&mine));
    assert!(tx.oauth_apps(&acme.sid).await.unwrap().is_empty(), "not the organization's");
    let changed = OAuthApp { name: "CD".into(), description: None, access_token_ttl: 120, ..mine.clone() };
    let theirs = OAuthApp { owner: OAuthAppOwner::Organization(acme.sid.clone()), ..changed.clone() };
    assert_eq!(tx.update_oauth_app(&theirs).await.unwrap(), 0, "the owner must match");
    assert_eq!(tx.update_oauth_app(&changed).await.unwrap(), 1);
    assert_eq!(tx.oauth_app(&mine.sid).await.unwrap().as_ref(), Some(&changed));
    assert_eq!(tx.revoke_oauth_app(&rivals, &mine.sid, t0()).await.unwrap(), 0, "scoped");
    assert_eq!(tx.revoke_oauth_app(&mine.owner, &mine.sid, t0()).await.unwrap(), 1);
    assert_eq!(tx.update_oauth_app(&changed).await.unwrap(), 0, "a revoked app stays as it was");

    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let main = fixtures::add_account(&mut *tx, "Main", Some(&acme.sid)).await;
    fixtures::grant(&mut *tx, &dana, AccountRole::Developer, &main).await;
    fixtures::grant(&mut *tx, &dana, AccountRole::Viewer, &main).await;
    let held = tx.all_user_assignments(&dana.sid).await.unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!(tx.role_assignment(&held[0].sid).await.unwrap().as_ref(), Some(&held[0]));
    assert_eq!(tx.delete_role_assignment(&held[0].sid).await.unwrap(), 1);
    assert_eq!(tx.role_assignment(&held[0].sid).await.unwrap(), None);
    assert_eq!(tx.all_user_assignments(&dana.sid).await.unwrap(), vec![held[1].clone()]);
    tx.commit().await.unwrap();
}

pub async fn custom_roles_are_defined_per_organization_and_assigned(store: Arc<dyn Store>) {
    use gatehouse_domain::custom_role::CustomRole;
    use gatehouse_domain::permission::{Permission, PermissionSet, ScopeKind};
    use gatehouse_domain::sid::RoleSid;
    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let role = CustomRole {
        sid: RoleSid::generate(),
        organization_sid: acme.sid.clone(),
        name: "Support lead".into(),
        description: "Reads logs and users".into(),
        kind: ScopeKind::Account,
        permissions: PermissionSet::of(&[Permission::LogsRead, Permission::UsersRead]),
        created_at: t0(),
        updated_at: t0(),
    };
    tx.insert_custom_role(&role).await.unwrap();
    assert_eq!(tx.custom_role(&role.sid).await.unwrap().as_ref(), Some(&role));
    assert_eq!(
        tx.custom_role(&gatehouse_domain::role::AccountRole::Viewer.sid()).await.unwrap(),
        None,
        "built-ins are not custom"
    );
    assert_eq!(tx.organization_custom_roles(&acme.sid).await.unwrap(), vec![role.clone()]);
    assert!(tx.organization_custom_roles(&rival.sid).await.unwrap().is_empty());
    let theirs = CustomRole { sid: RoleSid::generate(), organization_sid: rival.sid.clone(), ..role.clone() };
    tx.insert_custom_role(&theirs).await.unwrap();
    let both = tx.custom_roles_by_sids(&[role.sid.clone(), theirs.sid.clone(), RoleSid::generate()]).await.unwrap();
    assert_eq!(both.len(), 2);
    let edited = CustomRole {
        name: "Support".into(),
        permissions: PermissionSet::of(&[Permission::LogsRead]),
        updated_at: t0() + Duration::hours(1),
        ..role.clone()
    };
    tx.update_custom_role(&edited).await.unwrap();
    assert_eq!(tx.custom_role(&role.sid).await.unwrap(), Some(edited.clone()));
    let account = fixtures::add_account(&mut *tx, "Main", Some(&acme.sid)).await;
    let dana = fixtures::add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let scope = gatehouse_domain::membership::ScopeRef::Account(account.sid.clone());
    tx.insert_assignment(&gatehouse_domain::membership::RoleAssignment::new(
        role.sid.clone(),
        dana.sid.clone(),
        scope,
        t0(),
    ))
    .await
    .unwrap();
    assert_eq!(tx.role_assignment_count(&role.sid).await.unwrap(), 1);
    // A group's grant reaches its members at that scope only.
    let group = gatehouse_domain::group::Group {
        sid: gatehouse_domain::sid::GroupSid::generate(),
        organization_sid: acme.sid.clone(),
        display_name: "Support".into(),
        external_id: None,
        created_at: t0(),
        updated_at: t0(),
    };
    tx.insert_group(&group).await.unwrap();
    let sam = fixtures::add_user(&mut *tx, "sam@acme.com", "Sam").await;
    tx.add_group_members(&group.sid, std::slice::from_ref(&sam.sid)).await.unwrap();
    let at_account = gatehouse_domain::membership::ScopeRef::Account(account.sid.clone());
    let granted = gatehouse_domain::membership::GroupAssignment::new(
        role.sid.clone(),
        group.sid.clone(),
        at_account.clone(),
        t0(),
    );
    tx.insert_group_assignment(&granted).await.unwrap();
    assert_eq!(tx.user_group_grants(&sam.sid, std::slice::from_ref(&at_account)).await.unwrap(), vec![granted.clone()]);
    let elsewhere = gatehouse_domain::membership::ScopeRef::Organization(acme.sid.clone());
    assert!(tx.user_group_grants(&sam.sid, &[elsewhere]).await.unwrap().is_empty(), "at that scope only");
    assert!(
        tx.user_group_grants(&dana.sid, std::slice::from_ref(&at_account)).await.unwrap().is_empty(),
        "members only"
    );
    assert_eq!(tx.group_assignments(&group.sid).await.unwrap(), vec![granted.clone()]);
    assert_eq!(tx.group_assignment(&granted.sid).await.unwrap(), Some(granted.clone()));
    assert_eq!(tx.role_assignment_count(&role.sid).await.unwrap(), 2, "users' and groups' assignments");
    assert_eq!(tx.delete_assignments_of_role(&role.sid).await.unwrap(), 2);
    assert_eq!(tx.group_assignment(&granted.sid).await.unwrap(), None);
    assert_eq!(tx.delete_custom_role(&rival.sid, &role.sid).await.unwrap(), 0, "scoped to its organization");
    assert_eq!(tx.delete_custom_role(&acme.sid, &role.sid).await.unwrap(), 1);
    assert_eq!(tx.custom_role(&role.sid).await.unwrap(), None);
    tx.commit().await.unwrap();

    // Last: on PostgreSQL a refused statement ends the transaction.
    let mut tx = store.write().await.unwrap();
    let twin = CustomRole { sid: RoleSid::generate(), ..theirs.clone() };
    assert!(matches!(tx.insert_custom_role(&twin).await, Err(Error::Conflict(_))), "one name per organization");
}
