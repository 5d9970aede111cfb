//! `/_emulator/requests`: the request journal, and one request with its signature diagnosis.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{error, query};
use crate::app::App;
use crate::journal::Filter;

pub const DEFAULT_LIMIT: usize = 100;

pub async fn list(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let q = match query(raw.as_deref(), &["limit", "action", "code", "account", "status"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return error(StatusCode::BAD_REQUEST, "limit must be an integer ≥ 1"),
    };
    let status = match q.get("status").map(|s| s.parse::<u16>()) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "status must be an HTTP status"),
    };
    let filter = Filter {
        action: q.get("action").cloned(),
        code: q.get("code").cloned(),
        account: q.get("account").cloned(),
        status,
    };
    let entries: Vec<Value> = app.journal.list(&filter, limit).iter().map(|e| e.summary()).collect();
    Json(json!({
        "requests": entries,
        "stored": app.journal.len(),
        "capacity": app.journal.capacity(),
    }))
    .into_response()
}

pub async fn get_one(State(app): State<Arc<App>>, Path(request_id): Path<String>) -> Response {
    match app.journal.get(&request_id) {
        Some(e) => Json(e.detail()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("no request {request_id:?} in the journal (it keeps the last {} requests)", app.journal.capacity()),
        ),
    }
}

pub async fn clear(State(app): State<Arc<App>>) -> Response {
    app.journal.clear();
    Json(json!({ "cleared": true })).into_response()
}
