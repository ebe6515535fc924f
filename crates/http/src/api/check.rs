//! API: the permission-check endpoints (SPEC §4) — "may this principal do this here?",
//! answered from the node's in-memory index, for a product service on every request.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use gatehouse_app::{CheckAnswer, CheckQuestion, MAX_CHECKS};
use gatehouse_domain::access_index::{Reason, ReasonVia};
use gatehouse_domain::policy::Actor;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ApiActor, ApiError, ApiResult, Body, ok};
use crate::AppState;
use crate::web::client_ip;

/// The caller of the check API: an OAuth app (`Authorization: Bearer` with its access token) or
/// an API key (HTTP Basic), which must hold `access.check`.
pub(crate) struct CheckCaller(Actor);

impl FromRequestParts<AppState> for CheckCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(token) = crate::twilio::bearer_token(parts) {
            return Ok(CheckCaller(state.app.authenticate_access_token(token, client_ip(parts)).await?));
        }
        let ApiActor(actor) = ApiActor::from_request_parts(parts, state).await?;
        Ok(CheckCaller(actor))
    }
}

/// One question.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Question {
    /// A user (`US…`), an API key (`SK…`) or an OAuth app (`OQ…`).
    #[schemars(pattern(r"^(US|SK|OQ)[0-9a-f]{32}$"))]
    principal: String,
    /// A permission of the catalogue, e.g. `resources.write`.
    #[schemars(length(min = 1, max = 64))]
    permission: String,
    /// An account (`AC…`) or the organization (`OR…`).
    #[schemars(pattern(r"^(AC|OR)[0-9a-f]{32}$"))]
    resource: String,
    /// Answer only once the index includes this access revision (every access change answers
    /// the revision it created in the `Gatehouse-Access-Revision` header).
    #[serde(default)]
    #[schemars(range(min = 0))]
    min_revision: Option<u64>,
}

/// Up to 100 questions, answered in order.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Batch {
    #[schemars(length(min = 1, max = 100))]
    checks: Vec<BatchQuestion>,
    #[serde(default)]
    #[schemars(range(min = 0))]
    min_revision: Option<u64>,
}

/// One question of a batch.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchQuestion {
    #[schemars(pattern(r"^(US|SK|OQ)[0-9a-f]{32}$"))]
    principal: String,
    #[schemars(length(min = 1, max = 64))]
    permission: String,
    #[schemars(pattern(r"^(AC|OR)[0-9a-f]{32}$"))]
    resource: String,
}

/// Why a permission is held: a role, how it reaches, by which assignment.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ReasonBody {
    /// The role (`IX…`); absent for an API key's or an OAuth app's own permissions.
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_name: Option<String>,
    /// `"direct"`, or `{"group": "GR…"}`, `{"organization": "OR…"}`, `{"parent": "AC…"}`.
    via: ViaBody,
    /// The role assignment (`IY…`) that holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    assignment: Option<String>,
}

/// How a reason's grant reaches the resource.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum ViaBody {
    /// `"direct"`.
    Direct(&'static str),
    Group {
        group: String,
    },
    Organization {
        organization: String,
    },
    Parent {
        parent: String,
    },
}

/// An answer.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AnswerBody {
    allowed: bool,
    because: Vec<ReasonBody>,
    /// The access revision the answer saw.
    revision: u64,
}

/// A batch's answers, in the order asked.
#[derive(Serialize, JsonSchema)]
pub(crate) struct BatchAnswerBody {
    results: Vec<AnswerBody>,
    revision: u64,
}

fn reason(r: Reason) -> ReasonBody {
    let via = match r.via {
        ReasonVia::Direct => ViaBody::Direct("direct"),
        ReasonVia::Group(group) => ViaBody::Group { group },
        ReasonVia::Organization(organization) => ViaBody::Organization { organization },
        ReasonVia::Parent(parent) => ViaBody::Parent { parent },
    };
    let (role, role_name) = r.role.map_or((None, None), |(sid, name)| (Some(sid), Some(name)));
    ReasonBody { role, role_name, via, assignment: r.assignment }
}

fn answer(a: CheckAnswer, revision: u64) -> AnswerBody {
    AnswerBody { allowed: a.allowed, because: a.because.into_iter().map(reason).collect(), revision }
}

/// `POST /api/v1/check`.
pub(crate) async fn check(
    State(state): State<AppState>,
    CheckCaller(caller): CheckCaller,
    Body(q): Body<Question>,
) -> ApiResult {
    let question = CheckQuestion { principal: q.principal, permission: q.permission, resource: q.resource };
    let (mut answers, revision) =
        state.app.check_access(&caller, std::slice::from_ref(&question), q.min_revision).await?;
    let first = answers.pop().ok_or_else(|| ApiError(gatehouse_domain::Error::internal("no answer")))?;
    Ok(ok(answer(first, revision)))
}

/// `POST /api/v1/check/batch`.
pub(crate) async fn batch(
    State(state): State<AppState>,
    CheckCaller(caller): CheckCaller,
    Body(b): Body<Batch>,
) -> ApiResult {
    if b.checks.len() > MAX_CHECKS {
        return Err(
            gatehouse_domain::Error::invalid("checks", format!("ask at most {MAX_CHECKS} questions at once")).into()
        );
    }
    let questions: Vec<CheckQuestion> = b
        .checks
        .into_iter()
        .map(|q| CheckQuestion { principal: q.principal, permission: q.permission, resource: q.resource })
        .collect();
    let (answers, revision) = state.app.check_access(&caller, &questions, b.min_revision).await?;
    Ok(ok(BatchAnswerBody { results: answers.into_iter().map(|a| answer(a, revision)).collect(), revision }))
}
