//! `POST /_emulator/init`: the `--init` document, applied at run time.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error;
use crate::app::App;

pub async fn post_init(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return error(StatusCode::BAD_REQUEST, format!("expected an init document (see docs/control-api.md): {e}"))
        }
    };
    let doc = match crate::init::from_value(value) {
        Ok(d) => d,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let (result, seq) = crate::init::apply_journaled(&app, &doc);
    // The items that ran are journaled: wait for them to be durable whether or not one failed.
    if let Some(seq) = seq {
        if let Err(e) = crate::persist::live::Persistence::acknowledge(&app, seq).await {
            return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        }
    }
    match result {
        Ok(results) => Json(json!({ "applied": doc.resources.len(), "results": results })).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, format!("{e} (the items before it were applied)")),
    }
}
