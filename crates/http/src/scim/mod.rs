//! SCIM 2.0 (RFC 7643/7644) at `/scim/v2`, for identity providers, with an organization's
//! bearer token; the same engine answers Twilio's `/Organizations/{OR…}/scim/Users`. Errors,
//! bodies and size limits are SCIM's own: `application/scim+json`, the Error schema with a
//! `scimType` (and, on Twilio's path only, Twilio's `code` and `moreInfo`), 405 on methods a
//! resource does not support.

mod discovery;
mod groups;
mod list;
mod patch;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gatehouse_domain::Error;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::sid::OrganizationSid;
use serde_json::{Value, json};

use crate::AppState;

/// The largest request body accepted (no bulk operations), advertised nowhere else.
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// The most resources one list answers.
pub(crate) const MAX_RESULTS: usize = 200;

pub(crate) const CONTENT_TYPE: &str = "application/scim+json";
pub(crate) use gatehouse_domain::scim::{GROUP_SCHEMA, USER_SCHEMA};
pub(crate) const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub(crate) const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub(crate) const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The routes: `/scim/v2/…` and Twilio's `/Organizations/{org}/scim/…`.
pub(crate) fn routes() -> Router<AppState> {
    let users = || {
        Router::new()
            .route("/Users", get(users::list).post(users::create).fallback(not_allowed))
            .route("/Users/.search", post(users::search).fallback(not_allowed))
            .route(
                "/Users/{id}",
                get(users::fetch).put(users::replace).patch(users::patch).delete(users::delete).fallback(not_allowed),
            )
            .route("/Groups", get(groups::list).post(groups::create).fallback(not_allowed))
            .route("/Groups/.search", post(groups::search).fallback(not_allowed))
            .route(
                "/Groups/{id}",
                get(groups::fetch)
                    .put(groups::replace)
                    .patch(groups::patch)
                    .delete(groups::delete)
                    .fallback(not_allowed),
            )
            .route("/ServiceProviderConfig", get(discovery::service_provider_config).fallback(not_allowed))
            .route("/Schemas", get(discovery::schemas).fallback(not_allowed))
            .route("/Schemas/{id}", get(discovery::schema).fallback(not_allowed))
            .route("/ResourceTypes", get(discovery::resource_types).fallback(not_allowed))
            .route("/ResourceTypes/{id}", get(discovery::resource_type).fallback(not_allowed))
            // A search across every resource type (RFC 7644 §3.4.3) is not offered: each
            // type has its own `.search`.
            .route("/.search", post(root_search).fallback(not_allowed))
            .fallback(no_route)
    };
    Router::new()
        .nest("/scim/v2", users())
        .nest("/Organizations/{org}/scim", users().layer(axum::middleware::map_response(with_twilio_error_code)))
}

/// A SCIM error answer.
#[derive(Debug)]
pub(crate) struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    /// Twilio's code for this error on its path, where it is not the status's usual one.
    pub twilio_code: Option<u32>,
}

impl ScimError {
    pub(crate) fn new(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError { status, scim_type, detail: detail.into(), twilio_code: None }
    }

    pub(crate) fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => Self::new(StatusCode::NOT_FOUND, None, "Resource not found"),
            Error::Forbidden => Self::new(StatusCode::FORBIDDEN, None, "This token does not allow that"),
            Error::MissingPermission(p) => {
                Self::new(StatusCode::FORBIDDEN, None, format!("This token does not allow that: it needs {}", p.name()))
            }
            Error::Unauthenticated => {
                Self::new(StatusCode::UNAUTHORIZED, None, "Send the organization's SCIM token as Authorization: Bearer")
            }
            Error::Invalid { field, reason } => Self::bad("invalidValue", format!("{field}: {reason}")),
            Error::Conflict(m) => {
                // Twilio documents its own code for a taken externalId.
                let twilio_code = (m == gatehouse_domain::scim::EXTERNAL_ID_TAKEN).then_some(25022);
                ScimError { twilio_code, ..Self::new(StatusCode::CONFLICT, Some("uniqueness"), m) }
            }
            Error::Precondition(m) if m.starts_with("Version conflict") => {
                Self::new(StatusCode::PRECONDITION_FAILED, None, m)
            }
            Error::Precondition(m) => Self::new(StatusCode::CONFLICT, None, m),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "Something went wrong; it was logged")
            }
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        // Twilio's SCIM errors also carry its numeric code and link, which its SDK reports.
        let code = self.twilio_code.unwrap_or(match self.status.as_u16() {
            400 => 20001,
            401 => 20003,
            403 => 20403,
            404 => 20404,
            409 | 412 => 20409,
            413 => 20413,
            other => u32::from(other),
        });
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::from(t);
        }
        let mut response = scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scim\""));
        }
        response.extensions_mut().insert(TwilioErrorCode { code, body });
        response
    }
}

