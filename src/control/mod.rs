//! The emulator's own HTTP API under `/_emulator/` (unsigned, JSON in and out; errors are
//! `{"error": "…"}` with a 4xx). Every endpoint is documented in `docs/control-api.md` and listed in
//! [`ROUTES`] and the OpenAPI document (`GET /_emulator/openapi.json`).
//!
//! - `health`, `reset`, `accounts`, `seed`, `clock`, `config`: [`ops`] (every change of state goes
//!   through [`ops::apply`]: in the global order of writes, journaled with `--data-dir`).
//! - `state/export`, `state/import`, `snapshot`, `snapshots`: [`persistence`].
//! - `state`: [`state`]; `faults`: [`faults`]; `requests`: [`requests`]; `init`: [`init`];
//!   `openapi.json`: [`openapi`].
//!
//! Depends on `app`, `store`, `journal`, `faults`, `init`; never holds a lock across an await.

pub mod coverage;
pub mod faults;
pub mod init;
pub mod openapi;
pub mod ops;
pub mod persistence;
pub mod requests;
pub mod settings;
pub mod state;
pub mod trace;
pub mod ui;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::app::App;

/// Every control route: (method, path). The OpenAPI document lists exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/_emulator/health"),
    ("HEAD", "/_emulator/health"),
    ("GET", "/_emulator/state"),
    ("GET", "/_emulator/clock"),
    ("POST", "/_emulator/clock"),
    ("GET", "/_emulator/config"),
    ("POST", "/_emulator/config"),
    ("GET", "/_emulator/seed"),
    ("POST", "/_emulator/seed"),
    ("GET", "/_emulator/faults"),
    ("POST", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults/{id}"),
    ("GET", "/_emulator/faults/report"),
    ("DELETE", "/_emulator/faults/report"),
    ("GET", "/_emulator/requests"),
    ("DELETE", "/_emulator/requests"),
    ("GET", "/_emulator/requests/{request_id}"),
    ("GET", "/_emulator/accounts"),
    ("POST", "/_emulator/accounts"),
    ("POST", "/_emulator/reset"),
    ("POST", "/_emulator/init"),
    ("GET", "/_emulator/openapi.json"),
    ("GET", "/_emulator/coverage"),
    ("DELETE", "/_emulator/coverage"),
    ("GET", "/_emulator/coverage/known"),
    ("GET", "/_emulator/tls/ca.pem"),
    ("POST", "/_emulator/nat/trace"),
    ("GET", "/_emulator/state/export"),
    ("POST", "/_emulator/state/import"),
    ("GET", "/_emulator/snapshot"),
    ("POST", "/_emulator/snapshot"),
    ("GET", "/_emulator/snapshots"),
    ("POST", "/_emulator/snapshots/{name}"),
    ("DELETE", "/_emulator/snapshots/{name}"),
    ("POST", "/_emulator/snapshots/{name}/restore"),
];

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/health", get(health).head(health_head))
        .route("/state", get(state::get_state))
        .route("/clock", get(settings::get_clock).post(settings::post_clock))
        .route("/config", get(settings::get_config).post(settings::post_config))
        .route("/seed", get(settings::get_seed).post(settings::post_seed))
        .route("/faults", get(faults::list).post(faults::add).delete(faults::delete_all))
        .route("/faults/report", get(faults::report).delete(faults::clear_report))
        .route("/faults/{id}", axum::routing::delete(faults::delete_one))
        .route("/requests", get(requests::list).delete(requests::clear))
        .route("/requests/{request_id}", get(requests::get_one))
        .route("/accounts", get(settings::get_accounts).post(settings::post_account))
        .route("/reset", post(reset))
        .route("/init", post(init::post_init))
        .route("/openapi.json", get(openapi::get_openapi))
        .route("/coverage", get(coverage::get_coverage).delete(coverage::delete_coverage))
        .route("/coverage/known", get(coverage::get_known))
        .route("/tls/ca.pem", get(coverage::get_ca_pem))
        .route("/nat/trace", post(trace::post_trace))
        .route("/state/export", get(persistence::export))
        .route(
            "/state/import",
            post(persistence::import).layer(axum::extract::DefaultBodyLimit::max(persistence::MAX_IMPORT_BYTES)),
        )
        .route("/snapshot", get(persistence::get_snapshot).post(persistence::post_snapshot))
        .route("/snapshots", get(persistence::list))
        .route("/snapshots/{name}", post(persistence::save).delete(persistence::delete))
        .route("/snapshots/{name}/restore", post(persistence::restore))
        .merge(ui::router())
        .fallback(not_found)
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such control endpoint (see GET /_emulator/openapi.json)")
}

/// A JSON body; an empty body is `T::default()`. Errors answer 400 with `hint`.
#[allow(clippy::result_large_err)] // the error is the answer, built once on a cold path
pub(crate) fn body<T: DeserializeOwned + Default>(bytes: &Bytes, hint: &str) -> Result<T, Response> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| error(StatusCode::BAD_REQUEST, format!("expected {hint}: {e}")))
}

/// The query string as a map; names outside `allowed` answer 400.
#[allow(clippy::result_large_err)] // the error is the answer, built once on a cold path
pub(crate) fn query(raw: Option<&str>, allowed: &[&str]) -> Result<HashMap<String, String>, Response> {
    let mut p = crate::params::Params::new();
    let limits = crate::wire::encoding::Limits { max_params: 32, max_value_bytes: 4096 };
    crate::wire::encoding::decode_pairs(raw.unwrap_or("").as_bytes(), &mut p, limits)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("bad query: {}", e.message())))?;
    let mut out = HashMap::new();
    for (k, v) in p.iter() {
        if !allowed.contains(&k) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("unknown query parameter {k:?} (expected one of {})", allowed.join(", ")),
            ));
        }
        if !v.is_empty() {
            out.insert(k.to_owned(), v.to_owned());
        }
    }
    Ok(out)
}

pub(crate) async fn health(State(app): State<Arc<App>>) -> Response {
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

pub(crate) async fn health_head() -> StatusCode {
    StatusCode::OK
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    account: Option<String>,
}

/// `POST /_emulator/reset` with no body (or `{}`) resets every account to the default world;
/// `{"account": "<AccessKeyId>"}` resets that account only.
async fn reset(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let req: ResetBody = match body(&bytes, "{\"account\": \"<AccessKeyId>\"} or no body") {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    ops::respond(&app, ops::ControlOp::Reset { account: req.account }).await
}
