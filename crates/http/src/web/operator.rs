//! The operator pages (`/operator`), for the users `gatehouse admin grant-operator` named: the
//! service banner. To anyone else they do not exist.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::Error;

use super::accounts::ListQuery;
use super::{CurrentUser, FormData, FormErrors, Layout, notice};
use crate::{AppState, WebError};

type PageResult = Result<Response, WebError>;

#[derive(Template)]
#[template(path = "operator.html")]
struct OperatorPage {
    layout: Layout,
    /// The banner shown: message, who posted it, when.
    current: Option<(String, String, String)>,
    message: String,
    errors: FormErrors,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    notice_code: Option<&str>,
    message: String,
    errors: FormErrors,
) -> PageResult {
    if !state.app.is_operator(&user.actor).await? {
        return Err(WebError(Error::NotFound));
    }
    let current = state
        .app
        .service_banner()
        .await?
        .map(|b| (b.message, b.posted_by, b.posted_at.format("%Y-%m-%d %H:%M UTC").to_string()));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page =
        OperatorPage { layout: user.layout("Operator", "/operator", notice(notice_code)), current, message, errors };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn show(State(state): State<AppState>, user: CurrentUser, Query(q): Query<ListQuery>) -> PageResult {
    render(&state, &user, q.notice.as_deref(), String::new(), FormErrors::default()).await
}

pub(crate) async fn post_banner(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    let message = form.text("message");
    match state.app.post_service_banner(&user.actor, &message).await {
        Ok(banner) if form.get("notify").is_some() => {
            // Every account's notice is its own transaction: queued in the background.
            let (app, actor) = (state.app.clone(), user.actor.clone());
            tokio::spawn(async move {
                if let Err(e) = app.send_banner_as_notice(&actor, &banner).await {
                    tracing::error!(error = %e, "sending the service banner as notices");
                }
            });
            Ok(Redirect::to("/operator?notice=banner-posted-and-sent").into_response())
        }
        Ok(_) => Ok(Redirect::to("/operator?notice=banner-posted").into_response()),
        Err(e @ Error::Invalid { .. }) => render(&state, &user, None, message, FormErrors::from_errors(vec![e])?).await,
        Err(e) => Err(WebError(e)),
    }
}

pub(crate) async fn withdraw_banner(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    state.app.withdraw_service_banner(&user.actor).await?;
    Ok(Redirect::to("/operator?notice=banner-withdrawn").into_response())
}