/// What a SCIM error adds on Twilio's path: its numeric code, which Twilio's SDK reports. The
/// Error resource of `/scim/v2` has only RFC 7644's members, as strict SCIM clients require.
#[derive(Clone)]
struct TwilioErrorCode {
    code: u32,
    body: Value,
}

/// On Twilio's SCIM path, a SCIM error's body with Twilio's `code` and `moreInfo` added.
async fn with_twilio_error_code(response: Response) -> Response {
    let Some(TwilioErrorCode { code, mut body }) = response.extensions().get::<TwilioErrorCode>().cloned() else {
        return response;
    };
    body["code"] = Value::from(code);
    body["moreInfo"] = Value::from(format!("https://www.twilio.com/docs/errors/{code}"));
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

pub(crate) type ScimResult = Result<Response, ScimError>;

/// A JSON answer with SCIM's content type.
pub(crate) fn scim_json(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))], body.to_string()).into_response()
}

/// A resource answer: SCIM JSON showing the attributes `projection` asks for (RFC 7644 §3.9,
/// on every answer that carries a resource), with its version as `ETag`, and `Location` when
/// created, whatever the projection leaves out.
pub(crate) fn resource_response(status: StatusCode, body: &Value, projection: &list::Projection) -> Response {
    let mut response = scim_json(status, &projection.apply(body.clone()));
    if let Some(v) = body["meta"]["version"].as_str().and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Some(l) = body["meta"]["location"].as_str().and_then(|v| HeaderValue::from_str(v).ok())
    {
        response.headers_mut().insert(header::LOCATION, l);
    }
    response
}

/// The `If-Match` header, if sent.
pub(crate) fn if_match(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned())
}

async fn not_allowed() -> ScimError {
    ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, "This method is not supported on this resource")
}

async fn root_search() -> ScimError {
    ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "A search across all resource types is not supported: POST /Users/.search or /Groups/.search",
    )
}

async fn no_route() -> ScimError {
    ScimError::new(StatusCode::NOT_FOUND, None, "There is no such SCIM endpoint")
}

/// The identity provider: a SCIM token (or an OAuth app's access token) as `Authorization:
/// Bearer`, and the organization it provisions (on the Twilio path, the path's organization
/// must be the token's).
pub(crate) struct Provisioner {
    pub actor: Actor,
    pub org: OrganizationSid,
    /// `""` for `/scim/v2`, or `/Organizations/{OR}/scim`: where this resource lives.
    pub prefix: String,
    /// Twilio's path answers version conflicts with 409, as its SDK expects.
    pub twilio: bool,
}

impl Provisioner {
    /// Version conflicts: 412 on `/scim/v2` (RFC 7644), 409 on Twilio's path (its contract).
    pub(crate) fn conflict(&self, e: ScimError) -> ScimError {
        if self.twilio && e.status == StatusCode::PRECONDITION_FAILED {
            ScimError { status: StatusCode::CONFLICT, ..e }
        } else {
            e
        }
    }
}

impl FromRequestParts<AppState> for Provisioner {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The organization's SCIM token, or an OAuth app's access token (Twilio's SDK).
        let (actor, org) = crate::twilio::bearer(state, parts).await?;
        // Nested routers see a shortened path; the request's own is kept aside.
        let original = parts.extensions.get::<axum::extract::OriginalUri>().map(|o| o.0.clone());
        let path = original.as_ref().map_or(parts.uri.path(), |u| u.path());
        let (prefix, twilio) = match path.strip_prefix("/Organizations/") {
            Some(rest) => {
                let in_path = rest.split('/').next().unwrap_or_default();
                if in_path != org.as_str() {
                    return Err(Error::NotFound.into());
                }
                (format!("/Organizations/{org}/scim"), true)
            }
            None => ("/scim/v2".to_owned(), false),
        };
        Ok(Provisioner { actor, org, prefix, twilio })
    }
}

/// A JSON body of at most [`MAX_BODY`] bytes; anything else is a SCIM error.
pub(crate) struct ScimBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for ScimBody {
    type Rejection = ScimError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let too_large = || {
            ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("The request body is larger than {MAX_BODY} bytes"),
            )
        };
        if req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n > MAX_BODY)
        {
            return Err(too_large());
        }
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_BODY).await.map_err(|_| too_large())?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ScimError::bad("invalidSyntax", format!("The body is not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(ScimError::bad("invalidSyntax", "The body must be a JSON object"));
        }
        Ok(ScimBody(value))
    }
}
