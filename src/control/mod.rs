//! The emulator's own HTTP API under `/_emulator/` (unsigned, JSON in and out): health and reset.
//! Documented in the README; part of the public interface.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::app::App;

pub fn router() -> Router<Arc<App>> {
    Router::new().route("/health", get(health).head(health_head)).route("/reset", post(reset))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn health(State(app): State<Arc<App>>) -> Response {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": app.started.elapsed().as_secs_f64(),
        "auth": if app.auth_strict { "strict" } else { "off" },
        "accounts": app.store.account_ids().len(),
        "regions": app.store.world.regions.len(),
    }))
    .into_response()
}

async fn health_head() -> StatusCode {
    StatusCode::OK
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    account: Option<String>,
}

/// `POST /_emulator/reset` with no body (or `{}`) resets every account to the default world;
/// `{"account": "<AccessKeyId>"}` resets that account only.
async fn reset(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let req: ResetBody = if body.iter().all(u8::is_ascii_whitespace) {
        ResetBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("expected {{\"account\": \"<AccessKeyId>\"}} or no body: {e}"),
                )
            }
        }
    };
    let reset = match req.account {
        Some(id) => {
            if !app.store.reset_account(&id) {
                return error(StatusCode::NOT_FOUND, format!("no account with AccessKeyId {id:?}"));
            }
            vec![id]
        }
        None => app.store.reset_all(),
    };
    tracing::info!(target: "control", ?reset, "reset");
    Json(json!({ "reset": reset })).into_response()
}
