//! `Gatehouse-Access-Revision` on every answer: the access revision this node's permission
//! index includes. After a write, the index first catches up with the database, so the header
//! of an access change is the revision that includes it — what a caller passes as the check
//! API's `min_revision` to be answered with its change, on any node (ADR 0025).

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The header's name.
pub(crate) const ACCESS_REVISION: HeaderName = HeaderName::from_static("gatehouse-access-revision");

/// Catches the index up after a successful write and names its revision.
pub(crate) async fn note(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The check API's POSTs only read: they never wait for the database.
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !req.uri().path().starts_with("/api/v1/check");
    let mut response = next.run(req).await;
    let revision = if writes && (response.status().is_success() || response.status().is_redirection()) {
        match state.app.catch_up_access().await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "catching the permission index up after a write failed");
                state.app.access_revision()
            }
        }
    } else {
        state.app.access_revision()
    };
    response.headers_mut().insert(ACCESS_REVISION, HeaderValue::from(revision));
    response
}
