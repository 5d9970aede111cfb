//! Init data: a list of API calls applied at start (`--init FILE`) or at run time
//! (`POST /_emulator/init`), through the same code as real requests (`dispatch::execute`).
//!
//! ```json
//! {"account": "testid",
//!  "resources": [
//!    {"action": "CreateVpc", "params": {"RegionId": "cn-hangzhou", "CidrBlock": "10.0.0.0/8"}, "as": "vpc1"},
//!    {"action": "CreateVSwitch", "params": {"VpcId": "${vpc1.VpcId}", "ZoneId": "cn-hangzhou-h",
//!                                           "CidrBlock": "10.1.0.0/16"}, "as": "vsw1"}]}
//! ```
//! With `--data-dir` every item is journaled as it runs (with its zero delays), like an API call.
//! A top-level list is accepted too. Each item runs one action for its `account` (default: the
//! document's `account`, else the world's first account); `as` names its reply so later items can
//! refer to any field of it with `${name.Field}` (`${name.List.Item.0}` for list elements).
//! Parameter values may be strings, numbers, booleans, lists (`Name.1`, `Name.2`, …) or objects
//! (`Name.Key`, as in `Tag.1.Key`). Every lifecycle delay is 0 while init runs, so what it creates
//! is Available at once. The first failing item stops everything with a message naming it.
//! YAML files (`.yaml`/`.yml`, or any text not starting with `{` or `[`) hold the same document.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::app::App;
use crate::dispatch;
use crate::params::Params;
use crate::store::{Ctx, Delays};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    #[serde(default)]
    pub account: Option<String>,
    pub action: String,
    #[serde(default)]
    pub params: Map<String, Value>,
    #[serde(default, rename = "as")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub resources: Vec<Item>,
}

/// Parses JSON, or YAML (`name` ending in `.yaml`/`.yml`, or text not starting with `{`/`[`).
pub fn parse(text: &str, name: &str) -> Result<Document, String> {
    let trimmed = text.trim_start();
    let yaml =
        name.ends_with(".yaml") || name.ends_with(".yml") || !(trimmed.starts_with('{') || trimmed.starts_with('['));
    let value: Value = if yaml {
        serde_norway::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?
    } else {
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?
    };
    from_value(value)
}

pub fn from_value(value: Value) -> Result<Document, String> {
    // Item by item, so that an error names the item.
    let (account, items) = match value {
        Value::Array(items) => (None, items),
        Value::Object(mut m) => {
            for k in m.keys() {
                if k != "account" && k != "resources" {
                    return Err(format!("unknown field {k:?} (expected \"account\" and \"resources\")"));
                }
            }
            let account = match m.remove("account") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(_) => return Err("\"account\" must be a string (an AccessKeyId)".into()),
            };
            match m.remove("resources") {
                Some(Value::Array(items)) => (account, items),
                None => (account, vec![]),
                Some(_) => return Err("\"resources\" must be a list".into()),
            }
        }
        _ => return Err("expected a list of items or {\"account\": …, \"resources\": [...]}".into()),
    };
    let mut resources = Vec::with_capacity(items.len());
    for (i, v) in items.into_iter().enumerate() {
        let item: Item = serde_json::from_value(v).map_err(|e| format!("item {}: {e}", i + 1))?;
        resources.push(item);
    }
    Ok(Document { account, resources })
}

/// Resolves `${name.path}` against earlier replies. A string that is exactly one reference takes
/// the referenced value as is (a list stays a list); references inside text are spliced in.
fn resolve(s: &str, results: &Map<String, Value>) -> Result<Value, String> {
    let lookup = |r: &str| -> Result<Value, String> {
        let mut parts = r.split('.');
        let name = parts.next().unwrap_or_default();
        let mut v = results.get(name).ok_or_else(|| format!("${{{r}}}: no earlier item is named {name:?}"))?;
        for p in parts {
            v = match v {
                Value::Object(m) => m.get(p),
                Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            }
            .ok_or_else(|| format!("${{{r}}}: the reply of {name:?} has no {p:?} there"))?;
        }
        Ok(v.clone())
    };
    if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        if !inner.contains("${") && !inner.contains('}') {
            return lookup(inner);
        }
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| format!("{s:?}: an unclosed ${{"))?;
        match lookup(&after[..end])? {
            Value::String(x) => out.push_str(&x),
            v @ (Value::Number(_) | Value::Bool(_)) => out.push_str(&v.to_string()),
            _ => return Err(format!("{s:?}: ${{{}}} is a list or object, not text", &after[..end])),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn flatten(name: &str, v: &Value, results: &Map<String, Value>, out: &mut Vec<(String, String)>) -> Result<(), String> {
    match v {
        Value::Null => {}
        Value::String(s) if s.contains("${") => {
            let r = resolve(s, results).map_err(|e| format!("{name}: {e}"))?;
            flatten(name, &r, &Map::new(), out)?;
        }
        Value::String(s) => out.push((name.to_owned(), s.clone())),
        Value::Number(n) => out.push((name.to_owned(), n.to_string())),
        Value::Bool(b) => out.push((name.to_owned(), b.to_string())),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{name}.{}", i + 1), x, results, out)?;
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                flatten(&format!("{name}.{k}"), x, results, out)?;
            }
        }
    }
    Ok(())
}

