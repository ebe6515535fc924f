//! `POST /v2/token` and `/v1/token` (oauth, preview-iam and iam share the shape): the
//! client-credentials grant. Form fields in snake_case, or PascalCase as oauth's v1 sends them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::{TwilioError, TwilioResult};
use crate::AppState;
use crate::web::FormData;

pub(crate) async fn create(State(state): State<AppState>, form: FormData) -> TwilioResult {
    let field = |snake: &str, pascal: &str| form.get(snake).or_else(|| form.get(pascal)).unwrap_or_default().to_owned();
    let grant = field("grant_type", "GrantType");
    if grant != "client_credentials" {
        return Err(TwilioError::new(
            StatusCode::BAD_REQUEST,
            20001,
            format!("grant_type {grant:?} is not supported; use client_credentials"),
        ));
    }
    let token =
        state.app.issue_access_token(&field("client_id", "ClientId"), &field("client_secret", "ClientSecret")).await?;
    let body = json!({
        "access_token": token.token,
        "refresh_token": null,
        "id_token": null,
        "token_type": "Bearer",
        "expires_in": token.expires_in,
    });
    Ok((StatusCode::OK, Json(body)).into_response())
}
