//! The people lists' search (ADR 0017): the start of an address or of a name.

use std::sync::Arc;

use gatehouse_domain::page::PageRequest;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, OrganizationSid};
use gatehouse_domain::store::{Store, Tx};

use crate::fixtures::{self, add_account, add_user, grant};

fn search(q: &str, after: Option<String>, limit: u32) -> PageRequest {
    PageRequest::new(after, Some(limit), Some(q.into())).unwrap()
}

/// The organization's users and the account's members that `q` finds (the same, here).
async fn found(tx: &mut dyn Tx, org: &OrganizationSid, account: &AccountSid, q: &str) -> Vec<String> {
    let mut emails: Vec<String> = tx
        .organization_users(org, &search(q, None, 50), None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|u| u.user.email.to_string())
        .collect();
    let mut members: Vec<String> = tx
        .account_members(account, None, &search(q, None, 50))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.user.email.to_string())
        .collect();
    emails.sort();
    members.sort();
    assert_eq!(emails, members, "the account's Users tab searches alike ({q})");
    emails
}

pub async fn people_search_matches_the_start_of_an_address_or_a_name(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let account = add_account(&mut *tx, "Managed", Some(&org.sid)).await;
    let mut managed = Vec::new();
    for (email, name) in [
        ("jane.doe@acme.com", "Jane Doe"),
        ("john@acme.com", "Johnny Smith"),
        ("smith@acme.com", "Ann Smith"),
        ("50%_off@acme.com", "Promo Desk"),
        ("asa@acme.com", "Åsa Berg"),
        ("JOANNA@acme.com", "joanna lower"),
        // Found by name only, two of the same name.
        ("zed@acme.com", "Jo Zed"),
        ("yves@acme.com", "jo zed"),
    ] {
        let user = fixtures::user(email, name, Some(&org.sid));
        tx.insert_user(&user, None).await.unwrap();
        grant(&mut *tx, &user, AccountRole::Viewer, &account).await;
        managed.push(user);
    }
    let contractor = add_user(&mut *tx, "jo.contractor@elsewhere.io", "Carl Contractor").await;
    grant(&mut *tx, &contractor, AccountRole::Developer, &account).await;
    let guest = add_user(&mut *tx, "zz@elsewhere.io", "Jo Guest").await;
    grant(&mut *tx, &guest, AccountRole::Viewer, &account).await;
    let stranger = add_user(&mut *tx, "joe@elsewhere.io", "Joe Stranger").await;
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    assert_eq!(
        found(&mut *tx, &org.sid, &account.sid, "JO").await,
        vec![
            "jo.contractor@elsewhere.io",
            "joanna@acme.com",
            "john@acme.com",
            "yves@acme.com",
            "zed@acme.com",
            "zz@elsewhere.io"
        ],
        "addresses and names starting with it, ASCII case folded, managed and independent users; never a stranger"
    );
    assert_eq!(
        found(&mut *tx, &org.sid, &account.sid, "smith").await,
        vec!["smith@acme.com"],
        "the middle of a name is not its start"
    );
    assert_eq!(
        found(&mut *tx, &org.sid, &account.sid, "ann smith").await,
        vec!["smith@acme.com"],
        "a name's start may span words"
    );
    assert_eq!(found(&mut *tx, &org.sid, &account.sid, "jane.d").await, vec!["jane.doe@acme.com"]);
    assert_eq!(found(&mut *tx, &org.sid, &account.sid, "50%_").await, vec!["50%_off@acme.com"], "no wildcards");
    assert_eq!(
        found(&mut *tx, &org.sid, &account.sid, "5_").await,
        Vec::<String>::new(),
        "`_` is a character, not a wildcard"
    );
    assert_eq!(found(&mut *tx, &org.sid, &account.sid, "Åsa").await, vec!["asa@acme.com"]);
    assert_eq!(
        found(&mut *tx, &org.sid, &account.sid, "åsa").await,
        Vec::<String>::new(),
        "only ASCII letters fold, on both engines"
    );
    assert_eq!(
        found(&mut *tx, &org.sid, &account.sid, "acme").await,
        Vec::<String>::new(),
        "the domain is not the start of an address"
    );

    // A search pages through those whose address starts with it, by address, then those whose
    // name only does, by folded name and SID (each an index's order): each user once, even when
    // both address and name match.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = tx.organization_users(&org.sid, &search("j", after.clone(), 1), None).await.unwrap();
        seen.extend(page.items.iter().map(|u| u.user.sid.clone()));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<_> = managed
        .iter()
        .chain([&contractor, &guest])
        .filter_map(|u| {
            let name = u.name.to_ascii_lowercase();
            if u.email.as_str().starts_with('j') {
                Some(((0, u.email.to_string()), u.sid.clone()))
            } else {
                name.starts_with('j').then(|| ((1, name), u.sid.clone()))
            }
        })
        .collect();
    expected.sort();
    let expected: Vec<_> = expected.into_iter().map(|(_, sid)| sid).collect();
    assert_eq!(seen.len(), 7, "four by address, three by name (a guest among them)");
    assert_eq!(seen, expected);
    let managed_only = tx.organization_users(&org.sid, &search("j", None, 50), Some(true)).await.unwrap();
    assert!(managed_only.items.iter().all(|u| u.managed) && managed_only.items.len() == 5);
    let _ = stranger;
    drop(tx);

    // A guest is searched by their address and name as they are now.
    let mut tx = store.write().await.unwrap();
    tx.set_user_name(&guest.sid, "Kim Guest", fixtures::t0()).await.unwrap();
    let renamed = gatehouse_domain::user::Email::parse("kim@elsewhere.io").unwrap();
    tx.set_user_email(&contractor.sid, &renamed, fixtures::t0()).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        found(&mut *tx, &org.sid, &account.sid, "jo").await,
        vec!["joanna@acme.com", "john@acme.com", "yves@acme.com", "zed@acme.com"]
    );
    assert_eq!(found(&mut *tx, &org.sid, &account.sid, "kim").await, vec!["kim@elsewhere.io", "zz@elsewhere.io"]);
}
