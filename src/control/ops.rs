//! Every change the control plane makes to the emulator's state, as data: [`ControlOp`], applied by
//! [`apply`] in the global order of writes and journaled with a data directory
//! (`persist::live`); [`respond`] also waits until it is durable. [`execute`] is the change itself,
//! which replay calls. Fault rules and the request journal are diagnostics, not state, and are not
//! ops.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::app::{App, Settings};
use crate::persist::document::Document;
use crate::persist::live::Persistence;
use crate::world::AccountSpec;

/// A secret that serializes (persistence needs it) but never prints.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ControlOp {
    /// Every account (`None`) or one back to the world file's state.
    Reset {
        account: Option<String>,
    },
    AddAccount {
        access_key_id: String,
        access_key_secret: Redacted,
        account_id: u64,
        name: String,
    },
    Reseed {
        seed: u64,
    },
    /// Moves the virtual clock forward.
    AdvanceClock {
        ms: u64,
    },
    Freeze {
        frozen: bool,
    },
    SetSettings {
        settings: Settings,
    },
    /// Replaces the whole state (`POST /_emulator/state/import`, a named snapshot's restore). Made
    /// durable by a snapshot, not a journal record.
    Import {
        document: Box<Document>,
    },
}

/// Why an op was refused: an HTTP status and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub StatusCode, pub String);

/// Applies one op in the global order of writes, journaled with a data directory: the JSON answer
/// and the journal seq to wait for ([`Persistence::acknowledge`]).
pub fn apply(app: &App, op: ControlOp) -> Result<(Value, Option<u64>), Refused> {
    app.persist.control(app, op)
}

/// [`apply`], then waits until the change is durable.
pub async fn apply_durable(app: &Arc<App>, op: ControlOp) -> Result<Value, Refused> {
    let (value, seq) = apply(app, op)?;
    if let Some(seq) = seq {
        Persistence::acknowledge(app, seq)
            .await
            .map_err(|e| Refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    }
    Ok(value)
}

/// The change itself, and nothing else (replay calls it directly; everything else calls [`apply`]).
pub fn execute(app: &App, op: &ControlOp) -> Result<Value, Refused> {
    match op.clone() {
        ControlOp::Reset { account } => {
            let started = std::time::Instant::now();
            let reset = match account {
                Some(id) => {
                    if !app.store.reset_account(&id) {
                        return Err(Refused(StatusCode::NOT_FOUND, format!("no account with AccessKeyId {id:?}")));
                    }
                    vec![id]
                }
                None => {
                    // The drift report resets with the world (not with one account: it is global).
                    app.coverage.clear();
                    app.store.reset_all()
                }
            };
            let duration_us = started.elapsed().as_micros() as u64;
            tracing::info!(target: "control", ?reset, duration_us, "reset");
            Ok(json!({ "reset": reset, "duration_us": duration_us }))
        }
        ControlOp::AddAccount { access_key_id, access_key_secret, account_id, name } => {
            if app.store.account(&access_key_id).is_some() {
                return Err(Refused(
                    StatusCode::CONFLICT,
                    format!("an account with AccessKeyId {access_key_id:?} exists already"),
                ));
            }
            // Through serde, so that fields the world file may gain later take their defaults.
            let spec: AccountSpec = serde_json::from_value(json!({
                "access_key_id": access_key_id,
                "access_key_secret": access_key_secret.0,
                "account_id": account_id,
                "name": name,
            }))
            .map_err(|e| Refused(StatusCode::BAD_REQUEST, e.to_string()))?;
            app.store.add_account(spec).map_err(|e| Refused(StatusCode::BAD_REQUEST, e))?;
            tracing::info!(target: "control", access_key_id, account_id, "account added");
            Ok(json!({ "access_key_id": access_key_id, "account_id": account_id, "name": name }))
        }
        ControlOp::Reseed { seed } => {
            app.reseed(seed);
            tracing::info!(target: "control", seed, "reseeded");
            Ok(json!({ "seed": seed }))
        }
        ControlOp::AdvanceClock { ms } => {
            app.clock.advance(ms);
            Ok(super::settings::clock_json(app))
        }
        ControlOp::Freeze { frozen } => {
            app.clock.set_frozen(frozen);
            Ok(super::settings::clock_json(app))
        }
        ControlOp::SetSettings { settings } => {
            *app.settings.write() = settings;
            tracing::info!(target: "control", ?settings, "settings changed");
            Ok(super::settings::config_json(&settings))
        }
        ControlOp::Import { document } => {
            crate::persist::document::restore(app, &document).map_err(|e| Refused(StatusCode::BAD_REQUEST, e))?;
            tracing::info!(target: "control", accounts = document.accounts.len(), "state imported");
            Ok(json!({
                "imported": document.accounts.iter().map(|a| a.access_key_id.clone()).collect::<Vec<_>>(),
                "virtual_ms": app.clock.now_ms(),
            }))
        }
    }
}

/// [`apply_durable`] as an HTTP answer (`201` for an added account).
pub async fn respond(app: &Arc<App>, op: ControlOp) -> Response {
    let created = matches!(op, ControlOp::AddAccount { .. });
    finish(app, apply(app, op), created).await
}

/// An applied op (see [`apply`]) as an HTTP answer once it is durable.
pub async fn finish(app: &Arc<App>, applied: Result<(Value, Option<u64>), Refused>, created: bool) -> Response {
    let result = match applied {
        Ok((v, Some(seq))) => Persistence::acknowledge(app, seq)
            .await
            .map(|()| v)
            .map_err(|e| Refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
        Ok((v, None)) => Ok(v),
        Err(e) => Err(e),
    };
    match result {
        Ok(v) if created => (StatusCode::CREATED, Json(v)).into_response(),
        Ok(v) => Json(v).into_response(),
        Err(Refused(status, message)) => super::error(status, message),
    }
}
