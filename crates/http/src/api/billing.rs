//! API: notification preferences, payment methods and invoices.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use gatehouse_domain::billing::{CardInput, Invoice, PaymentMethod};
use gatehouse_domain::notification::NoticeCategory;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, PaymentMethodSid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiActor, ApiResult, Body, ListParams, Params, created, done, page_json, sid};
use crate::AppState;

pub(crate) async fn notifications(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    let prefs = state.app.notification_preferences(&actor, &sid(&a, AccountSid::parse)?).await?;
    let items: Vec<Value> = prefs
        .iter()
        .map(|(c, roles)| json!({ "category": c.key(), "roles": roles.iter().map(|r| r.key()).collect::<Vec<_>>() }))
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Roles {
    roles: Vec<String>,
}

pub(crate) async fn set_notifications(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, c)): Path<(String, String)>,
    Body(body): Body<Roles>,
) -> ApiResult {
    let account = sid(&a, AccountSid::parse)?;
    let category = NoticeCategory::parse_key(&c)?;
    let roles = body.roles.iter().map(|r| AccountRole::parse_key(r)).collect::<Result<Vec<_>, _>>()?;
    state.app.set_notification_roles(&actor, &account, category, &roles).await?;
    Ok(Json(json!({ "category": category.key(), "roles": roles.iter().map(|r| r.key()).collect::<Vec<_>>() }))
        .into_response())
}

fn method_json(m: &PaymentMethod) -> Value {
    json!({ "sid": m.sid, "label": m.label(), "details": m.details, "is_default": m.is_default, "date_created": m.created_at.to_rfc3339() })
}

fn invoice_json(i: &Invoice) -> Value {
    json!({
        "sid": i.sid, "period": i.period, "amount_cents": i.amount_cents, "currency": i.currency,
        "status": i.status.as_str(), "date_issued": i.issued_at.to_rfc3339(),
    })
}

pub(crate) async fn methods(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    let methods = state.app.payment_methods(&actor, &sid(&a, AccountSid::parse)?).await?;
    Ok(Json(json!({ "items": methods.iter().map(method_json).collect::<Vec<_>>() })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Card {
    number: String,
    exp_month: String,
    exp_year: String,
    cvc: String,
}

pub(crate) async fn add_card(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(card): Body<Card>,
) -> ApiResult {
    let input = CardInput { number: card.number, exp_month: card.exp_month, exp_year: card.exp_year, cvc: card.cvc };
    Ok(created(method_json(&state.app.add_card(&actor, &sid(&a, AccountSid::parse)?, &input).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Paypal {
    email: String,
}

pub(crate) async fn add_paypal(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Paypal>,
) -> ApiResult {
    Ok(created(method_json(&state.app.add_paypal(&actor, &sid(&a, AccountSid::parse)?, &body.email).await?)))
}

pub(crate) async fn make_default(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, m)): Path<(String, String)>,
) -> ApiResult {
    let (account, method) = (sid(&a, AccountSid::parse)?, sid(&m, PaymentMethodSid::parse)?);
    state.app.set_default_payment_method(&actor, &account, &method).await?;
    Ok(done())
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, m)): Path<(String, String)>,
) -> ApiResult {
    state.app.remove_payment_method(&actor, &sid(&a, AccountSid::parse)?, &sid(&m, PaymentMethodSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn invoices(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.invoices(&actor, &sid(&a, AccountSid::parse)?, &params.page()?).await?;
    Ok(page_json(&page, invoice_json))
}
