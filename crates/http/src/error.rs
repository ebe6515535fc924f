//! How a domain error becomes an HTML response: one exhaustive match, no catch-all.
//! Internal errors are logged and answered with a generic page that shows the request id.

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::Error;

/// An error raised by a page handler.
#[derive(Debug)]
pub struct WebError(pub Error);

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        WebError(e)
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError(Error::Internal(format!("template: {e}")))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
    request_id: &'a str,
    /// The *Why?* of a refusal: the permission missing, and what it allows.
    why: Option<(&'static str, &'static str)>,
}

/// Marks a response whose body must be re-rendered with the request id.
#[derive(Clone)]
struct InternalErrorMarker;

const INTERNAL_ID_SLOT: &str = "{{request-id}}";

fn page(status: StatusCode, title: &str, message: String) -> Response {
    let body = ErrorPage { status: status.as_u16(), title, message, request_id: "", why: None }
        .render()
        .unwrap_or_else(|_| title.to_owned());
    (status, Html(body)).into_response()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self.0 {
            Error::NotFound => page(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or you do not have access to it.".into(),
            ),
            Error::Forbidden => page(
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your role does not allow this. Ask an Owner or Administrator.".into(),
            ),
            Error::MissingPermission(p) => {
                let body = ErrorPage {
                    status: 403,
                    title: "Not allowed",
                    message: "Your roles here do not allow this. Ask an Owner or Administrator.".into(),
                    request_id: "",
                    why: Some((p.name(), p.description())),
                }
                .render()
                .unwrap_or_else(|_| "Not allowed".to_owned());
                (StatusCode::FORBIDDEN, Html(body)).into_response()
            }
            Error::Invalid { field, reason } => {
                page(StatusCode::UNPROCESSABLE_ENTITY, "Check your input", format!("{field}: {reason}"))
            }
            Error::Conflict(m) => page(StatusCode::CONFLICT, "Conflict", m),
            Error::Precondition(m) => page(StatusCode::CONFLICT, "Not possible right now", m),
            Error::Unauthenticated => Redirect::to("/signin").into_response(),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                let mut r = page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", INTERNAL_ID_SLOT.into());
                r.extensions_mut().insert(InternalErrorMarker);
                r
            }
        }
    }
}

/// Fills the request id into internal-error pages, so a user can quote it and an operator
/// can find the logged error.
pub(crate) async fn add_request_id_to_error_pages(req: Request, next: Next) -> Response {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("unknown").to_owned();
    let response = next.run(req).await;
    if response.extensions().get::<InternalErrorMarker>().is_none() {
        return response;
    }
    let message = format!("The error was logged. Quote this reference when you report it: {id}");
    let body = ErrorPage { status: 500, title: "Something went wrong", message, request_id: &id, why: None }
        .render()
        .unwrap_or_else(|_| "Something went wrong".into());
    (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
}
