//! Gatehouse's HTTP surface: the axum router with the web pages (`web/`), health checks and
//! the request pipeline (request ids, tracing, timeouts, security headers).
//!
//! Handlers only authenticate (session cookie → `Actor`), call one `App` method and render.
//! Must not import sqlx or a concrete store.

mod access_revision;
mod api;
mod client_addr;
mod error;
mod health;
mod metrics;
mod scim;
mod twilio;
mod web;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use gatehouse_app::App;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use client_addr::ProxyRange;
pub use error::WebError;
pub use metrics::{Metrics, metrics_router};

/// Parses a SID taken from a URL path: a malformed one names nothing, so it is `NotFound`
/// (the 404 page, or each API's not-found error), never a validation error.
pub(crate) fn path_sid<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, gatehouse_domain::Error>,
) -> Result<T, gatehouse_domain::Error> {
    parse(raw).map_err(|_| gatehouse_domain::Error::NotFound)
}

/// The native API's OpenAPI 3.1 document (also served at `/openapi.json`).
pub fn openapi_document() -> serde_json::Value {
    api::document()
}

/// How the HTTP surface is configured.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Mark cookies `Secure` and send `Strict-Transport-Security` (set when the public URL is
    /// https).
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers name the client's address.
    pub trusted_proxies: Vec<ProxyRange>,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: HttpConfig,
    /// What the public router records for `/metrics` (served on its own listener).
    pub metrics: std::sync::Arc<Metrics>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole router with its middleware.
pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        })
        // One log line per answer is a synchronous write on every request; per-route counts and
        // latencies are on /metrics instead. Failures (5xx) are still logged at ERROR.
        .on_response(DefaultOnResponse::new().level(Level::DEBUG));
    // Only a server reached over https asks browsers to keep using https.
    let hsts = state.config.secure_cookies;
    let trusted = std::sync::Arc::new(state.config.trusted_proxies.clone());
    let metrics = state.metrics.clone();
    let security_headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        // Every answer is someone's own data, and some carry secrets (new keys, tokens, recovery
        // codes): nothing is kept by browsers or proxies. Static assets set their own caching.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts.then(|| HeaderValue::from_static("max-age=31536000")),
        ));
    // SCIM limits its own bodies and answers their errors in its own format.
    let limited = Router::new()
        .merge(health::routes())
        .nest("/api/v1", api::routes())
        .route("/openapi.json", axum::routing::get(api::openapi))
        .route("/api", axum::routing::get(api::reference_page))
        .merge(web::routes())
        .layer(RequestBodyLimitLayer::new(1024 * 1024));
    let mut router = Router::new()
        .merge(limited)
        .merge(scim::routes())
        .merge(twilio::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), access_revision::note))
        .with_state(state)
        .layer(axum::middleware::from_fn(error::add_request_id_to_error_pages))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::record));
    // Without trusted proxies the client is the TCP peer, which handlers read directly.
    if !trusted.is_empty() {
        router =
            router.layer(axum::middleware::from_fn(move |req, next| client_addr::record(trusted.clone(), req, next)));
    }
    router.layer(security_headers).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(trace)
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(CatchPanicLayer::new())
            .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30))),
    )
}
