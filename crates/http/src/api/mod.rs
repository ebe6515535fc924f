//! The native JSON API under `/api/v1` (SPEC §5.4), described by the OpenAPI document at
//! `/openapi.json` and the reference page `/api`, both generated from [`ENDPOINTS`].
//!
//! Callers authenticate with an API key (`SK…:secret` as HTTP Basic; it acts for its account
//! with the key's fixed permissions) or with a signed-in browser session (writes then carry
//! the session's CSRF token in `X-CSRF-Token`). Errors have one JSON shape with a stable code.

mod accounts;
mod billing;
mod bodies;
mod check;
mod docs;
mod keys;
mod org_bodies;
mod org_ownership;
mod orgs;
mod people;
mod roles;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use gatehouse_app::constant_time_eq;
use gatehouse_domain::Error;
use gatehouse_domain::page::{MAX_PAGE_SIZE, Page, PageRequest};
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::session::SessionStage;
use gatehouse_domain::sid::AccountSid;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(crate) use docs::{Answer, Endpoint, document, openapi, reference_page, schema};

use bodies::{
    AccountBody, EventBody, InvitationBody, InvoiceBody, KeyBody, List, MeBody, MemberBody, NewKeyBody, NoticeBody,
    OwnershipBody, Page as PageBody, PaymentMethodBody, RenamedKeyBody, RolesChangeBody,
};
use org_bodies::{
    AddedBody, DomainBody, OrgBody, OrgInvitationBody, OrgUserBody, OrgUserViewBody, PendingRequestBody, PreviewBody,
    ReportBody, RequestBody, RequestViewBody,
};

use crate::AppState;
use crate::web::{SESSION_COOKIE, client_ip, cookie};

const OWNER_ADMIN: &str = "Owner, Administrator";
const MEMBERS: &str = "any member of the account, API keys";
const KEYS: &str = "Owner, Administrator, Developer";
const BILLING: &str = "Owner, Administrator, Billing Manager";
const ORG_ADMINS: &str = "the organization's Owner and Administrators";

/// The one table of the API: each row registers its handler in [`routes`] and its entry in
/// [`ENDPOINTS`], from which the OpenAPI document and the reference page are built, so the
/// router and its description cannot drift apart.
macro_rules! api {
    ($($method:ident $path:literal => $handler:path, $tag:literal, $summary:literal, $body:expr, $answer:expr, $success:literal, $who:expr;)*) => {
        /// Every endpoint, in reference order.
        pub(crate) const ENDPOINTS: &[Endpoint] = &[
            $(Endpoint {
                method: stringify!($method),
                path: $path,
                summary: $summary,
                tag: $tag,
                body: $body,
                answer: $answer,
                success: $success,
                who: $who,
            }),*
        ];

        /// The API's routes, nested under `/api/v1`.
        pub(crate) fn routes() -> Router<AppState> {
            Router::new()
                $(.route($path, axum::routing::$method($handler)))*
                .fallback(|| async { ApiError::no_route() })
        }
    };
}

