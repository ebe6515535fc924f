//! API: notification preferences, payment methods and invoices.

use axum::extract::{Path, State};
use gatehouse_domain::billing::CardInput;
use gatehouse_domain::notification::NoticeCategory;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, PaymentMethodSid};
use schemars::JsonSchema;
use serde::Deserialize;

use super::bodies::{InvoiceBody, List, NoticeBody, PaymentMethodBody};
use super::{ApiActor, ApiResult, Body, ListParams, Params, created, done, ok, page_json, sid};
use crate::AppState;

pub(crate) async fn notifications(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    let prefs = state.app.notification_preferences(&actor, &sid(&a, AccountSid::parse)?).await?;
    let items = prefs.iter().map(|(c, roles)| notice(*c, roles)).collect();
    Ok(ok(List { items }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NoticeRoles")]
pub(crate) struct Roles {
    #[schemars(extend("items" = { "type": "string", "enum": ["owner", "administrator", "developer", "billing_manager", "support", "viewer"] }))]
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
    Ok(ok(notice(category, &roles)))
}

fn notice(category: NoticeCategory, roles: &[AccountRole]) -> NoticeBody {
    NoticeBody { category: category.key().to_owned(), roles: roles.iter().map(|r| r.key().to_owned()).collect() }
}

pub(crate) async fn methods(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    let methods = state.app.payment_methods(&actor, &sid(&a, AccountSid::parse)?).await?;
    Ok(ok(List { items: methods.iter().map(PaymentMethodBody::from).collect() }))
}

#[derive(Deserialize, JsonSchema)]
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
    Ok(created(PaymentMethodBody::from(&state.app.add_card(&actor, &sid(&a, AccountSid::parse)?, &input).await?)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Paypal {
    #[schemars(email)]
    email: String,
}

pub(crate) async fn add_paypal(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Paypal>,
) -> ApiResult {
    Ok(created(PaymentMethodBody::from(
        &state.app.add_paypal(&actor, &sid(&a, AccountSid::parse)?, &body.email).await?,
    )))
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
    Ok(page_json::<InvoiceBody, _>(&page))
}
