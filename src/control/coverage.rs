//! `/_emulator/coverage` (the drift report, `crate::coverage`) and `/_emulator/tls/ca.pem` (the
//! CA of `--tls`, `crate::tls`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{error, query};
use crate::app::App;
use crate::dispatch;

/// `GET /_emulator/coverage[?action=A]`: per action, the parameters received that it does not
/// read; the actions called that the emulator does not implement.
pub async fn get_coverage(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let q = match query(raw.as_deref(), &["action"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    Json(app.coverage.report(q.get("action").map(String::as_str))).into_response()
}

/// `DELETE /_emulator/coverage`: forget the report (a full reset does too).
pub async fn delete_coverage(State(app): State<Arc<App>>) -> Response {
    app.coverage.clear();
    Json(json!({ "cleared": true })).into_response()
}

/// `GET /_emulator/coverage/known[?action=A]`: the parameters each action reads.
pub async fn get_known(RawQuery(raw): RawQuery) -> Response {
    let q = match query(raw.as_deref(), &["action"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let action = q.get("action").map(String::as_str);
    if let Some(a) = action {
        if dispatch::find(a).is_none() {
            return error(StatusCode::NOT_FOUND, format!("the emulator does not implement {a:?}"));
        }
    }
    Json(crate::coverage::known_json(action)).into_response()
}

/// `GET /_emulator/tls/ca.pem`: the CA certificate clients trust for `--tls` (PEM).
pub async fn get_ca_pem(State(app): State<Arc<App>>) -> Response {
    match app.tls.as_ref().map(|t| t.ca_pem.as_deref()) {
        Some(Some(pem)) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem.to_owned()).into_response(),
        Some(None) => error(
            StatusCode::NOT_FOUND,
            "the server certificate was given with --tls-cert: the emulator has no CA of its own",
        ),
        None => error(StatusCode::NOT_FOUND, "HTTPS is off (start the emulator with --tls or --listen-tls)"),
    }
}
