//! API: the organization's ownership — the Owner's offer to a managed Administrator, and the
//! nominee's answer.

use axum::extract::{Path, State};
use gatehouse_domain::sid::{OrganizationSid, UserSid};

use super::bodies::OwnershipBody;
use super::people::Nominee;
use super::{ApiActor, ApiResult, Body, done, ok, sid};
use crate::AppState;

/// The pending offer, or `null`.
pub(crate) async fn show(State(state): State<AppState>, ApiActor(actor): ApiActor, Path(o): Path<String>) -> ApiResult {
    let offer = state.app.org_owner_nomination(&actor, &sid(&o, OrganizationSid::parse)?).await?;
    Ok(ok(OwnershipBody::from(offer)))
}

pub(crate) async fn nominate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
    Body(body): Body<Nominee>,
) -> ApiResult {
    let nominee = UserSid::parse(&body.user_sid)?;
    state.app.nominate_org_owner(&actor, &sid(&o, OrganizationSid::parse)?, &nominee).await?;
    Ok(done())
}

pub(crate) async fn cancel(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
) -> ApiResult {
    state.app.cancel_org_owner_nomination(&actor, &sid(&o, OrganizationSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn accept(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
) -> ApiResult {
    state.app.accept_org_ownership(&actor, &sid(&o, OrganizationSid::parse)?).await?;
    Ok(done())
}

pub(crate) async fn decline(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(o): Path<String>,
) -> ApiResult {
    state.app.decline_org_ownership(&actor, &sid(&o, OrganizationSid::parse)?).await?;
    Ok(done())
}
