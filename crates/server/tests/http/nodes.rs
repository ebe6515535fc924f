//! Several nodes on one database: machine credentials are checked from each node's memory, and
//! a revocation on one node is refused by every other within a second.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::{
    Browser, Engine, create_key, key_status, key_status_at, on_both_engines, second_node, server, set_up,
};

async fn a_key_revoked_on_one_node_is_refused_by_another_within_a_second(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let account = set_up(&server, &owner).await;
    let (sid, secret) = create_key(&owner, &account, "CI").await;
    let other = second_node(&server).await;
    let other_base = format!("http://{}", other.addr);
    for _ in 0..3 {
        assert_eq!(key_status_at(&other_base, &sid, &secret).await, StatusCode::OK);
    }
    let (hits, _) = other.app.credential_cache_counts();
    assert!(hits >= 2, "the other node checked the key from memory ({hits} hits)");

    let keys = format!("/accounts/{account}/keys");
    owner.submit(&keys, &format!("{keys}/{sid}/revoke"), &[]).await;
    assert_eq!(key_status(&server, &sid, &secret).await, StatusCode::UNAUTHORIZED, "refused at once where revoked");
    let revoked = Instant::now();
    while key_status_at(&other_base, &sid, &secret).await != StatusCode::UNAUTHORIZED {
        assert!(revoked.elapsed() < Duration::from_secs(1), "the other node still accepts the revoked key");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    other.stop().await.unwrap();
}

on_both_engines!(a_key_revoked_on_one_node_is_refused_by_another_within_a_second);
