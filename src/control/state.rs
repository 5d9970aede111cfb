//! `GET /_emulator/state?account=&region=&type=`: every resource by account and region, from one
//! consistent snapshot (all accounts' read locks held together while copying), with the status
//! transitions due at the current virtual time applied to the copy.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::{error, query};
use crate::app::App;
use crate::clock::format_iso;
use crate::store::AccountState;

/// Region-state fields that are bookkeeping, not resources.
const HIDDEN: &[&str] = &["released_eips"];

/// `nat_gateways`, `NatGateway`, `nat-gateway` → `natgateway`; `forward_entries` → `forwardentry`.
pub fn normalize_type(s: &str) -> String {
    let l: String = s.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect();
    let l = match l.as_str() {
        "dnat" | "dnatentry" | "dnatentries" => "forwardentry".to_owned(),
        "snat" => "snatentry".to_owned(),
        _ => l,
    };
    if let Some(stem) = l.strip_suffix("ies") {
        format!("{stem}y")
    } else if l.ends_with("ches") || l.ends_with("shes") || l.ends_with("xes") {
        l[..l.len() - 2].to_owned()
    } else if let Some(stem) = l.strip_suffix('s') {
        stem.to_owned()
    } else {
        l
    }
}

fn account_json(st: &AccountState, name: &str, region: Option<&str>, types: &Option<Vec<String>>) -> Value {
    let mut regions = Map::new();
    for (rid, rs) in &st.regions {
        if region.is_some_and(|r| r != rid) {
            continue;
        }
        let Ok(Value::Object(all)) = serde_json::to_value(rs) else { continue };
        let mut kept = Map::new();
        for (k, v) in all {
            if HIDDEN.contains(&k.as_str()) {
                continue;
            }
            if types.as_ref().is_some_and(|t| !t.contains(&normalize_type(&k))) {
                continue;
            }
            kept.insert(k, v);
        }
        regions.insert(rid.clone(), Value::Object(kept));
    }
    json!({
        "access_key_id": st.access_key_id,
        "account_id": st.owner_id,
        "name": name,
        "resource_group_id": st.resource_group_id,
        "pending_transitions": st.timers.len(),
        "next_transition_ms": st.timers.next_deadline(),
        "regions": regions,
    })
}

pub async fn get_state(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let q = match query(raw.as_deref(), &["account", "region", "type"]) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let region = q.get("region").map(String::as_str);
    if let Some(r) = region {
        if app.store.world.region(r).is_none() {
            return error(StatusCode::NOT_FOUND, format!("no region {r:?} in the world"));
        }
    }
    let known: Vec<String> = serde_json::to_value(crate::store::RegionState::default())
        .ok()
        .and_then(|v| v.as_object().map(|m| m.keys().filter(|k| !HIDDEN.contains(&k.as_str())).cloned().collect()))
        .unwrap_or_default();
    let types: Option<Vec<String>> = match q.get("type") {
        None => None,
        Some(t) => {
            let mut v = Vec::new();
            for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let n = normalize_type(part);
                if !known.iter().any(|k| normalize_type(k) == n) {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!("unknown resource type {part:?} (known: {})", known.join(", ")),
                    );
                }
                v.push(n);
            }
            Some(v)
        }
    };
    let now = app.clock.now_ms();
    let snapshot: Vec<(AccountState, String)> = match q.get("account") {
        Some(id) => {
            let Some(acc) = app.store.account(id) else {
                return error(StatusCode::NOT_FOUND, format!("no account with AccessKeyId {id:?}"));
            };
            let mut st = acc.state.read().clone();
            st.settle(now);
            vec![(st, acc.spec.name.clone())]
        }
        None => {
            let names: std::collections::HashMap<String, String> =
                app.store.accounts().iter().map(|a| (a.access_key_id.clone(), a.spec.name.clone())).collect();
            app.store
                .snapshot_all(now)
                .into_iter()
                .map(|s| {
                    let n = names.get(&s.access_key_id).cloned().unwrap_or_default();
                    (s, n)
                })
                .collect()
        }
    };
    let accounts: Vec<Value> = snapshot.iter().map(|(st, name)| account_json(st, name, region, &types)).collect();
    Json(json!({
        "virtual_time": format_iso(now),
        "virtual_ms": now,
        "accounts": accounts,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::normalize_type;

    #[test]
    fn type_names() {
        for (a, b) in [
            ("nat_gateways", "NatGateway"),
            ("vswitches", "vswitch"),
            ("vpcs", "VPC"),
            ("forward_entries", "dnat"),
            ("snat_entries", "snat_entry"),
            ("eips", "eip"),
        ] {
            assert_eq!(normalize_type(a), normalize_type(b), "{a} {b}");
        }
    }
}
