//! Server-rendered pages (askama): plain HTML forms, POST → redirect → GET, CSRF on every form.
//! Shared pieces live here: the layout, form decoding, cookies, the signed-in user extractor.

mod access;
mod accounts;
mod billing;
mod domains;
mod invitations;
mod keys;
mod me;
mod members;
mod notifications;
mod operator;
mod org_accounts;
mod org_invitations;
mod org_users;
mod organizations;
mod outbox;
mod recovery;
mod roles;
mod scim_tokens;
mod self_deletion;
mod session;
mod sign_in;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use gatehouse_domain::Error;
use gatehouse_domain::page::Page;

use crate::AppState;

pub(crate) use session::{CurrentUser, FormData, SESSION_COOKIE, client_ip, cookie};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(sign_in::home))
        .route("/setup", get(sign_in::setup_form).post(sign_in::setup_submit))
        .route("/signin", get(sign_in::sign_in_form).post(sign_in::sign_in_submit))
        .route("/signup", get(sign_in::sign_up_form).post(sign_in::sign_up_submit))
        .route("/signout", post(sign_in::sign_out))
        .route("/signin/2fa", get(recovery::second_factor_form).post(recovery::second_factor_submit))
        .route("/verify-email", get(recovery::verify_email))
        .route("/verify-email/resend", post(recovery::resend_verification))
        .route("/password/forgot", get(recovery::forgot_form).post(recovery::forgot_submit))
        .route("/password/reset", get(recovery::reset_form).post(recovery::reset_submit))
        .route("/me", get(me::show))
        .route("/operator", get(operator::show))
        .route("/operator/banner", post(operator::post_banner))
        .route("/operator/banner/withdraw", post(operator::withdraw_banner))
        .route("/me/delete", get(self_deletion::form).post(self_deletion::submit))
        .route("/me/password", post(me::change_password))
        .route("/me/email", post(me::change_email))
        .route("/me/sessions/revoke", post(me::revoke_session))
        .route("/me/sessions/revoke-others", post(me::revoke_other_sessions))
        .route("/me/2fa", get(me::two_factor_setup))
        .route("/me/2fa/totp", post(me::confirm_totp))
        .route("/me/2fa/sms", post(me::start_sms))
        .route("/me/2fa/sms/confirm", post(me::confirm_sms))
        .route("/me/2fa/disable", post(me::disable_two_factor))
        .route("/me/recovery-codes", post(me::regenerate_recovery_codes))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/new", get(accounts::new_form))
        .route("/accounts/{sid}", get(accounts::show))
        .route("/accounts/{sid}/settings", post(accounts::save_settings))
        .route("/accounts/{sid}/auth-token", post(accounts::rotate_auth_token))
        .route("/accounts/{sid}/status/{action}", post(accounts::change_status))
        .route("/accounts/{sid}/outbox", get(outbox::account))
        .route("/accounts/{sid}/keys", get(keys::list).post(keys::create))
        .route("/accounts/{sid}/notifications", get(notifications::show).post(notifications::save))
        .route("/accounts/{sid}/billing", get(billing::show))
        .route("/accounts/{sid}/billing/cards", post(billing::add_card))
        .route("/accounts/{sid}/billing/paypal", post(billing::add_paypal))
        .route("/accounts/{sid}/billing/methods/{method}/{action}", post(billing::change))
        .route("/accounts/{sid}/keys/{key}/{action}", post(keys::change))
        .route("/accounts/{sid}/users", get(members::list))
        .route("/accounts/{sid}/access", get(access::account))
        .route("/accounts/{sid}/invitations", get(invitations::list).post(members::invite))
        .route("/accounts/{sid}/invitations/{invitation}/resend", post(invitations::resend))
        .route("/accounts/{sid}/invitations/{invitation}/revoke", post(invitations::revoke))
        .route("/invitations/accept", get(invitations::show).post(invitations::accept))
        .route("/invitations/accept/new", post(invitations::accept_new))
        .route("/accounts/{sid}/users/{user}/roles", post(members::change_roles))
        .route("/accounts/{sid}/users/{user}/remove", get(members::confirm_remove).post(members::remove))
        .route("/accounts/{sid}/owner", post(members::nominate_owner))
        .route("/accounts/{sid}/owner/cancel", post(members::cancel_nomination))
        .route("/accounts/{sid}/owner/answer", post(members::answer_nomination))
        .route("/orgs/new", get(organizations::new_form).post(organizations::create))
        .route("/orgs/{sid}", get(organizations::home))
        .route("/orgs/{sid}/users", get(organizations::users))
        .route("/orgs/{sid}/accounts", get(org_accounts::list))
        .route("/orgs/{sid}/accounts/request/{what}", post(org_accounts::request))
        .route("/orgs/{sid}/accounts/{account}/{action}", post(org_accounts::change))
        .route("/orgs/{sid}/account-requests/{request}/cancel", post(org_accounts::cancel_request))
        .route("/accounts/{sid}/request/answer", post(org_accounts::answer))
        .route("/orgs/{sid}/settings", get(organizations::settings).post(organizations::save_settings))
        .route("/orgs/{sid}/settings/general", post(organizations::save_general))
        .route("/orgs/{sid}/roles", get(roles::list).post(roles::create))
        .route("/orgs/{sid}/access", get(access::map))
        .route("/orgs/{sid}/access/grant", post(access::grant))
        .route("/orgs/{sid}/access/groups", post(access::new_group))
        .route("/orgs/{sid}/access/assignments/{assignment}/end", post(access::end_grant))
        .route("/orgs/{sid}/roles/{role}", get(roles::edit).post(roles::update))
        .route("/orgs/{sid}/roles/{role}/delete", post(roles::delete))
        .route("/orgs/{sid}/owner", post(organizations::nominate_owner))
        .route("/orgs/{sid}/owner/cancel", post(organizations::cancel_owner_nomination))
        .route("/orgs/{sid}/owner/answer", post(organizations::answer_owner_nomination))
        .route("/orgs/{sid}/users/{user}/require-2fa", post(organizations::require_two_factor))
        .route("/orgs/{sid}/users/{user}", get(org_users::show))
        .route("/orgs/{sid}/users/{user}/{action}", post(org_users::change))
        .route("/orgs/{sid}/users/{user}/accounts/{account}/remove", post(org_users::remove_from_account))
        .route("/orgs/{sid}/users/{user}/offboard", get(org_users::offboard_form).post(org_users::offboard_submit))
        .route("/orgs/{sid}/offboarding", get(org_users::reports))
        .route("/orgs/{sid}/scim", get(scim_tokens::list).post(scim_tokens::create))
        .route("/orgs/{sid}/scim/{token}/revoke", post(scim_tokens::revoke))
        .route("/orgs/{sid}/offboarding/{report}", get(org_users::report))
        .route("/orgs/{sid}/outbox", get(outbox::organization))
        .route("/orgs/{sid}/domains", get(domains::list).post(domains::add))
        .route("/orgs/{sid}/invitations", get(org_invitations::list).post(organizations::invite))
        .route("/orgs/{sid}/invitations/{invitation}/{action}", post(org_invitations::change))
        .route("/org-invitations/accept", get(org_invitations::show).post(org_invitations::accept))
        .route("/org-invitations/accept/new", post(org_invitations::accept_new))
        .route("/orgs/{sid}/domains/{domain}/{action}", post(domains::change))
        .route("/static/style.css", get(style))
        .route("/static/app.js", get(script))
        .fallback(not_found)
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/style.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.js"),
    )
}

