//! Every change the control plane makes to the emulator's state, as data: [`ControlOp`], applied by
//! [`apply`]. One place, so that persistence (issue 9) can journal each acknowledged change before
//! answering, and replay them in order. Fault rules and the request journal are diagnostics, not
//! state, and are not ops.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::app::{App, Settings};
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
}

/// Why an op was refused: an HTTP status and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub StatusCode, pub String);

/// Applies one op; the JSON answer on success.
pub fn apply(app: &App, op: ControlOp) -> Result<Value, Refused> {
    match op {
        ControlOp::Reset { account } => {
            let reset = match account {
                Some(id) => {
                    if !app.store.reset_account(&id) {
                        return Err(Refused(StatusCode::NOT_FOUND, format!("no account with AccessKeyId {id:?}")));
                    }
                    vec![id]
                }
                None => app.store.reset_all(),
            };
            tracing::info!(target: "control", ?reset, "reset");
            Ok(json!({ "reset": reset }))
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
    }
}

/// [`apply`] as an HTTP answer (`201` for an added account).
pub fn respond(app: &App, op: ControlOp) -> Response {
    let created = matches!(op, ControlOp::AddAccount { .. });
    match apply(app, op) {
        Ok(v) if created => (StatusCode::CREATED, Json(v)).into_response(),
        Ok(v) => Json(v).into_response(),
        Err(Refused(status, message)) => super::error(status, message),
    }
}
