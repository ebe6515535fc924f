//! The permission-check index's store methods: every access change is noted with a revision in
//! its own transaction (by the database, so no write path can forget one), rolled-back changes
//! note nothing, and the rows come back whole or for one changed subject.

use std::sync::Arc;

use gatehouse_domain::access_index::{AccessSubject, AssignmentIn, ScopeBits, sid_bits};
use gatehouse_domain::group::Group;
use gatehouse_domain::membership::{GroupAssignment, RoleAssignment, ScopeRef};
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::GroupSid;
use gatehouse_domain::store::Store;

use crate::fixtures::{self, add_account, add_user, t0};

fn b(sid: &str) -> u128 {
    sid_bits(sid).unwrap()
}

pub async fn access_changes_are_noted_with_a_revision_and_rows_read_per_subject(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let start = tx.access_revision().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let parent = add_account(&mut *tx, "Main", Some(&org.sid)).await;
    let child = fixtures::account("Child", Some(&org.sid), Some(&parent.sid));
    tx.insert_account(&child).await.unwrap();
    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let group = Group {
        sid: GroupSid::generate(),
        organization_sid: org.sid.clone(),
        display_name: "Support".into(),
        external_id: None,
        created_at: t0(),
        updated_at: t0(),
    };
    tx.insert_group(&group).await.unwrap();
    let viewer = RoleAssignment {
        with_subaccounts: true,
        ..RoleAssignment::new(AccountRole::Viewer.sid(), dana.sid.clone(), ScopeRef::Account(parent.sid.clone()), t0())
    };
    tx.insert_assignment(&viewer).await.unwrap();
    let support =
        GroupAssignment::new(AccountRole::Support.sid(), group.sid.clone(), ScopeRef::Account(child.sid.clone()), t0());
    tx.insert_group_assignment(&support).await.unwrap();
    tx.add_group_members(&group.sid, std::slice::from_ref(&dana.sid)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let revision = tx.access_revision().await.unwrap();
    let changes = tx.access_changes(start, 100).await.unwrap();
    assert_eq!(revision - start, changes.len() as u64, "one revision per change");
    let revisions: Vec<u64> = changes.iter().map(|(r, _)| *r).collect();
    assert_eq!(revisions, ((start + 1)..=revision).collect::<Vec<_>>(), "numbered without gaps, in order");
    let subjects: Vec<&AccessSubject> = changes.iter().map(|(_, s)| s).collect();
    for wanted in [
        AccessSubject::Account(parent.sid.to_string()),
        AccessSubject::Account(child.sid.to_string()),
        AccessSubject::User(dana.sid.to_string()),
        AccessSubject::Group(group.sid.to_string()),
    ] {
        assert!(subjects.contains(&&wanted), "{wanted:?} is noted");
    }
    assert_eq!(tx.access_changes(start, 2).await.unwrap().len(), 2, "bounded");

    let all = tx.access_rows(None).await.unwrap();
    assert!(all.accounts.iter().any(|a| a.sid == b(child.sid.as_str()) && a.parent == Some(b(parent.sid.as_str()))));
    let expected = AssignmentIn {
        sid: b(viewer.sid.as_str()),
        role: b(AccountRole::Viewer.sid().as_str()),
        holder: b(dana.sid.as_str()),
        scope: ScopeBits::Account(b(parent.sid.as_str())),
        with_subaccounts: true,
    };
    assert!(all.user_assignments.contains(&expected));
    assert!(
        all.group_assignments.iter().any(|a| a.sid == b(support.sid.as_str()) && a.holder == b(group.sid.as_str()))
    );
    assert!(all.memberships.contains(&(b(group.sid.as_str()), b(dana.sid.as_str()))));

    let hers = tx.access_rows(Some(&AccessSubject::User(dana.sid.to_string()))).await.unwrap();
    assert_eq!(hers.user_assignments, vec![expected]);
    assert_eq!(hers.memberships.len(), 1);
    assert!(hers.accounts.is_empty() && hers.group_assignments.is_empty(), "only what the subject is");
    let its = tx.access_rows(Some(&AccessSubject::Group(group.sid.to_string()))).await.unwrap();
    assert_eq!((its.groups.len(), its.group_assignments.len(), its.memberships.len()), (1, 1, 0));
    drop(tx);

    // A deactivated user holds nothing; the change is noted.
    let mut tx = store.write().await.unwrap();
    tx.set_user_status(&dana.sid, gatehouse_domain::user::UserStatus::Deactivated, t0()).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.access_revision().await.unwrap(), revision + 1);
    let hers = tx.access_rows(Some(&AccessSubject::User(dana.sid.to_string()))).await.unwrap();
    assert!(hers.user_assignments.is_empty() && hers.memberships.is_empty());
    drop(tx);

    // A rolled-back change notes nothing; pruning forgets the old changes.
    let mut tx = store.write().await.unwrap();
    tx.delete_role_assignment(&viewer.sid).await.unwrap();
    drop(tx);
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.access_revision().await.unwrap(), revision + 1);
    assert_eq!(tx.prune_access_changes(revision).await.unwrap(), revision);
    assert_eq!(tx.access_changes(0, 100).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
}
