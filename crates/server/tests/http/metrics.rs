//! `/metrics`: served in the Prometheus text format on its own listener only, with requests and
//! latency per route (the router's templates, so paths never multiply the series), the
//! database pool and rows read, and the outbox backlog.

use reqwest::StatusCode;

use crate::support::{Engine, Options, on_both_engines, server_with};

async fn metrics_are_served_apart_and_count_requests_per_route(engine: Engine) {
    let Some(server) = server_with(engine, Options { metrics: true, ..Options::default() }).await else { return };
    gatehouse_server::install_crypto_provider();
    let http = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(http.get(format!("{}/healthz", server.base)).send().await.unwrap().status(), StatusCode::OK);
    }
    for sid in ["AC0123456789abcdef0123456789abcdef", "ACfedcba9876543210fedcba9876543210"] {
        http.get(format!("{}/accounts/{sid}", server.base)).send().await.unwrap();
    }
    http.get(format!("{}/no/such/page/{}", server.base, 42)).send().await.unwrap();
    let public = http.get(format!("{}/metrics", server.base)).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND, "the public listener never serves /metrics");

    let at = server.running.metrics_addr.expect("metrics_listen was set");
    let scrape = http.get(format!("http://{at}/metrics")).send().await.unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    let content_type = scrape.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = scrape.text().await.unwrap();
    for expected in [
        "# TYPE gatehouse_http_requests_total counter",
        "gatehouse_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3",
        "gatehouse_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 3",
        "gatehouse_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 3",
        "# TYPE gatehouse_db_rows_read_total counter",
        "gatehouse_db_connections{state=\"idle\"}",
        "gatehouse_db_transactions_total",
        "gatehouse_outbox_backlog",
    ] {
        assert!(text.contains(expected), "{expected:?} is missing from:\n{text}");
    }
    // Both account paths are one series; the unknown path is `unmatched`, not its own.
    let accounts: Vec<&str> =
        text.lines().filter(|l| l.starts_with("gatehouse_http_requests_total") && l.contains("/accounts/")).collect();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert!(accounts[0].contains("route=\"/accounts/{sid}\"") && accounts[0].ends_with(" 2"), "{accounts:?}");
    assert!(text.contains("route=\"unmatched\""), "{text}");
    assert!(!text.contains("/no/such/page"), "a path that matched no route is not a label");
}

on_both_engines!(metrics_are_served_apart_and_count_requests_per_route);
