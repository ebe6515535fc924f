//! A stand-in for Twilio's Messages API, run by the tests: it records each request's path,
//! Basic credentials and form fields, and answers like Twilio (201 with a message resource) or
//! with an error when told to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;

/// One request the stub received.
#[derive(Clone, Debug)]
pub struct SmsRequest {
    pub account_sid: String,
    pub authorization: String,
    pub content_type: String,
    pub form: HashMap<String, String>,
}

#[derive(Clone)]
pub struct SmsStub {
    pub base_url: String,
    pub requests: Arc<Mutex<Vec<SmsRequest>>>,
    /// The status to answer with; 201 unless a test sets another.
    pub status: Arc<Mutex<u16>>,
}

async fn messages(
    State(stub): State<SmsStub>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let text = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let form: HashMap<String, String> = serde_urlencoded_pairs(&body);
    let account_sid = account;
    stub.requests.lock().unwrap().push(SmsRequest {
        account_sid: account_sid.clone(),
        authorization: text("authorization"),
        content_type: text("content-type"),
        form: form.clone(),
    });
    let status = StatusCode::from_u16(*stub.status.lock().unwrap()).unwrap();
    if status.is_success() {
        let body = serde_json::json!({
            "sid": "SM00000000000000000000000000000001", "account_sid": account_sid, "to": form.get("To"),
            "from": form.get("From"), "body": form.get("Body"), "status": "queued",
        });
        (status, axum::Json(body)).into_response()
    } else {
        let body = serde_json::json!({ "code": 21211, "message": "The 'To' number is not a valid phone number.", "status": status.as_u16() });
        (status, axum::Json(body)).into_response()
    }
}

/// Decodes `application/x-www-form-urlencoded`.
fn serde_urlencoded_pairs(body: &str) -> HashMap<String, String> {
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl SmsStub {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stub = SmsStub {
            base_url: format!("http://{}", listener.local_addr().unwrap()),
            requests: Arc::default(),
            status: Arc::new(Mutex::new(201)),
        };
        let app = Router::new()
            .route("/2010-04-01/Accounts/{account}/Messages.json", post(messages))
            .with_state(stub.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        stub
    }

    /// The 6-digit code in the last message.
    pub fn last_code(&self) -> String {
        let requests = self.requests.lock().unwrap();
        let body = &requests.last().expect("an SMS was sent").form["Body"];
        body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a code").to_owned()
    }
}
