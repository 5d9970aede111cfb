//! `GET /_emulator/openapi.json`: the control plane as an OpenAPI 3.0 document. Written by hand next
//! to [`super::ROUTES`]; a test checks that both list the same operations.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::app::App;

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn err(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn body(schema: Value, required: bool) -> Value {
    json!({ "required": required, "content": { "application/json": { "schema": schema } } })
}

fn qp(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn pp(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

fn op(summary: &str, tag: &str, params: Vec<Value>, request: Option<Value>, responses: Vec<(&str, Value)>) -> Value {
    let mut o = Map::new();
    o.insert("summary".into(), json!(summary));
    o.insert("tags".into(), json!([tag]));
    o.insert("operationId".into(), json!(summary.split_whitespace().collect::<Vec<_>>().join("_").to_lowercase()));
    if !params.is_empty() {
        o.insert("parameters".into(), Value::Array(params));
    }
    if let Some(r) = request {
        o.insert("requestBody".into(), r);
    }
    let mut rs = Map::new();
    for (code, v) in responses {
        rs.insert(code.into(), v);
    }
    o.insert("responses".into(), Value::Object(rs));
    Value::Object(o)
}

fn obj() -> Value {
    json!({ "type": "object", "additionalProperties": true })
}

/// The document.
pub fn document() -> Value {
    let r = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let bad = err("Malformed request (the message says what was expected)");
    let not_found = err("Unknown account, region, rule or request");
    let mut paths = Map::new();
    let mut put = |path: &str, method: &str, v: Value| {
        let e = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        e[method] = v;
    };
    put("/_emulator/health", "get", op("Health", "health", vec![], None, vec![("200", ok("Running", r("Health")))]));
    put(
        "/_emulator/health",
        "head",
        op("Health head", "health", vec![], None, vec![("200", json!({"description": "Running"}))]),
    );
    put(
        "/_emulator/state",
        "get",
        op(
            "Get state",
            "state",
            vec![
                qp("account", "Only this account (AccessKeyId)", json!({"type": "string"})),
                qp("region", "Only this region", json!({"type": "string"})),
                qp(
                    "type",
                    "Only these resource types, comma-separated: vpc, vswitch, nat_gateway, eip, forward_entry, snat_entry",
                    json!({"type": "string"}),
                ),
            ],
            None,
            vec![("200", ok("One consistent snapshot", r("State"))), ("400", bad.clone()), ("404", not_found.clone())],
        ),
    );
    put(
        "/_emulator/clock",
        "get",
        op("Get clock", "clock", vec![], None, vec![("200", ok("Wall and virtual time", r("Clock")))]),
    );
    put(
        "/_emulator/clock",
        "post",
        op(
            "Set clock",
            "clock",
            vec![],
            Some(body(r("ClockChange"), true)),
            vec![("200", ok("The clock after the change", r("Clock"))), ("400", bad.clone())],
        ),
    );
    put(
        "/_emulator/config",
        "get",
        op("Get config", "config", vec![], None, vec![("200", ok("Delays and quotas", r("Config")))]),
    );
    put(
        "/_emulator/config",
        "post",
        op(
            "Set config",
            "config",
            vec![],
            Some(body(r("ConfigPatch"), true)),
            vec![("200", ok("The configuration after the change", r("Config"))), ("400", bad.clone())],
        ),
    );
    put("/_emulator/seed", "get", op("Get seed", "seed", vec![], None, vec![("200", ok("The seed", r("Seed")))]));
    put(
        "/_emulator/seed",
        "post",
        op(
            "Set seed",
            "seed",
            vec![],
            Some(body(r("Seed"), true)),
            vec![("200", ok("Reseeded", r("Seed"))), ("400", bad.clone())],
        ),
    );
    put(
        "/_emulator/faults",
        "get",
        op(
            "List faults",
            "faults",
            vec![],
            None,
            vec![(
                "200",
                ok(
                    "Rules with hit counts",
                    json!({"type": "object", "properties": {"faults": {"type": "array", "items": r("FaultRule")}}}),
                ),
            )],
        ),
    );
    put(
        "/_emulator/faults",
        "post",
        op(
            "Add fault",
            "faults",
            vec![],
            Some(body(r("FaultRuleRequest"), true)),
            vec![("201", ok("The rule", r("FaultRule"))), ("400", bad.clone())],
        ),
    );
    put(
        "/_emulator/faults",
        "delete",
        op("Delete all faults", "faults", vec![], None, vec![("200", ok("Removed rule ids", r("Deleted")))]),
    );
    put(
        "/_emulator/faults/{id}",
        "delete",
        op(
            "Delete fault",
            "faults",
            vec![pp("id", "A rule id (flt-N)")],
            None,
            vec![("200", ok("Removed", r("Deleted"))), ("404", not_found.clone())],
        ),
    );
    put(
        "/_emulator/faults/report",
        "get",
        op(
            "Fault report",
            "faults",
            vec![qp("rule", "Only faults of this rule", json!({"type": "string"}))],
            None,
            vec![("200", ok("Per injected fault, per episode, per rule", r("FaultReport")))],
        ),
    );
    put(
        "/_emulator/faults/report",
        "delete",
        op("Clear fault report", "faults", vec![], None, vec![("200", ok("Cleared", obj()))]),
    );
    put(
        "/_emulator/requests",
        "get",
        op(
            "List requests",
            "requests",
            vec![
                qp("limit", "At most this many (default 100), newest first", json!({"type": "integer", "minimum": 1})),
                qp("action", "Only this action", json!({"type": "string"})),
                qp("code", "Only this Code; `ok` for successes", json!({"type": "string"})),
                qp("account", "Only this AccessKeyId", json!({"type": "string"})),
                qp("status", "Only this HTTP status", json!({"type": "integer"})),
            ],
            None,
            vec![("200", ok("Recent requests", r("RequestList"))), ("400", bad.clone())],
        ),
    );
    put(
        "/_emulator/requests",
        "delete",
        op("Clear requests", "requests", vec![], None, vec![("200", ok("Cleared", obj()))]),
    );
    put(
        "/_emulator/requests/{request_id}",
        "get",
        op(
            "Get request",
            "requests",
            vec![pp("request_id", "The RequestId the client got")],
            None,
            vec![
                ("200", ok("The request, with a signature diagnosis when refused", r("RequestDetail"))),
                ("404", not_found.clone()),
            ],
        ),
    );
    put(
        "/_emulator/accounts",
        "get",
        op(
            "List accounts",
            "accounts",
            vec![],
            None,
            vec![(
                "200",
                ok(
                    "AccessKeyIds and account ids, never secrets",
                    json!({"type": "object", "properties": {"accounts": {"type": "array", "items": r("Account")}}}),
                ),
            )],
        ),
    );
    put(
        "/_emulator/accounts",
        "post",
        op(
            "Add account",
            "accounts",
            vec![],
            Some(body(r("NewAccount"), true)),
            vec![
                ("201", ok("Added, with its own default world", r("Account"))),
                ("400", bad.clone()),
                ("409", err("The AccessKeyId exists")),
            ],
        ),
    );
    put(
        "/_emulator/reset",
        "post",
        op(
            "Reset",
            "state",
            vec![],
            Some(body(
                json!({"type": "object", "properties": {"account": {"type": "string"}}, "additionalProperties": false}),
                false,
            )),
            vec![
                (
                    "200",
                    ok(
                        "Reset accounts",
                        json!({"type": "object", "properties": {"reset": {"type": "array", "items": {"type": "string"}}, "duration_us": {"type": "integer", "description": "the server's own time for the reset (the old world is freed afterwards, off the request path)"}}}),
                    ),
                ),
                ("400", bad.clone()),
                ("404", not_found),
            ],
        ),
    );
    put(
        "/_emulator/init",
        "post",
        op(
            "Apply init",
            "state",
            vec![],
            Some(body(r("InitDocument"), true)),
            vec![
                (
                    "200",
                    ok(
                        "Applied; the named replies",
                        json!({"type": "object", "properties": {"applied": {"type": "integer"}, "results": obj()}}),
                    ),
                ),
                ("400", bad),
            ],
        ),
    );
    put(
        "/_emulator/openapi.json",
        "get",
        op("OpenAPI document", "health", vec![], None, vec![("200", ok("This document", obj()))]),
    );
    persistence_paths(&mut put, &r);
    let action_q = || qp("action", "Only this action", json!({"type": "string"}));
    put(
        "/_emulator/coverage",
        "get",
        op(
            "Coverage report",
            "coverage",
            vec![action_q()],
            None,
            vec![
                (
                    "200",
                    ok(
                        "Per action, the parameters received that it does not read; the actions called that the emulator does not implement",
                        json!({"type": "object", "properties": {
                            "strict_params": {"type": "boolean"}, "since": {"type": "string"}, "since_ms": {"type": "integer"},
                            "implemented_actions": {"type": "integer"},
                            "ignored_parameters": {"type": "object", "description": "action → parameter → {count, first_seen, last_seen, user_agents, accounts, refused}", "additionalProperties": obj()},
                            "unknown_actions": {"type": "object", "description": "action → {count, first_seen, last_seen, user_agents, accounts, parameters}", "additionalProperties": obj()},
                            "refused_requests": {"type": "integer"}, "dropped": {"type": "integer"}}}),
                    ),
                ),
                ("400", err("Malformed request (the message says what was expected)")),
            ],
        ),
    );
    put(
        "/_emulator/coverage",
        "delete",
        op("Clear coverage report", "coverage", vec![], None, vec![("200", ok("Cleared", obj()))]),
    );
    put(
        "/_emulator/coverage/known",
        "get",
        op(
            "Known parameters",
            "coverage",
            vec![action_q()],
            None,
            vec![
                ("200", ok("The parameters each action reads (Name.N: an index)", obj())),
                ("404", err("An action the emulator does not implement")),
            ],
        ),
    );
    put(
        "/_emulator/tls/ca.pem",
        "get",
        op(
            "TLS CA certificate",
            "health",
            vec![],
            None,
            vec![
                (
                    "200",
                    json!({"description": "The CA to trust for --tls (PEM)", "content": {"application/x-pem-file": {"schema": {"type": "string"}}}}),
                ),
                ("404", err("HTTPS is off, or the certificate came from --tls-cert")),
            ],
        ),
    );
    put(
        "/_emulator/nat/trace",
        "post",
        op(
            "NAT trace",
            "state",
            vec![],
            Some(body(
                json!({"type": "object", "additionalProperties": false,
                       "required": ["nat_gateway_id", "direction", "src_ip", "dst_ip", "protocol"],
                       "properties": {"account": {"type": "string", "description": "AccessKeyId (default: the world's first account)"},
                                      "region": {"type": "string", "description": "default: every region"},
                                      "nat_gateway_id": {"type": "string"},
                                      "direction": {"type": "string", "enum": ["inbound", "outbound"]},
                                      "src_ip": {"type": "string"}, "src_port": {"type": "integer", "minimum": 0, "maximum": 65535},
                                      "dst_ip": {"type": "string"}, "dst_port": {"type": "integer", "minimum": 0, "maximum": 65535},
                                      "protocol": {"type": "string"}}}),
                true,
            )),
            vec![
                (
                    "200",
                    ok(
                        "The matched entry, the translated packet, and why each entry did or did not match",
                        json!({"type": "object", "properties": {
                            "account": {"type": "string"}, "region": {"type": "string"}, "nat_gateway_id": {"type": "string"},
                            "direction": {"type": "string"}, "matched": {"type": "object", "nullable": true},
                            "translated": {"type": "object", "nullable": true},
                            "entries": {"type": "array", "items": {"type": "object", "properties": {
                                "entry_id": {"type": "string"}, "kind": {"type": "string", "enum": ["DNAT", "SNAT"]},
                                "matched": {"type": "boolean"}, "reason": {"type": "string"}}}},
                            "verdict": {"type": "string"}}}),
                    ),
                ),
                ("400", err("Malformed request (the message says what was expected)")),
                ("404", err("Unknown account, region or NAT gateway")),
            ],
        ),
    );

    let int = json!({"type": "integer", "minimum": 0});
    let s = json!({"type": "string"});
    let schemas = json!({
        "Error": {"type": "object", "required": ["error"], "properties": {"error": s}},
        "StateDocument": state_document_schema(),
        "Health": {"type": "object", "properties": {"status": s, "version": s, "uptime_seconds": {"type": "number"}, "auth": {"type": "string", "enum": ["strict", "off"]}, "accounts": int, "regions": int}},
        "State": {"type": "object", "properties": {
            "virtual_time": s, "virtual_ms": int,
            "accounts": {"type": "array", "items": {"type": "object", "properties": {
                "access_key_id": s, "account_id": int, "name": s, "resource_group_id": s,
                "pending_transitions": int, "next_transition_ms": {"type": "integer", "nullable": true},
                "regions": {"type": "object", "additionalProperties": {"type": "object", "description": "resource type → id → resource (vpcs, vswitches, nat_gateways, eips, forward_entries, snat_entries)", "additionalProperties": obj()}}
            }}}
        }},
        "Clock": {"type": "object", "properties": {"wall": s, "wall_ms": int, "virtual": s, "virtual_ms": int, "offset_ms": {"type": "integer"}, "frozen": {"type": "boolean"}, "timestamp_checks": s, "lifecycles": s}},
        "ClockChange": {"type": "object", "additionalProperties": false, "properties": {"advance_seconds": {"type": "number", "minimum": 0}, "advance_ms": int, "freeze": {"type": "boolean"}}},
        "Config": {"type": "object", "properties": {"delays": {"type": "object", "additionalProperties": {"oneOf": [int, {"type": "boolean"}]}}, "quotas": {"type": "object", "additionalProperties": int}}},
        "ConfigPatch": {"type": "object", "additionalProperties": false, "properties": {"transition_delay_ms": int, "delays": {"type": "object", "additionalProperties": {"oneOf": [int, {"type": "boolean"}]}}, "quotas": {"type": "object", "additionalProperties": int}}},
        "Seed": {"type": "object", "required": ["seed"], "properties": {"seed": int}},
        "Deleted": {"type": "object", "properties": {"deleted": {"type": "array", "items": s}}},
        "Match": {"type": "object", "additionalProperties": false, "properties": {"action": s, "resource_id": s, "account": s, "region": s}},
        "When": {"type": "object", "additionalProperties": false, "description": "at most one of nth, first, probability; none: every matching call", "properties": {"nth": {"type": "integer", "minimum": 1}, "first": {"type": "integer", "minimum": 1}, "probability": {"type": "number", "minimum": 0, "maximum": 1}, "seed": int}},
        "InjectedError": {"type": "object", "properties": {"preset": {"type": "string", "enum": crate::faults::PRESETS.iter().map(|p| p.0).collect::<Vec<_>>()}, "status": {"type": "integer", "minimum": 400, "maximum": 599}, "code": s, "message": s}},
        "FaultRuleRequest": {"type": "object", "additionalProperties": false, "properties": {
            "match": r("Match"),
            "error": {"oneOf": [{"type": "string", "description": "a preset name"}, r("InjectedError")]},
            "latency_ms": int, "when": r("When")}},
        "FaultRule": {"type": "object", "properties": {"id": s, "match": r("Match"), "error": {"type": "object", "nullable": true, "properties": {"status": int, "code": s, "message": s}}, "latency_ms": int, "when": r("When"), "created": s, "matched": int, "injected": int}},
        "FaultReport": {"type": "object", "properties": {
            "injected": {"type": "array", "items": {"type": "object", "properties": {"rule": s, "request_id": s, "episode": int, "attempt": int, "action": s, "account": s, "status": int, "code": s, "at": s, "retried": {"type": "boolean"}, "backoff_ms": {"type": "number", "nullable": true}, "retry_request_id": {"type": "string", "nullable": true}, "retry_outcome": {"type": "object", "nullable": true}}}},
            "episodes": {"type": "array", "items": {"type": "object", "properties": {"episode": int, "action": s, "account": s, "attempts": int, "retries": int, "faults_injected": int, "backoffs_ms": {"type": "array", "items": {"type": "number"}}, "open": {"type": "boolean"}, "recovered": {"type": "boolean"}, "final": obj(), "request_ids": {"type": "array", "items": s}}}},
            "rules": {"type": "array", "items": {"type": "object", "properties": {"rule": s, "injected": int, "retried": int, "not_retried": int, "mean_backoff_ms": {"type": "number", "nullable": true}}}}
        }},
        "RequestSummary": {"type": "object", "properties": {"request_id": s, "time": s, "wall_ms": int, "virtual_ms": int, "method": s, "action": {"type": "string", "nullable": true}, "account": {"type": "string", "nullable": true}, "region": {"type": "string", "nullable": true}, "status": int, "code": {"type": "string", "nullable": true}, "duration_ms": {"type": "number"}, "fault": obj(), "client_retry": obj(), "likely_cause": s}},
        "RequestList": {"type": "object", "properties": {"requests": {"type": "array", "items": r("RequestSummary")}, "stored": int, "capacity": int}},
        "RequestDetail": {"allOf": [r("RequestSummary"), {"type": "object", "properties": {"params": {"type": "object", "additionalProperties": s}, "params_omitted": int, "message": {"type": "string", "nullable": true}, "signature": r("SignatureDiagnosis")}}]},
        "SignatureDiagnosis": {"type": "object", "properties": {
            "scheme": s, "access_key_id": s, "method": s,
            "client": {"type": "object", "properties": {"signed_headers": {"type": "array", "items": s}, "timestamp": s, "content_sha256": s, "body_parameters": {"type": "array", "items": s}}},
            "server": {"type": "object", "properties": {"canonical_request": s, "string_to_sign": s}},
            "clock_skew_seconds": {"type": "integer"},
            "likely_cause": {"type": "object", "properties": {"code": {"type": "string", "enum": ["star_not_encoded", "tilde_encoded", "space_as_plus", "url_encoder", "parameter_not_signed", "body_signed_as_query", "wrong_method", "clock_skew", "nonce_reused", "content_hash_mismatch", "secret_mismatch"]}, "explanation": s}},
            "tried": {"type": "array", "items": s}
        }},
        "Account": {"type": "object", "properties": {"access_key_id": s, "account_id": int, "name": s}},
        "NewAccount": {"type": "object", "additionalProperties": false, "required": ["access_key_id", "access_key_secret"], "properties": {"access_key_id": s, "access_key_secret": s, "account_id": int, "name": s}},
        "InitItem": {"type": "object", "additionalProperties": false, "required": ["action"], "properties": {"account": s, "action": s, "params": {"type": "object", "description": "values: text (with ${name.Field} references), numbers, booleans, lists (Name.N), objects (Name.Key)", "additionalProperties": true}, "as": s}},
        "InitDocument": {"oneOf": [
            {"type": "array", "items": r("InitItem")},
            {"type": "object", "additionalProperties": false, "properties": {"account": s, "resources": {"type": "array", "items": r("InitItem")}}}
        ]}
    });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "aliyun-nat-emulator control plane",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The emulator's own API under /_emulator/: unsigned JSON; errors are {\"error\": \"…\"} with a 4xx. See docs/control-api.md.",
        },
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

/// `state/export`, `state/import`, `snapshot`, `snapshots` (docs/persistence.md).
fn persistence_paths(put: &mut impl FnMut(&str, &str, Value), r: &dyn Fn(&str) -> Value) {
    let bad = || err("Malformed request (the message says what was expected)");
    let name = || pp("name", "1-100 of A-Z a-z 0-9 - _ . (not starting with .)");
    let named = json!({"type": "object", "properties": {"name": {"type": "string"}, "bytes": {"type": "integer"}, "created": {"type": "string"}, "created_ms": {"type": "integer"}}});
    let imported = json!({"type": "object", "properties": {"imported": {"type": "array", "items": {"type": "string"}}, "virtual_ms": {"type": "integer"}}});
    put(
        "/_emulator/state/export",
        "get",
        op(
            "Export state",
            "persistence",
            vec![],
            None,
            vec![("200", ok("The whole state (secrets included)", r("StateDocument")))],
        ),
    );
    put(
        "/_emulator/state/import",
        "post",
        op(
            "Import state",
            "persistence",
            vec![],
            Some(body(r("StateDocument"), true)),
            vec![("200", ok("The state was replaced", imported.clone())), ("400", bad())],
        ),
    );
    put(
        "/_emulator/snapshot",
        "get",
        op(
            "Persistence status",
            "persistence",
            vec![],
            None,
            vec![("200", ok("The data directory (null without one), sync mode, journal seq and size", obj()))],
        ),
    );
    put(
        "/_emulator/snapshot",
        "post",
        op(
            "Write snapshot",
            "persistence",
            vec![],
            None,
            vec![
                (
                    "200",
                    ok(
                        "Snapshot written, journal emptied",
                        json!({"type": "object", "properties": {"seq": {"type": "integer"}, "bytes": {"type": "integer"}}}),
                    ),
                ),
                ("409", err("No --data-dir")),
            ],
        ),
    );
    put(
        "/_emulator/snapshots",
        "get",
        op(
            "List snapshots",
            "persistence",
            vec![],
            None,
            vec![(
                "200",
                ok(
                    "Named snapshots",
                    json!({"type": "object", "properties": {"snapshots": {"type": "array", "items": named.clone()}, "stored_in": {"type": "string", "enum": ["data_dir", "memory"]}}}),
                ),
            )],
        ),
    );
    put(
        "/_emulator/snapshots/{name}",
        "post",
        op(
            "Save snapshot",
            "persistence",
            vec![name()],
            None,
            vec![
                ("201", ok("Saved (replacing one of the same name)", named)),
                ("400", bad()),
                ("409", err("Too many named snapshots in memory")),
            ],
        ),
    );
    put(
        "/_emulator/snapshots/{name}",
        "delete",
        op(
            "Delete snapshot",
            "persistence",
            vec![name()],
            None,
            vec![("200", ok("Deleted", r("Deleted"))), ("400", bad()), ("404", err("No such snapshot"))],
        ),
    );
    put(
        "/_emulator/snapshots/{name}/restore",
        "post",
        op(
            "Restore snapshot",
            "persistence",
            vec![name()],
            None,
            vec![
                ("200", ok("The state is the snapshot's", imported)),
                ("400", bad()),
                ("404", err("No such snapshot")),
            ],
        ),
    );
}

fn state_document_schema() -> Value {
    let int = json!({"type": "integer"});
    json!({"type": "object", "required": ["format", "version", "clock", "seed", "settings", "accounts", "states", "pools"],
    "description": "docs/persistence.md: the accounts' keys and whole states, the clock, the seed, the settings, the EIP pool cursors",
    "properties": {
        "format": {"type": "string", "enum": [crate::persist::document::FORMAT]},
        "version": {"type": "integer", "enum": [crate::persist::document::VERSION]},
        "seq": int,
        "clock": {"type": "object", "properties": {"frozen": {"type": "boolean"}, "virtual_ms": int, "offset_ms": int}},
        "seed": int,
        "settings": {"type": "object", "properties": {"delays": obj(), "quotas": obj()}},
        "accounts": {"type": "array", "items": {"type": "object", "properties": {"access_key_id": {"type": "string"}, "access_key_secret": {"type": "string"}, "account_id": int, "name": {"type": "string"}, "legacy_bandwidth_packages": {"type": "boolean"}}}},
        "states": {"type": "array", "items": obj()},
        "pools": {"type": "object", "additionalProperties": int}
    }})
}

pub async fn get_openapi(State(_app): State<Arc<App>>) -> Response {
    Json(document()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_exactly_the_routes() {
        let doc = document();
        let mut listed: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                listed.push((method.to_uppercase(), path.clone()));
            }
        }
        let mut routes: Vec<(String, String)> =
            super::super::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        listed.sort();
        routes.sort();
        assert_eq!(listed, routes);
        // Every $ref resolves.
        let text = doc.to_string();
        for part in text.split("\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(doc["components"]["schemas"].get(name).is_some(), "{name}");
        }
    }
}
