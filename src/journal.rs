//! The request journal: the most recent RPC requests in a bounded ring buffer, for
//! `GET /_emulator/requests` and the signature debugger.
//!
//! Bounded twice: at most `--journal-size` entries, and each entry is capped (at most
//! [`MAX_PARAMS`] parameters of at most [`MAX_VALUE_CHARS`] characters, messages and signature
//! texts cut at [`MAX_TEXT_CHARS`]), so its memory stays within a few tens of MB whatever clients
//! send. Secrets never enter it: `Signature`, `SecurityToken`, `BearerToken` and any parameter
//! whose name mentions a secret or password are dropped; the AccessKeyId stays. No signature is
//! kept, not even a refused one: a diagnosis names the cause and shows the server's texts (with any
//! security token masked, `wire::diagnose::mask_tokens`).
//!
//! Writers take the lock for a push; readers take the read lock only to clone `Arc`s, so reads
//! never block each other. Depends on `clock`, `params` and `wire::diagnose` (a plain data type).

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::clock::{format_iso, Millis};
use crate::params::Params;
use crate::wire::diagnose::SignatureDebug;

pub const MAX_PARAMS: usize = 64;
pub const MAX_VALUE_CHARS: usize = 256;
pub const MAX_TEXT_CHARS: usize = 8192;

/// Parameters that are never journaled (compared case-insensitively), besides any name
/// containing `secret` or `password`.
const DROPPED: &[&str] = &["signature", "securitytoken", "bearertoken"];

/// An injected fault, as the journal notes it.
#[derive(Debug, Clone, Serialize)]
pub struct FaultNote {
    /// The rules that fired (their latencies add up; the first error is answered).
    pub rules: Vec<String>,
    pub latency_ms: u64,
    /// Whether the answer is an injected error (else only latency was added).
    pub error: bool,
}

/// One request, as it was answered.
#[derive(Debug, Clone)]
pub struct Entry {
    pub request_id: String,
    pub wall_ms: Millis,
    pub virtual_ms: Millis,
    pub method: String,
    pub action: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub params: Vec<(String, String)>,
    /// Parameters left out because of [`MAX_PARAMS`].
    pub params_omitted: usize,
    pub status: u16,
    pub code: Option<String>,
    pub message: Option<String>,
    pub duration_us: u64,
    pub fault: Option<FaultNote>,
    /// `x-acs-retry-attempts` / `x-acs-retry-delay` sent by Tea SDKs when they retry.
    pub client_retry: Option<(String, String)>,
    pub signature: Option<Box<SignatureDebug>>,
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…[{} more bytes]", &s[..i], s.len() - i),
    }
}

pub fn cut_text(s: &str) -> String {
    cut(s, MAX_TEXT_CHARS)
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whether a parameter may be journaled.
pub fn is_journaled(name: &str) -> bool {
    !(DROPPED.iter().any(|d| d.eq_ignore_ascii_case(name))
        || contains_ignore_case(name, "secret")
        || contains_ignore_case(name, "password"))
}

/// Cuts a string in place when it is longer than `max` characters.
fn cap(s: &mut String, max: usize) {
    if s.len() > max && s.chars().nth(max).is_some() {
        *s = cut(s, max);
    }
}

/// The parameters without secrets and signatures, capped: (pairs, how many were left out). Takes
/// the request's own parameters (the journal keeps them; nothing is copied).
pub fn sanitize(params: Params) -> (Vec<(String, String)>, usize) {
    let mut pairs = params.into_pairs();
    pairs.retain(|(k, _)| is_journaled(k));
    let omitted = pairs.len().saturating_sub(MAX_PARAMS);
    pairs.truncate(MAX_PARAMS);
    for (k, v) in &mut pairs {
        cap(k, MAX_VALUE_CHARS);
        cap(v, MAX_VALUE_CHARS);
    }
    (pairs, omitted)
}

impl Entry {
    fn base(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("request_id".into(), json!(self.request_id));
        m.insert("time".into(), json!(format_iso(self.wall_ms)));
        m.insert("wall_ms".into(), json!(self.wall_ms));
        m.insert("virtual_ms".into(), json!(self.virtual_ms));
        m.insert("method".into(), json!(self.method));
        m.insert("action".into(), json!(self.action));
        m.insert("account".into(), json!(self.account));
        m.insert("region".into(), json!(self.region));
        m.insert("status".into(), json!(self.status));
        m.insert("code".into(), json!(self.code));
        m.insert("duration_ms".into(), json!(self.duration_us as f64 / 1000.0));
        if let Some(f) = &self.fault {
            m.insert("fault".into(), json!(f));
        }
        if let Some((attempt, delay)) = &self.client_retry {
            m.insert("client_retry".into(), json!({ "attempt": attempt, "delay": delay }));
        }
        m
    }

    /// The list view: no parameters or signature texts, the likely cause of a refusal only.
    pub fn summary(&self) -> Value {
        let mut m = self.base();
        if let Some(d) = &self.signature {
            m.insert("likely_cause".into(), json!(d.likely_cause.code));
        }
        Value::Object(m)
    }

    /// Everything: parameters, message, and a refused signature's diagnosis.
    pub fn detail(&self) -> Value {
        let mut m = self.base();
        let params: Map<String, Value> = self.params.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        m.insert("params".into(), Value::Object(params));
        if self.params_omitted > 0 {
            m.insert("params_omitted".into(), json!(self.params_omitted));
        }
        m.insert("message".into(), json!(self.message));
        if let Some(d) = &self.signature {
            m.insert("signature".into(), json!(d));
        }
        Value::Object(m)
    }
}

/// Filters of `GET /_emulator/requests`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    /// A Code, or `ok` for successes.
    pub code: Option<String>,
    pub account: Option<String>,
    pub status: Option<u16>,
}

