//! `/_emulator/faults`: add, list and remove fault rules; the fault report.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{error, query};
use crate::app::App;
use crate::faults::RuleRequest;

pub async fn list(State(app): State<Arc<App>>) -> Response {
    let rules: Vec<Value> = app.faults.rules().iter().map(|r| r.to_json()).collect();
    Json(json!({ "faults": rules })).into_response()
}

pub async fn add(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    const HINT: &str = "{\"match\": {\"action\"?, \"resource_id\"?, \"account\"?, \"region\"?}, \"error\"?: \"Throttling\" | \
                        {\"status\", \"code\", \"message\"}, \"latency_ms\"?: N, \"when\"?: {\"nth\": N} | {\"first\": N} | \
                        {\"probability\": P, \"seed\"?: N}}";
    let req: RuleRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("expected {HINT}: {e}")),
    };
    match app.faults.add(req, crate::clock::wall_ms(), app.seed()) {
        Ok(rule) => {
            tracing::info!(target: "control", rule = %rule.id, "fault rule added");
            (StatusCode::CREATED, Json(rule.to_json())).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

pub async fn delete_all(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "deleted": app.faults.clear() })).into_response()
}

pub async fn delete_one(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    if app.faults.remove(&id) {
        Json(json!({ "deleted": [id] })).into_response()
    } else {
        error(StatusCode::NOT_FOUND, format!("no fault rule {id:?}"))
    }
}

pub async fn report(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let q = match query(raw.as_deref(), &["rule"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    Json(app.faults.report(q.get("rule").map(String::as_str))).into_response()
}

pub async fn clear_report(State(app): State<Arc<App>>) -> Response {
    app.faults.clear_report();
    Json(json!({ "cleared": true })).into_response()
}