api! {
    post "/check" => check::check, "Permission checks", "May a user, API key or OAuth app use a permission on an account or the organization? Answered from memory, with every grant that allows it", Some(schema::<check::Question>), Answer::One(schema::<check::AnswerBody>), 200, "an OAuth app or an API key holding access.check, about its own organization";
    post "/check/batch" => check::batch, "Permission checks", "Up to 100 questions at once, answered in order", Some(schema::<check::Batch>), Answer::One(schema::<check::BatchAnswerBody>), 200, "an OAuth app or an API key holding access.check, about its own organization";
    get "/me" => accounts::me, "Accounts", "Who the credentials are", None, Answer::One(schema::<MeBody>), 200, "anyone authenticated";
    get "/accounts/{sid}" => accounts::show, "Accounts", "Fetch an account", None, Answer::One(schema::<AccountBody>), 200, MEMBERS;
    post "/accounts/{sid}" => accounts::rename, "Accounts", "Rename an account", Some(schema::<accounts::Rename>), Answer::One(schema::<AccountBody>), 200, OWNER_ADMIN;
    put "/accounts/{sid}/settings" => accounts::settings, "Accounts", "Replace the security settings", Some(schema::<accounts::Settings>), Answer::One(schema::<AccountBody>), 200, OWNER_ADMIN;
    post "/accounts/{sid}/suspend" => accounts::suspend, "Accounts", "Suspend an account", None, Answer::Nothing, 204, OWNER_ADMIN;
    post "/accounts/{sid}/reactivate" => accounts::reactivate, "Accounts", "Reactivate a suspended account", None, Answer::Nothing, 204, OWNER_ADMIN;
    post "/accounts/{sid}/close" => accounts::close, "Accounts", "Close an account for good (type its name)", Some(schema::<accounts::Close>), Answer::Nothing, 204, "Owner; a subaccount also its parent's Owner and Administrators";
    get "/accounts/{sid}/subaccounts" => accounts::subaccounts, "Accounts", "List subaccounts", None, Answer::Page(schema::<PageBody<AccountBody>>), 200, MEMBERS;
    post "/accounts/{sid}/subaccounts" => accounts::create_subaccount, "Accounts", "Create a subaccount", Some(schema::<accounts::Rename>), Answer::One(schema::<AccountBody>), 201, OWNER_ADMIN;
    get "/accounts/{sid}/events" => accounts::events, "Accounts", "List audit events, newest first", None, Answer::Page(schema::<PageBody<EventBody>>), 200, OWNER_ADMIN;
    get "/accounts/{sid}/users" => people::members, "Users", "List users and their roles", None, Answer::Page(schema::<PageBody<MemberBody>>), 200, OWNER_ADMIN;
    put "/accounts/{sid}/users/{user}/roles" => people::change_roles, "Users", "Replace a user's roles", Some(schema::<people::Roles>), Answer::One(schema::<RolesChangeBody>), 200, OWNER_ADMIN;
    delete "/accounts/{sid}/users/{user}" => people::remove, "Users", "Remove a user from the account (the API keys they created here are revoked unless kept)", None, Answer::Nothing, 204, OWNER_ADMIN;
    get "/accounts/{sid}/invitations" => people::invitations, "Users", "List pending invitations", None, Answer::Page(schema::<PageBody<InvitationBody>>), 200, OWNER_ADMIN;
    post "/accounts/{sid}/invitations" => people::invite, "Users", "Invite by email with roles", Some(schema::<people::Invite>), Answer::One(schema::<InvitationBody>), 201, OWNER_ADMIN;
    post "/accounts/{sid}/invitations/{invitation}/resend" => people::resend, "Users", "Send an invitation again with a new link", None, Answer::Nothing, 204, OWNER_ADMIN;
    delete "/accounts/{sid}/invitations/{invitation}" => people::revoke, "Users", "Revoke an invitation", None, Answer::Nothing, 204, OWNER_ADMIN;
    get "/accounts/{sid}/ownership" => people::ownership, "Ownership", "The pending ownership offer", None, Answer::One(schema::<OwnershipBody>), 200, MEMBERS;
    post "/accounts/{sid}/ownership" => people::nominate, "Ownership", "Offer ownership to a member", Some(schema::<people::Nominee>), Answer::Nothing, 204, "Owner";
    delete "/accounts/{sid}/ownership" => people::cancel_nomination, "Ownership", "Withdraw the offer", None, Answer::Nothing, 204, "Owner";
    post "/accounts/{sid}/ownership/accept" => people::accept_ownership, "Ownership", "Accept the offer (the nominee)", None, Answer::Nothing, 204, "the nominee";
    post "/accounts/{sid}/ownership/decline" => people::decline_ownership, "Ownership", "Decline the offer (the nominee)", None, Answer::Nothing, 204, "the nominee";
    get "/accounts/{sid}/keys" => keys::list, "API keys", "List API keys", None, Answer::Page(schema::<PageBody<KeyBody>>), 200, KEYS;
    post "/accounts/{sid}/keys" => keys::create, "API keys", "Create an API key (the secret is in this answer only), standard or restricted to some permissions", Some(schema::<keys::NewKey>), Answer::One(schema::<NewKeyBody>), 201, KEYS;
    post "/accounts/{sid}/keys/{key}" => keys::rename, "API keys", "Rename an API key", Some(schema::<keys::Name>), Answer::One(schema::<RenamedKeyBody>), 200, KEYS;
    delete "/accounts/{sid}/keys/{key}" => keys::revoke, "API keys", "Revoke an API key", None, Answer::Nothing, 204, KEYS;
    get "/accounts/{sid}/notifications" => billing::notifications, "Notifications", "Which roles receive which notices", None, Answer::One(schema::<List<NoticeBody>>), 200, MEMBERS;
    put "/accounts/{sid}/notifications/{category}" => billing::set_notifications, "Notifications", "Choose the roles for a category", Some(schema::<billing::Roles>), Answer::One(schema::<NoticeBody>), 200, OWNER_ADMIN;
    get "/accounts/{sid}/payment-methods" => billing::methods, "Billing", "List payment methods", None, Answer::One(schema::<List<PaymentMethodBody>>), 200, BILLING;
    post "/accounts/{sid}/payment-methods/cards" => billing::add_card, "Billing", "Add a card", Some(schema::<billing::Card>), Answer::One(schema::<PaymentMethodBody>), 201, BILLING;
    post "/accounts/{sid}/payment-methods/paypal" => billing::add_paypal, "Billing", "Add a PayPal account", Some(schema::<billing::Paypal>), Answer::One(schema::<PaymentMethodBody>), 201, BILLING;
    post "/accounts/{sid}/payment-methods/{method}/default" => billing::make_default, "Billing", "Make a payment method the default", None, Answer::Nothing, 204, BILLING;
    delete "/accounts/{sid}/payment-methods/{method}" => billing::remove, "Billing", "Remove a payment method", None, Answer::Nothing, 204, BILLING;
    get "/accounts/{sid}/invoices" => billing::invoices, "Billing", "List invoices, newest first", None, Answer::Page(schema::<PageBody<InvoiceBody>>), 200, BILLING;
    get "/accounts/{sid}/organization-request" => orgs::pending_request, "Ownership", "An organization's pending request about the account (its Owner sees it)", None, Answer::One(schema::<PendingRequestBody>), 200, MEMBERS;
    post "/accounts/{sid}/organization-request/accept" => orgs::accept_request, "Ownership", "Accept the organization's request (the Owner)", None, Answer::Nothing, 204, "the account's Owner";
    post "/accounts/{sid}/organization-request/decline" => orgs::decline_request, "Ownership", "Decline the organization's request (the Owner)", None, Answer::Nothing, 204, "the account's Owner";
    get "/orgs/{org}" => orgs::show, "Organizations", "Fetch an organization", None, Answer::One(schema::<OrgBody>), 200, ORG_ADMINS;
    put "/orgs/{org}/settings" => orgs::settings, "Organizations", "Replace name, invitation lifetime and the 2FA requirement", Some(schema::<orgs::OrgSettings>), Answer::One(schema::<OrgBody>), 200, ORG_ADMINS;
    get "/orgs/{org}/ownership" => org_ownership::show, "Organizations", "The pending offer of the organization's ownership", None, Answer::One(schema::<OwnershipBody>), 200, ORG_ADMINS;
    post "/orgs/{org}/ownership" => org_ownership::nominate, "Organizations", "Offer the organization to a managed Administrator", Some(schema::<people::Nominee>), Answer::Nothing, 204, "the organization's Owner";
    delete "/orgs/{org}/ownership" => org_ownership::cancel, "Organizations", "Withdraw the offer", None, Answer::Nothing, 204, "the organization's Owner";
    post "/orgs/{org}/ownership/accept" => org_ownership::accept, "Organizations", "Accept the offer (the nominee; the Owner becomes an Administrator)", None, Answer::Nothing, 204, "the nominee";
    post "/orgs/{org}/ownership/decline" => org_ownership::decline, "Organizations", "Decline the offer (the nominee)", None, Answer::Nothing, 204, "the nominee";
    get "/orgs/{org}/roles" => roles::list, "Roles", "List the built-in roles and the organization's custom roles", None, Answer::One(schema::<List<roles::RoleBody>>), 200, ORG_ADMINS;
    post "/orgs/{org}/roles" => roles::create, "Roles", "Define a custom role (never holding a permission you do not hold, nor an Owner's)", Some(schema::<roles::NewRole>), Answer::One(schema::<roles::RoleBody>), 201, ORG_ADMINS;
    get "/orgs/{org}/roles/{role}" => roles::show, "Roles", "Fetch a custom role", None, Answer::One(schema::<roles::RoleBody>), 200, ORG_ADMINS;
    post "/orgs/{org}/roles/{role}" => roles::update, "Roles", "Change a custom role's name, description and permissions (everyone holding it, at their next request)", Some(schema::<roles::RoleChange>), Answer::One(schema::<roles::RoleBody>), 200, ORG_ADMINS;
    delete "/orgs/{org}/roles/{role}" => roles::delete, "Roles", "Delete a custom role (end_assignments=true when it is assigned)", None, Answer::Nothing, 204, ORG_ADMINS;
    get "/orgs/{org}/events" => orgs::events, "Organizations", "List the organization's audit events, newest first", None, Answer::Page(schema::<PageBody<EventBody>>), 200, ORG_ADMINS;
    get "/orgs/{org}/domains" => orgs::domains, "Domains", "List domains", None, Answer::One(schema::<PageBody<DomainBody>>), 200, ORG_ADMINS;
    post "/orgs/{org}/domains" => orgs::add_domain, "Domains", "Add a domain (answers the TXT record to publish)", Some(schema::<orgs::NewDomain>), Answer::One(schema::<DomainBody>), 201, ORG_ADMINS;
    post "/orgs/{org}/domains/{domain}/verify" => orgs::verify_domain, "Domains", "Look the TXT record up now", None, Answer::One(schema::<DomainBody>), 200, ORG_ADMINS;
    delete "/orgs/{org}/domains/{domain}" => orgs::remove_domain, "Domains", "Remove a domain", None, Answer::Nothing, 204, ORG_ADMINS;
    get "/orgs/{org}/users" => orgs::users, "Organization users", "List users (kind=managed or independent)", None, Answer::Page(schema::<PageBody<OrgUserBody>>), 200, ORG_ADMINS;
    get "/orgs/{org}/users/{user}" => orgs::user, "Organization users", "Fetch a user with their roles on the organization's accounts", None, Answer::One(schema::<OrgUserViewBody>), 200, ORG_ADMINS;
    post "/orgs/{org}/users/{user}" => orgs::update_user, "Organization users", "Change a managed user's name, organization role or 2FA requirement", Some(schema::<orgs::UserChange>), Answer::One(schema::<OrgUserViewBody>), 200, ORG_ADMINS;
    post "/orgs/{org}/users/{user}/accounts" => orgs::add_to_account, "Organization users", "Add the user to one of the organization's accounts with roles", Some(schema::<orgs::AddToAccount>), Answer::One(schema::<AddedBody>), 201, ORG_ADMINS;
    post "/orgs/{org}/users/{user}/reset-password" => orgs::reset_password, "Organization users", "Force a password reset (sessions end; a link is emailed)", None, Answer::Nothing, 204, ORG_ADMINS;
    post "/orgs/{org}/users/{user}/deactivate" => orgs::deactivate, "Organization users", "Deactivate a managed user (sign-in refused, sessions end, their keys are revoked unless the organization keeps them; roles stay)", None, Answer::Nothing, 204, ORG_ADMINS;
    post "/orgs/{org}/users/{user}/reactivate" => orgs::reactivate, "Organization users", "Reactivate a deactivated managed user", None, Answer::Nothing, 204, ORG_ADMINS;
    get "/orgs/{org}/users/{user}/offboarding" => orgs::offboarding_preview, "Offboarding", "Preview what removing or deleting the user touches", None, Answer::One(schema::<PreviewBody>), 200, ORG_ADMINS;
    post "/orgs/{org}/users/{user}/remove" => orgs::remove_user, "Offboarding", "Remove the user from the organization (their login survives)", Some(schema::<orgs::Offboarding>), Answer::One(schema::<ReportBody>), 200, ORG_ADMINS;
    post "/orgs/{org}/users/{user}/delete" => orgs::delete_user, "Offboarding", "Delete the user and erase their personal data", Some(schema::<orgs::Offboarding>), Answer::One(schema::<ReportBody>), 200, ORG_ADMINS;
    get "/orgs/{org}/offboarding-reports" => orgs::reports, "Offboarding", "List offboarding reports, newest first", None, Answer::Page(schema::<PageBody<ReportBody>>), 200, ORG_ADMINS;
    get "/orgs/{org}/offboarding-reports/{report}" => orgs::report, "Offboarding", "Fetch an offboarding report", None, Answer::One(schema::<ReportBody>), 200, ORG_ADMINS;
    get "/orgs/{org}/invitations" => orgs::invitations, "Organization users", "List pending invitations to the organization", None, Answer::Page(schema::<PageBody<OrgInvitationBody>>), 200, ORG_ADMINS;
    post "/orgs/{org}/invitations" => orgs::invite, "Organization users", "Invite an address in a verified domain", Some(schema::<orgs::OrgInvite>), Answer::One(schema::<OrgInvitationBody>), 201, ORG_ADMINS;
    post "/orgs/{org}/invitations/{invitation}/resend" => orgs::resend, "Organization users", "Send an invitation again with a new link", None, Answer::Nothing, 204, ORG_ADMINS;
    delete "/orgs/{org}/invitations/{invitation}" => orgs::revoke, "Organization users", "Revoke an invitation", None, Answer::Nothing, 204, ORG_ADMINS;
    get "/orgs/{org}/accounts" => orgs::accounts, "Organization accounts", "List accounts (kind=managed or independent)", None, Answer::Page(schema::<PageBody<AccountBody>>), 200, ORG_ADMINS;
    post "/orgs/{org}/accounts" => orgs::create_account, "Organization accounts", "Create a managed account owned by the caller", Some(schema::<orgs::NewOrgAccount>), Answer::One(schema::<AccountBody>), 201, "the organization's Owner, Administrators and Standard Users";
    post "/orgs/{org}/accounts/{account}/remove" => orgs::remove_account, "Organization accounts", "Remove a managed account from the organization", None, Answer::Nothing, 204, ORG_ADMINS;
    post "/orgs/{org}/accounts/{account}/relinquish" => orgs::relinquish, "Organization accounts", "Give up access to an independent account", None, Answer::Nothing, 204, ORG_ADMINS;
    get "/orgs/{org}/account-requests" => orgs::requests, "Organization accounts", "List pending import and access requests", None, Answer::Page(schema::<PageBody<RequestViewBody>>), 200, ORG_ADMINS;
    post "/orgs/{org}/account-requests" => orgs::request, "Organization accounts", "Ask an account's Owner to import it or to give access", Some(schema::<orgs::NewRequest>), Answer::One(schema::<RequestBody>), 201, ORG_ADMINS;
    delete "/orgs/{org}/account-requests/{request}" => orgs::cancel_request, "Organization accounts", "Withdraw a pending request", None, Answer::Nothing, 204, ORG_ADMINS;
}