/// What no route matches: the 404 page, or Twilio's JSON 20404 under the Twilio API's paths
/// (its SDK reports that code, and cannot read an HTML page).
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if crate::twilio::owns_path(uri.path()) {
        crate::twilio::TwilioError::from(Error::NotFound).into_response()
    } else {
        crate::WebError(Error::NotFound).into_response()
    }
}

/// One link in the top navigation.
pub(crate) struct NavLink {
    pub href: String,
    pub label: String,
    pub active: bool,
}

/// What the shared layout (`base.html`) shows around every page.
pub(crate) struct Layout {
    pub title: String,
    pub user_name: Option<String>,
    pub user_email: String,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    pub notice: Option<&'static str>,
    /// The operator's service banner, shown on every signed-in page until withdrawn.
    pub banner: Option<String>,
}

impl Layout {
    /// The layout for pages seen before signing in.
    pub(crate) fn anonymous(title: &str) -> Self {
        Layout {
            title: title.into(),
            user_name: None,
            user_email: String::new(),
            csrf: String::new(),
            nav: Vec::new(),
            notice: None,
            banner: None,
        }
    }

    /// The same layout with the form token its forms carry.
    pub(crate) fn with_csrf(mut self, csrf: String) -> Self {
        self.csrf = csrf;
        self
    }
}

