//! An account's billing page: payment methods (add a card or PayPal, set the default,
//! remove) and invoices. Owners, Administrators and Billing Managers only.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::Error;
use gatehouse_domain::billing::CardInput;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::sid::{AccountSid, PaymentMethodSid};

use super::accounts::ListQuery;
use super::{AccountTabs, CurrentUser, FormData, FormErrors, Layout, ListNav, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

struct MethodRow {
    sid: String,
    label: String,
    is_default: bool,
}

struct InvoiceRow {
    period: String,
    amount: String,
    status: &'static str,
    issued: String,
}

#[derive(Template)]
#[template(path = "billing.html")]
struct BillingPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    tabs: AccountTabs,
    can_write: bool,
    methods: Vec<MethodRow>,
    invoices: Vec<InvoiceRow>,
    list: ListNav,
    /// Which form the errors belong to: `card` or `paypal`.
    errors_for: &'static str,
    errors: FormErrors,
    paypal_email: String,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &AccountSid,
    q: &ListQuery,
    errors_for: &'static str,
    errors: FormErrors,
    paypal_email: String,
) -> PageResult {
    let view = state.app.account(&user.actor, sid).await?;
    let methods = state.app.payment_methods(&user.actor, sid).await?;
    let invoices = state.app.invoices(&user.actor, sid, &q.page()?).await?;
    let list = ListNav::new(&format!("/accounts/{sid}/billing"), &q.q, Some(&q.after), &invoices);
    let status = if errors_for.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = BillingPage {
        layout: user.layout(&format!("Billing · {}", view.account.name), "/accounts", notice(q.notice.as_deref())),
        tab: "billing",
        sid: sid.to_string(),
        name: view.account.name,
        tabs: AccountTabs::new(view.permissions),
        can_write: view.permissions.contains(Permission::BillingWrite),
        methods: methods
            .iter()
            .map(|m| MethodRow { sid: m.sid.to_string(), label: m.label(), is_default: m.is_default })
            .collect(),
        invoices: invoices
            .items
            .iter()
            .map(|i| InvoiceRow {
                period: i.period.clone(),
                amount: i.amount_label(),
                status: i.status.as_str(),
                issued: i.issued_at.format("%Y-%m-%d").to_string(),
            })
            .collect(),
        list,
        errors_for,
        errors,
        paypal_email,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, AccountSid::parse)?;
    render(&state, &user, &sid, &q, "", FormErrors::default(), String::new()).await
}

pub(crate) async fn add_card(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let card = CardInput {
        number: form.text("number"),
        exp_month: form.text("exp_month"),
        exp_year: form.text("exp_year"),
        cvc: form.text("cvc"),
    };
    match state.app.add_card(&user.actor, &sid, &card).await {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{sid}/billing?notice=payment-method-added")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            render(&state, &user, &sid, &ListQuery::default(), "card", errors, String::new()).await
        }
    }
}

pub(crate) async fn add_paypal(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let email = form.text("paypal_email");
    match state.app.add_paypal(&user.actor, &sid, &email).await {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{sid}/billing?notice=payment-method-added")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            render(&state, &user, &sid, &ListQuery::default(), "paypal", errors, email).await
        }
    }
}

/// Makes a method the default (`default`) or removes it (`remove`).
pub(crate) async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, method, action)): Path<(String, String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let (sid, method) = (path_sid(&sid, AccountSid::parse)?, path_sid(&method, PaymentMethodSid::parse)?);
    let notice = match action.as_str() {
        "default" => {
            state.app.set_default_payment_method(&user.actor, &sid, &method).await?;
            "payment-method-default"
        }
        "remove" => {
            state.app.remove_payment_method(&user.actor, &sid, &method).await?;
            "payment-method-removed"
        }
        _ => return Err(WebError(Error::NotFound)),
    };
    Ok(Redirect::to(&format!("/accounts/{sid}/billing?notice={notice}")).into_response())
}