/// An error answered as `{"code", "message", "status", "field"?}` with a stable `code`.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl ApiError {
    fn no_route() -> Response {
        let body = bodies::ErrorBody {
            code: "no_route",
            message: "There is no such API endpoint; see /api.".into(),
            status: 404,
            field: None,
            missing_permission: None,
        };
        (StatusCode::NOT_FOUND, Json(body)).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut missing = None;
        let (status, code, message, field) = match self.0 {
            Error::NotFound => {
                (StatusCode::NOT_FOUND, "not_found", "No such resource, or no access to it.".into(), None)
            }
            Error::Forbidden => {
                (StatusCode::FORBIDDEN, "forbidden", "These credentials do not allow this.".into(), None)
            }
            Error::MissingPermission(p) => {
                missing = Some(p.name());
                let why = format!("These credentials do not allow this: it needs {} ({}).", p.name(), p.description());
                (StatusCode::FORBIDDEN, "forbidden", why, None)
            }
            Error::Invalid { field, reason } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", reason, Some(field)),
            Error::Conflict(m) => (StatusCode::CONFLICT, "conflict", m, None),
            Error::Precondition(m) => (StatusCode::CONFLICT, "precondition_failed", m, None),
            Error::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authenticate with an API key (HTTP Basic: key SID and secret) or a signed-in session.".into(),
                None,
            ),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong; it was logged.".into(), None)
            }
        };
        let body = bodies::ErrorBody { code, message, status: status.as_u16(), field, missing_permission: missing };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"gatehouse\""));
        }
        response
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// The caller: an API key (HTTP Basic) or a signed-in session (cookie; writes need the
/// session's CSRF token in `X-CSRF-Token`). A session must have finished signing in, confirmed
/// its email, and — inside an account that requires it — set up two-factor authentication.
pub(crate) struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if let Some(value) = authorization {
            let encoded = value.strip_prefix("Basic ").ok_or(ApiError(Error::Unauthenticated))?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(ApiError(Error::Unauthenticated))?;
            let (user, secret) = decoded.split_once(':').ok_or(ApiError(Error::Unauthenticated))?;
            let actor = state.app.authenticate_api_key(user, secret, client_ip(parts)).await?;
            return Ok(ApiActor(actor));
        }
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(ApiError(Error::Unauthenticated))?;
        let (user, session) = state.app.authenticate(&token).await?;
        if session.stage != SessionStage::Full || !user.email_verified() {
            return Err(ApiError(Error::Unauthenticated));
        }
        if parts.method != Method::GET {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if !constant_time_eq(sent, &session.csrf_token) {
                return Err(ApiError(Error::Forbidden));
            }
        }
        let account = parts
            .uri
            .path()
            .strip_prefix("/api/v1/accounts/")
            .and_then(|rest| AccountSid::parse(rest.split('/').next().unwrap_or_default()).ok());
        if state.app.must_enrol_two_factor(&user, account.as_ref()).await? {
            return Err(ApiError(Error::Precondition(
                "Two-factor authentication is required here: set it up on your Security page first.".into(),
            )));
        }
        Ok(ApiActor(Actor::user(user.sid, client_ip(parts))))
    }
}