/// Which tabs an account's header shows the viewer: only those whose pages will open.
pub(crate) struct AccountTabs {
    pub users: bool,
    pub keys: bool,
    pub billing: bool,
}

impl AccountTabs {
    pub(crate) fn new(permissions: gatehouse_domain::permission::PermissionSet) -> Self {
        use gatehouse_domain::permission::Permission;
        AccountTabs {
            users: permissions.contains(Permission::UsersRead),
            keys: permissions.contains(Permission::ApiKeysRead),
            billing: permissions.contains(Permission::BillingRead),
        }
    }
}

/// Field errors of a submitted form, shown next to their inputs, plus one form-level error.
#[derive(Default)]
pub(crate) struct FormErrors {
    fields: Vec<(&'static str, String)>,
    pub form: Option<String>,
}

impl FormErrors {
    /// Sorts domain errors into field errors and a form-level message. Errors that are not
    /// about the input (not found, forbidden, internal) are returned for the error page.
    pub(crate) fn from_errors(errors: Vec<Error>) -> Result<Self, Error> {
        let mut out = FormErrors::default();
        for e in errors {
            match e {
                Error::Invalid { field, reason } => out.fields.push((field, reason)),
                Error::Conflict(m) | Error::Precondition(m) => out.form = Some(m),
                Error::Unauthenticated => out.form = Some("The email address or password is not right.".into()),
                other @ (Error::NotFound | Error::Forbidden | Error::MissingPermission(_) | Error::Internal(_)) => {
                    return Err(other);
                }
            }
        }
        Ok(out)
    }

    /// Whether there is no error at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_none()
    }

    /// The message for one field, if it has one.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    /// Field errors for fields the form does not show next to an input (e.g. a SID in the
    /// URL), as sentences. `shown` lists the shown fields, comma-separated.
    pub(crate) fn others(&self, shown: &str) -> Vec<String> {
        let shown: Vec<&str> = shown.split(',').collect();
        self.fields.iter().filter(|(f, _)| !shown.contains(f)).map(|(f, m)| format!("{f}: {m}")).collect()
    }
}

/// Search and paging state of a list page.
pub(crate) struct ListNav {
    pub q: String,
    pub next_href: Option<String>,
    pub first_href: Option<String>,
}

impl ListNav {
    /// Links for a page of `base` results with search `q`.
    pub(crate) fn new<T>(base: &str, q: &str, after: Option<&str>, page: &Page<T>) -> Self {
        let enc = |s: &str| url_encode(s);
        let next_href = page.next_after.as_ref().map(|n| format!("{base}?q={}&after={}", enc(q), enc(n)));
        let first_href = after.filter(|a| !a.is_empty()).map(|_| format!("{base}?q={}", enc(q)));
        ListNav { q: q.to_owned(), next_href, first_href }
    }
}

