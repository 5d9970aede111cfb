//! Persistence endpoints: the state document (`GET /_emulator/state/export`,
//! `POST /_emulator/state/import`), snapshots of the data directory (`GET`/`POST
//! /_emulator/snapshot`) and named snapshots (`/_emulator/snapshots`, with or without a data
//! directory), so that a test suite can fork a prepared world and rewind to it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::error;
use super::ops::{self, ControlOp};
use crate::app::App;
use crate::clock::format_iso;
use crate::persist::document;
use crate::persist::live::NamedInfo;

/// Largest document `POST /_emulator/state/import` accepts.
pub const MAX_IMPORT_BYTES: usize = 256 << 20;

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn named_json(n: &NamedInfo) -> serde_json::Value {
    json!({ "name": n.name, "bytes": n.bytes, "created": format_iso(n.created_ms), "created_ms": n.created_ms })
}

/// `GET /_emulator/state/export`: the whole state as one document (secrets included).
pub async fn export(State(app): State<Arc<App>>) -> Response {
    let doc = app.persist.export(&app);
    ([(axum::http::header::CONTENT_TYPE, "application/json")], document::to_bytes(&doc)).into_response()
}

/// `POST /_emulator/state/import`: replaces the whole state with a document.
pub async fn import(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let doc = match document::parse(&bytes) {
        Ok(d) => d,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    import_doc(app, doc).await
}

/// Applies an import on a blocking thread (with a data directory it writes a snapshot at once).
async fn import_doc(app: Arc<App>, doc: document::Document) -> Response {
    let a = app.clone();
    match tokio::task::spawn_blocking(move || ops::apply(&a, ControlOp::Import { document: Box::new(doc) })).await {
        Ok(applied) => ops::finish(&app, applied, false).await,
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /_emulator/snapshot`: where the state is kept.
pub async fn get_snapshot(State(app): State<Arc<App>>) -> Response {
    let body = match app.persist.disk() {
        None => json!({ "data_dir": null, "named_snapshots": app.persist.list_named().len() }),
        Some(d) => json!({
            "data_dir": d.dir.path.display().to_string(),
            "sync": app.persist.sync_mode(),
            "seq": d.journal.last_seq(),
            "durable_seq": d.journal.durable_seq(),
            "journal_bytes": d.journal.len(),
            "snapshot_after_bytes": d.snapshot_after_bytes,
            "failed": d.failure(),
            "named_snapshots": app.persist.list_named().len(),
        }),
    };
    Json(body).into_response()
}

/// `POST /_emulator/snapshot`: writes a snapshot and empties the journal now.
pub async fn post_snapshot(State(app): State<Arc<App>>) -> Response {
    if app.persist.disk().is_none() {
        return error(
            StatusCode::CONFLICT,
            "no --data-dir: the state is in memory only (named snapshots work without one: POST /_emulator/snapshots/{name})",
        );
    }
    let a = app.clone();
    match tokio::task::spawn_blocking(move || a.persist.snapshot(&a)).await {
        Ok(Ok((seq, bytes))) => Json(json!({ "seq": seq, "bytes": bytes })).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /_emulator/snapshots`: the named snapshots.
pub async fn list(State(app): State<Arc<App>>) -> Response {
    let v: Vec<_> = app.persist.list_named().iter().map(named_json).collect();
    Json(json!({ "snapshots": v, "stored_in": if app.persist.disk().is_some() { "data_dir" } else { "memory" } }))
        .into_response()
}

/// `POST /_emulator/snapshots/{name}`: saves the current state under a name (201).
pub async fn save(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    let a = app.clone();
    match tokio::task::spawn_blocking(move || a.persist.save_named(&a, &name)).await {
        Ok(Ok(info)) => (StatusCode::CREATED, Json(named_json(&info))).into_response(),
        Ok(Err((code, msg))) => error(status(code), msg),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `DELETE /_emulator/snapshots/{name}`.
pub async fn delete(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    match app.persist.delete_named(&name) {
        Ok(()) => Json(json!({ "deleted": [name] })).into_response(),
        Err((code, msg)) => error(status(code), msg),
    }
}

/// `POST /_emulator/snapshots/{name}/restore`: the whole state back to a named snapshot.
pub async fn restore(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    let doc = match app.persist.load_named(&name) {
        Ok(d) => d,
        Err((code, msg)) => return error(status(code), msg),
    };
    import_doc(app, doc).await
}
