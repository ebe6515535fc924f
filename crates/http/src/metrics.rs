//! `GET /metrics` in the Prometheus text format (version 0.0.4). It is served only on its own
//! listener (`metrics_listen`), never on the public one: requests and latency per route and
//! status, the database pool and the rows its queries read, and the email outbox's backlog.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gatehouse_app::App;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct Series {
    count: u64,
    seconds: f64,
    /// How many requests took at most each bucket's bound (not cumulative here).
    buckets: [u64; BUCKETS.len()],
}

/// Requests seen by the public listener, per (method, route, status). Routes are the router's
/// templates (`/accounts/{sid}`), so the number of series stays bounded whatever the paths.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let Ok(mut series) = self.series.lock() else { return };
        let s = series.entry((method.to_owned(), route.to_owned(), status)).or_default();
        s.count += 1;
        s.seconds += seconds;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            s.buckets[i] += 1;
        }
    }

    fn render_requests(&self, out: &mut String) {
        let Ok(series) = self.series.lock() else { return };
        out.push_str("# HELP gatehouse_http_requests_total Requests answered, by method, route and status.\n");
        out.push_str("# TYPE gatehouse_http_requests_total counter\n");
        for ((method, route, status), s) in series.iter() {
            let _ = writeln!(
                out,
                "gatehouse_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count
            );
        }
        out.push_str("# HELP gatehouse_http_request_duration_seconds Time to answer, by method and route.\n");
        out.push_str("# TYPE gatehouse_http_request_duration_seconds histogram\n");
        let mut by_route: BTreeMap<(&str, &str), Series> = BTreeMap::new();
        for ((method, route, _), s) in series.iter() {
            let sum = by_route.entry((method, route)).or_default();
            sum.count += s.count;
            sum.seconds += s.seconds;
            for (a, b) in sum.buckets.iter_mut().zip(s.buckets) {
                *a += b;
            }
        }
        for ((method, route), s) in by_route {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "gatehouse_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(out, "gatehouse_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "gatehouse_http_request_duration_seconds_sum{{{labels}}} {}", s.seconds);
            let _ = writeln!(out, "gatehouse_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The middleware that records every request of the public router.
pub(crate) async fn record(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(&method, &route, response.status().as_u16(), started.elapsed());
    response
}

#[derive(Clone)]
struct MetricsState {
    app: App,
    metrics: Arc<Metrics>,
}

/// The router of the metrics listener: `GET /metrics` only.
pub fn metrics_router(app: App, metrics: Arc<Metrics>) -> Router {
    Router::new().route("/metrics", axum::routing::get(scrape)).with_state(MetricsState { app, metrics })
}

async fn scrape(State(state): State<MetricsState>) -> Response {
    let mut out = String::new();
    state.metrics.render_requests(&mut out);
    let db = state.app.store_stats();
    let gauge = |out: &mut String, name: &str, kind: &str, help: &str, value: String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    gauge(
        &mut out,
        "gatehouse_db_rows_read_total",
        "counter",
        "Rows the database queries have read.",
        db.rows_read.to_string(),
    );
    let _ = writeln!(
        out,
        "# HELP gatehouse_db_connections Database pool connections, by state.\n# TYPE gatehouse_db_connections gauge\n\
         gatehouse_db_connections{{state=\"in_use\"}} {}\ngatehouse_db_connections{{state=\"idle\"}} {}",
        db.connections.saturating_sub(db.idle_connections),
        db.idle_connections
    );
    gauge(&mut out, "gatehouse_db_transactions_total", "counter", "Transactions begun.", db.transactions.to_string());
    gauge(
        &mut out,
        "gatehouse_db_begin_wait_seconds_total",
        "counter",
        "Time spent waiting for a connection (and, on SQLite, the write lock) to begin transactions.",
        (db.begin_wait_micros as f64 / 1e6).to_string(),
    );
    let (hits, misses) = state.app.credential_cache_counts();
    let _ = writeln!(
        out,
        "# HELP gatehouse_credential_cache_lookups_total Credential checks, answered from memory (hit) or the store (miss).\n\
         # TYPE gatehouse_credential_cache_lookups_total counter\n\
         gatehouse_credential_cache_lookups_total{{result=\"hit\"}} {hits}\n\
         gatehouse_credential_cache_lookups_total{{result=\"miss\"}} {misses}"
    );
    match state.app.outbox_backlog().await {
        Ok(n) => gauge(&mut out, "gatehouse_outbox_backlog", "gauge", "Emails waiting to be sent.", n.to_string()),
        Err(e) => tracing::warn!(error = ?e, "metrics: cannot count the outbox"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