/// Percent-encodes a query value.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Fixed notices shown after a redirect (`?notice=…`), so no user text is reflected.
pub(crate) fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "account-created" => "Account created.",
        "role-granted" => "Role granted. It applies from the holder's next request.",
        "grant-ended" => "Grant ended. It no longer applies.",
        "group-created" => "Group created.",
        "member-added" => "User added to the account.",
        "invitation-sent" => "Invitation sent. It appears here until it is accepted.",
        "invitation-resent" => "Invitation sent again with a new link; the earlier link no longer works.",
        "invitation-revoked" => "Invitation withdrawn. Its link no longer works.",
        "invitation-accepted" => "Welcome! You joined this account.",
        "organization-joined" => "Welcome! You joined the organization as a managed user.",
        "roles-changed" => "Roles updated. They apply from the user's next request.",
        "member-removed" => "User removed from the account. Their login still exists.",
        "owner-transferred" => "Ownership transferred. The previous Owner is now an Administrator of this account.",
        "owner-nominated" => "Ownership offered. It moves when they accept; you stay the Owner until then.",
        "owner-nomination-cancelled" => "Ownership offer withdrawn.",
        "owner-declined" => "You declined the offer. The Owner was told.",
        "user-deactivated" => {
            "User deactivated. They cannot sign in; their sessions ended and their API keys were revoked unless your organization keeps them."
        }
        "user-reactivated" => "User reactivated. They can sign in again with their roles.",
        "banner-posted" => "Banner posted: every console page shows it until you withdraw it.",
        "banner-posted-and-sent" => "Banner posted; service notices are being queued for every account.",
        "banner-withdrawn" => "Banner withdrawn.",
        "role-saved" => "Role saved. Everyone holding it has its permissions at their next request.",
        "role-deleted" => "Role deleted.",
        "login-deleted" => "Your login was deleted and your personal data erased.",
        "organization-created" => {
            "Organization created: you are its Owner. Verify your company's domain to invite colleagues as managed users."
        }
        "org-owner-nominated" => {
            "Ownership of the organization offered. It moves when they accept; you stay the Owner until then."
        }
        "org-owner-transferred" => "You now own the organization. The previous Owner is an Administrator.",
        "welcome" => "Welcome to Gatehouse. Your organization and first account are ready.",
        "signed-up" => "Your account is ready.",
        "email-verified" => "Your email address is confirmed.",
        "verification-sent" => "We sent a new confirmation link. Earlier links no longer work.",
        "password-reset" => "Your password was changed and your other sessions ended. Sign in with the new password.",
        "password-changed" => "Password changed. Your other sessions ended.",
        "recovery-code-used" => {
            "You signed in with a recovery code. Each code works once: see below how many are left."
        }
        "two-factor-enabled" => "Two-step verification is on. Keep your recovery codes somewhere safe.",
        "two-factor-disabled" => "Two-step verification is off.",
        "two-factor-required" => "Two-step verification is required for your login. Set it up to continue.",
        "session-revoked" => "Session ended.",
        "sessions-revoked" => "All your other sessions ended.",
        "email-changed" => "Email address changed. Confirm the new address with the link we sent to it.",
        "settings-saved" => "Settings saved.",
        "user-renamed" => "Name saved.",
        "auth-token-rotated" => "New auth token made. The previous one no longer works.",
        "scim-token-created" => "Created.",
        "scim-token-revoked" => "Revoked. Requests with it are refused from now on.",
        "account-request-sent" => "Request sent. The account's Owner was emailed; it stays pending until they answer.",
        "account-request-cancelled" => "Request withdrawn.",
        "account-request-accepted" => "Accepted. The organization's change applies now.",
        "account-request-declined" => "Declined. Nothing changed.",
        "account-removed" => "The account left the organization. It is now an independent account of its Owner.",
        "access-relinquished" => "Access given up. The organization's users no longer hold roles on that account.",
        "org-role-changed" => "Organization role changed. It applies from the user's next request.",
        "password-reset-forced" => {
            "Their password no longer works and their sessions ended. We emailed them a reset link."
        }
        "offboarded" => "Done. This report lists everything that changed.",
        "domain-added" => "Domain added. Publish its TXT record, then verify.",
        "domain-verified" => "Domain verified.",
        "domain-not-verified" => "The domain is not verified: see why below.",
        "domain-removed" => "Domain removed.",
        "key-created" => "Key created.",
        "payment-method-added" => "Payment method added.",
        "payment-method-default" => "Default payment method changed.",
        "payment-method-removed" => "Payment method removed.",
        "key-renamed" => "Key renamed.",
        "key-revoked" => "Key revoked. Requests made with it now fail.",
        "account-renamed" => "Account renamed.",
        "account-suspended" => "Account suspended. Its console and API keys are refused until it is reactivated.",
        "account-reactivated" => "Account reactivated.",
        "account-closed" => "Account closed. Closing is final.",
        _ => return None,
    })
}
