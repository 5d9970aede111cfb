//! Clock, configuration (delays and quotas), seed and accounts.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::ops::{respond, ControlOp, Redacted};
use super::{body, error};
use crate::app::{App, Settings};
use crate::clock::{format_iso, wall_ms};
use crate::ids::hash_str;

pub fn clock_json(app: &App) -> Value {
    let wall = wall_ms();
    let virt = app.clock.now_ms();
    json!({
        "wall": format_iso(wall),
        "wall_ms": wall,
        "virtual": format_iso(virt),
        "virtual_ms": virt,
        "offset_ms": app.clock.offset_ms(),
        "frozen": app.clock.is_frozen(),
        "timestamp_checks": "wall",
        "lifecycles": "virtual",
    })
}

pub async fn get_clock(State(app): State<Arc<App>>) -> Response {
    Json(clock_json(&app)).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    advance_seconds: Option<f64>,
    advance_ms: Option<u64>,
    freeze: Option<bool>,
}

/// `{"freeze": bool}` first, then `{"advance_seconds": N}` / `{"advance_ms": N}`.
pub async fn post_clock(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let req: ClockBody = match body(&bytes, "{\"advance_seconds\": N} and/or {\"freeze\": true|false}") {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut ms: Option<u64> = req.advance_ms;
    if let Some(s) = req.advance_seconds {
        if !s.is_finite() || !(0.0..=1e12).contains(&s) {
            return error(StatusCode::BAD_REQUEST, "advance_seconds must be a number ≥ 0 (the clock never goes back)");
        }
        ms = Some(ms.unwrap_or(0).saturating_add((s * 1000.0).round() as u64));
    }
    if ms.is_none() && req.freeze.is_none() {
        return error(StatusCode::BAD_REQUEST, "expected {\"advance_seconds\": N} and/or {\"freeze\": true|false}");
    }
    let mut last = Value::Null;
    if let Some(f) = req.freeze {
        match super::ops::apply_durable(&app, ControlOp::Freeze { frozen: f }).await {
            Ok(v) => last = v,
            Err(e) => return error(e.0, e.1),
        }
    }
    if let Some(ms) = ms {
        match super::ops::apply_durable(&app, ControlOp::AdvanceClock { ms }).await {
            Ok(v) => last = v,
            Err(e) => return error(e.0, e.1),
        }
    }
    Json(last).into_response()
}

pub fn config_json(s: &Settings) -> Value {
    serde_json::to_value(s).unwrap_or_default()
}

pub async fn get_config(State(app): State<Arc<App>>) -> Response {
    let s = *app.settings.read();
    Json(config_json(&s)).into_response()
}

/// Merges a partial configuration into the current one: every field keeps its type (integers ≥ 0,
/// booleans); `transition_delay_ms` sets every `*_ms` delay.
pub fn merge_config(current: &Settings, patch: &Value) -> Result<Settings, String> {
    let Value::Object(patch) = patch else {
        return Err("expected a JSON object like {\"delays\": {\"nat_create_ms\": 0}}".into());
    };
    let mut cur = config_json(current);
    for (k, v) in patch {
        if k == "transition_delay_ms" {
            let ms = v.as_u64().ok_or("transition_delay_ms must be an integer ≥ 0")?;
            if let Some(Value::Object(d)) = cur.get_mut("delays") {
                for (name, x) in d.iter_mut() {
                    if name.ends_with("_ms") && x.is_u64() {
                        *x = json!(ms);
                    }
                }
            }
            continue;
        }
        let Some(Value::Object(section)) = cur.get_mut(k) else {
            return Err(format!("unknown setting {k:?} (expected delays, quotas, transition_delay_ms)"));
        };
        let Value::Object(fields) = v else {
            return Err(format!("{k} must be an object"));
        };
        for (f, x) in fields {
            if !section.contains_key(f) {
                let known: Vec<&String> = section.keys().collect();
                return Err(format!("unknown setting {k}.{f} (known: {known:?})"));
            }
            match &section[f] {
                Value::Bool(_) if !x.is_boolean() => return Err(format!("{k}.{f} must be true or false")),
                Value::Number(_) if !x.is_u64() => return Err(format!("{k}.{f} must be an integer ≥ 0")),
                _ => {}
            }
            section.insert(f.clone(), x.clone());
        }
    }
    serde_json::from_value(cur).map_err(|e| e.to_string())
}

pub async fn post_config(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let patch: Value = match body::<Option<Value>>(&bytes, "a JSON object") {
        Ok(Some(v)) => v,
        Ok(None) => Value::Object(Map::new()),
        Err(r) => return r,
    };
    let applied = {
        // Read-merge-write serialized (never across an await), so that two concurrent patches both land.
        static PATCHING: parking_lot::Mutex<()> = parking_lot::Mutex::new(());
        let _one_at_a_time = PATCHING.lock();
        let current = *app.settings.read();
        match merge_config(&current, &patch) {
            Ok(s) => super::ops::apply(&app, ControlOp::SetSettings { settings: s }),
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        }
    };
    super::ops::finish(&app, applied, false).await
}

pub async fn get_seed(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "seed": app.seed() })).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBody {
    seed: Option<u64>,
}

pub async fn post_seed(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    match body::<SeedBody>(&bytes, "{\"seed\": N}") {
        Ok(SeedBody { seed: Some(seed) }) => respond(&app, ControlOp::Reseed { seed }).await,
        Ok(_) => error(StatusCode::BAD_REQUEST, "expected {\"seed\": N} (an integer ≥ 0)"),
        Err(r) => r,
    }
}

pub async fn get_accounts(State(app): State<Arc<App>>) -> Response {
    let accounts: Vec<Value> = app
        .store
        .accounts()
        .iter()
        .map(|a| json!({ "access_key_id": a.access_key_id, "account_id": a.owner_id, "name": a.spec.name }))
        .collect();
    Json(json!({ "accounts": accounts })).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    access_key_id: Option<String>,
    access_key_secret: Option<String>,
    account_id: Option<u64>,
    name: Option<String>,
}

/// A 16-digit account id derived from the AccessKeyId (the shape of real account ids).
pub fn derived_account_id(access_key_id: &str) -> u64 {
    1_000_000_000_000_000 + crate::ids::splitmix64(hash_str(access_key_id)) % 9_000_000_000_000_000
}

pub async fn post_account(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    const HINT: &str = "{\"access_key_id\": …, \"access_key_secret\": …, \"account_id\"?: N, \"name\"?: …}";
    let req: AccountBody = match body(&bytes, HINT) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (Some(id), Some(secret)) =
        (req.access_key_id.filter(|s| !s.is_empty()), req.access_key_secret.filter(|s| !s.is_empty()))
    else {
        return error(StatusCode::BAD_REQUEST, format!("access_key_id and access_key_secret are required: {HINT}"));
    };
    if id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return error(StatusCode::BAD_REQUEST, "access_key_id: 1-128 printable ASCII characters, no spaces");
    }
    let account_id = req.account_id.unwrap_or_else(|| derived_account_id(&id));
    respond(
        &app,
        ControlOp::AddAccount {
            access_key_id: id,
            access_key_secret: Redacted(secret),
            account_id,
            name: req.name.unwrap_or_default(),
        },
    )
    .await
}