impl Filter {
    fn accepts(&self, e: &Entry) -> bool {
        if self.action.as_deref().is_some_and(|a| e.action.as_deref() != Some(a)) {
            return false;
        }
        if self.account.as_deref().is_some_and(|a| e.account.as_deref() != Some(a)) {
            return false;
        }
        if self.status.is_some_and(|s| e.status != s) {
            return false;
        }
        match self.code.as_deref() {
            None => true,
            Some(c) if c.eq_ignore_ascii_case("ok") => e.code.is_none(),
            Some(c) => e.code.as_deref() == Some(c),
        }
    }
}

pub struct Journal {
    capacity: usize,
    entries: RwLock<VecDeque<Arc<Entry>>>,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Journal { capacity, entries: RwLock::new(VecDeque::with_capacity(capacity.min(4096))) }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn push(&self, e: Entry) {
        if self.capacity == 0 {
            return;
        }
        let e = Arc::new(e);
        let old = {
            let mut q = self.entries.write();
            q.push_back(e);
            if q.len() > self.capacity {
                q.pop_front()
            } else {
                None
            }
        };
        drop(old); // freed outside the lock
    }

    /// The newest entries first, at most `limit`, those the filter accepts.
    pub fn list(&self, filter: &Filter, limit: usize) -> Vec<Arc<Entry>> {
        let q = self.entries.read();
        q.iter().rev().filter(|e| filter.accepts(e)).take(limit).cloned().collect()
    }

    pub fn get(&self, request_id: &str) -> Option<Arc<Entry>> {
        self.entries.read().iter().rev().find(|e| e.request_id == request_id).cloned()
    }

    pub fn len(&self) -> usize {
        self.entries.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        let old = std::mem::take(&mut *self.entries.write());
        drop(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, code: Option<&str>) -> Entry {
        Entry {
            request_id: id.into(),
            wall_ms: 0,
            virtual_ms: 0,
            method: "GET".into(),
            action: Some("DescribeVpcs".into()),
            account: Some("testid".into()),
            region: None,
            params: vec![],
            params_omitted: 0,
            status: if code.is_some() { 400 } else { 200 },
            code: code.map(str::to_owned),
            message: None,
            duration_us: 5,
            fault: None,
            client_retry: None,
            signature: None,
        }
    }

    #[test]
    fn bounded_newest_first_and_filtered() {
        let j = Journal::new(3);
        for i in 0..5 {
            j.push(entry(&i.to_string(), if i % 2 == 0 { None } else { Some("Throttling") }));
        }
        assert_eq!(j.len(), 3);
        let ids: Vec<String> = j.list(&Filter::default(), 10).iter().map(|e| e.request_id.clone()).collect();
        assert_eq!(ids, ["4", "3", "2"]);
        let f = Filter { code: Some("ok".into()), ..Default::default() };
        assert_eq!(j.list(&f, 10).len(), 2);
        let f = Filter { code: Some("Throttling".into()), ..Default::default() };
        assert_eq!(j.list(&f, 10)[0].request_id, "3");
        assert!(j.get("0").is_none());
        assert!(j.get("2").is_some());
    }

    #[test]
    fn secrets_are_dropped_and_values_capped() {
        let long = "x".repeat(1000);
        let p = Params::from_pairs([
            ("AccessKeyId", "testid"),
            ("Signature", "abc="),
            ("SecurityToken", "tok"),
            ("AccessKeySecret", "s"),
            ("Description", long.as_str()),
        ]);
        let (pairs, omitted) = sanitize(p);
        assert_eq!(omitted, 0);
        let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["AccessKeyId", "Description"]);
        assert!(pairs[1].1.len() < 300);
        let many = Params::from_pairs((0..100).map(|i| (format!("P{i}"), "v")));
        assert_eq!(sanitize(many).1, 100 - MAX_PARAMS);
        let cased =
            Params::from_pairs([("signature", "x"), ("My_PassWord", "y"), ("ClientSECRETx", "z"), ("Name", "n")]);
        assert_eq!(sanitize(cased).0, [("Name".to_owned(), "n".to_owned())], "names compared case-insensitively");
        let wide = "é".repeat(300);
        let (pairs, _) = sanitize(Params::from_pairs([("Name", wide.as_str())]));
        assert!(pairs[0].1.starts_with(&"é".repeat(MAX_VALUE_CHARS)) && pairs[0].1.contains("more bytes"));
    }
}