/// A JSON body whose problems come back as `invalid` errors in the API's shape.
pub(crate) struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError(Error::invalid("body", "send JSON with Content-Type: application/json")))
            }
            Err(e) => Err(ApiError(Error::invalid("body", e.body_text()))),
        }
    }
}

/// A whole number sent as an integer or as a float without a fraction (`42.0`, which JSON
/// Schema counts as an integer too).
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    n.as_u64()
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX)).map(|f| f as u64))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("expected a whole number, found {n}")))
}

/// `?q=&after=&page_size=` on list endpoints.
#[derive(Deserialize, Default)]
pub(crate) struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
    /// Parsed by [`ListParams::page`], so that a bad value is the API's `invalid` error.
    #[serde(default)]
    page_size: String,
    /// A list's tab, where it has tabs (`managed`, `independent`).
    #[serde(default)]
    kind: String,
    /// An account's users: only those holding this role (a role key).
    #[serde(default)]
    role: String,
}

impl ListParams {
    /// The role asked for (`role=`), if any.
    pub(crate) fn role(&self) -> Result<Option<AccountRole>, ApiError> {
        if self.role.is_empty() {
            return Ok(None);
        }
        Ok(Some(AccountRole::parse_key(&self.role).map_err(|_| {
            Error::invalid("role", "one of owner, administrator, developer, billing_manager, support, viewer")
        })?))
    }