/// Runs every item in order; returns the named replies. Stops at the first failure.
pub fn apply(app: &App, doc: &Document) -> Result<Map<String, Value>, String> {
    apply_journaled(app, doc).0
}

/// [`apply`], and the journal seq of the last item that changed state (with a data directory each
/// item is journaled as it runs; the caller waits for that seq to be durable).
pub fn apply_journaled(app: &App, doc: &Document) -> (Result<Map<String, Value>, String>, Option<u64>) {
    let mut last_seq = None;
    let r = run_items(app, doc, &mut last_seq);
    (r, last_seq)
}

fn run_items(app: &App, doc: &Document, last_seq: &mut Option<u64>) -> Result<Map<String, Value>, String> {
    let mut results = Map::new();
    let default_account =
        doc.account.clone().or_else(|| app.store.world.accounts.first().map(|a| a.access_key_id.clone()));
    for (i, item) in doc.resources.iter().enumerate() {
        let label = match &item.name {
            Some(n) => format!("item {} ({} as {n})", i + 1, item.action),
            None => format!("item {} ({})", i + 1, item.action),
        };
        let fail = |m: String| format!("{label}: {m}");
        let ak = item.account.clone().or(default_account.clone()).ok_or_else(|| fail("no account".into()))?;
        let account = app.store.account(&ak).ok_or_else(|| fail(format!("no account with AccessKeyId {ak:?}")))?;
        let def =
            dispatch::find(&item.action).ok_or_else(|| fail(format!("{:?} is not a supported action", item.action)))?;
        let mut pairs = Vec::new();
        for (k, v) in &item.params {
            flatten(k, v, &results, &mut pairs).map_err(fail)?;
        }
        let mut params = Params::new();
        for (k, v) in pairs {
            params.push(k, v).map_err(|e| fail(e.message().into_owned()))?;
        }
        if let Some(n) = &item.name {
            if results.contains_key(n) {
                return Err(fail(format!("the name {n:?} is used twice")));
            }
        }
        let settings = *app.settings.read();
        let ctx = Ctx {
            now: app.clock.now_ms(),
            world: &app.store.world,
            delays: Delays::uniform(0),
            quotas: settings.quotas,
            pools: &app.store.pools,
        };
        let rec = dispatch::Recording { app, live_settings: false };
        let written = dispatch::execute_write(def, &account, &params, &ctx, rec)
            .map_err(|e| fail(format!("{} {}: {}", e.status(), e.code(), e.message())))?;
        *last_seq = written.seq.or(*last_seq);
        let reply = written.reply;
        if let Some(n) = &item.name {
            results.insert(n.clone(), Value::Object(reply.to_map()));
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_and_flattening() {
        let mut results = Map::new();
        results.insert("gw".into(), json!({"NatGatewayId": "ngw-1", "SnatTableIds": {"SnatTableId": ["stb-1"]}}));
        let mut out = vec![];
        flatten("NatGatewayId", &json!("${gw.NatGatewayId}"), &results, &mut out).unwrap();
        flatten("SnatTableId", &json!("${gw.SnatTableIds.SnatTableId.0}"), &results, &mut out).unwrap();
        flatten("Name", &json!("for-${gw.NatGatewayId}"), &results, &mut out).unwrap();
        flatten("Tag", &json!([{"Key": "k", "Value": "v"}]), &results, &mut out).unwrap();
        flatten("Force", &json!(true), &results, &mut out).unwrap();
        flatten("Ids", &json!("${gw.SnatTableIds.SnatTableId}"), &results, &mut out).unwrap();
        let got: Vec<(&str, &str)> = out.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("NatGatewayId", "ngw-1"),
                ("SnatTableId", "stb-1"),
                ("Name", "for-ngw-1"),
                ("Tag.1.Key", "k"),
                ("Tag.1.Value", "v"),
                ("Force", "true"),
                ("Ids.1", "stb-1"),
            ]
        );
        assert!(flatten("X", &json!("${nope.A}"), &results, &mut out).unwrap_err().contains("nope"));
        assert!(flatten("X", &json!("${gw.Missing}"), &results, &mut out).is_err());
    }

    #[test]
    fn documents() {
        let d =
            parse(r#"[{"action": "CreateVpc", "params": {"RegionId": "cn-hangzhou"}, "as": "v"}]"#, "x.json").unwrap();
        assert_eq!(d.resources.len(), 1);
        let d = parse(
            "account: testid2\nresources:\n  - action: CreateVpc\n    params: {RegionId: cn-hangzhou}\n",
            "i.yaml",
        )
        .unwrap();
        assert_eq!(d.account.as_deref(), Some("testid2"));
        assert!(parse(r#"{"resources": [{"action": "X", "parms": {}}]}"#, "x.json").unwrap_err().contains("item 1"));
    }
}