    /// The tab asked for (`kind=`), or empty.
    pub(crate) fn kind(&self) -> &str {
        &self.kind
    }

    pub(crate) fn page(&self) -> Result<PageRequest, ApiError> {
        let search = Some(self.q.clone()).filter(|q| !q.is_empty());
        let size = match self.page_size.trim() {
            "" => None,
            raw => Some(raw.parse::<u32>().ok().filter(|n| (1..=MAX_PAGE_SIZE).contains(n)).ok_or_else(|| {
                Error::invalid("page_size", format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"))
            })?),
        };
        Ok(PageRequest::new(Some(self.after.clone()), size, search)?)
    }
}

/// A page as `{"items": [...], "next_after": …}` ([`bodies::Page`]).
pub(crate) fn page_json<B, T>(page: &Page<T>) -> Response
where
    B: for<'a> From<&'a T> + Serialize,
{
    Json(bodies::Page::of(page, |item| B::from(item))).into_response()
}

/// `200 OK` with a JSON body.
pub(crate) fn ok(body: impl Serialize) -> Response {
    Json(body).into_response()
}

/// `201 Created` with a JSON body.
pub(crate) fn created(body: impl Serialize) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// `204 No Content`.
pub(crate) fn done() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Parses a SID from the path; a malformed one is simply not found.
pub(crate) fn sid<T>(raw: &str, parse: impl Fn(&str) -> Result<T, Error>) -> Result<T, ApiError> {
    Ok(crate::path_sid(raw, parse)?)
}

/// A query string whose problems come back as `invalid` errors in the API's shape (axum's own
/// rejection is plain text).
pub(crate) struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Params(v))
            .map_err(|e| ApiError(Error::invalid("query", e.body_text())))
    }
}
