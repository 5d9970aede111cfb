//! Fault injection: rules that answer matching requests with an error and/or added latency, and
//! the report of how clients reacted (did they come back with the same request, how fast).
//!
//! `wire` asks [`Faults::decide`] after authentication and action lookup, before the action runs:
//! an injected error never reaches `dispatch`, so it never changes state. Latency is slept by
//! `wire` with no lock held. Afterwards `wire` tells [`Faults::observe`] how the request was
//! answered, so that a retry of a faulted request (same account, action and business parameters:
//! `Params::fingerprint`) is attached to the fault's episode.
//!
//! Bounded: at most `--fault-report-size` episodes (oldest forgotten first), each with at most
//! [`MAX_ATTEMPTS`] attempts recorded (the rest counted). Rules are read under a read lock and
//! counted with atomics, so concurrent requests do not serialize on them. Depends on `ids`,
//! `clock`, `params`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::{format_iso, Millis};
use crate::ids::{hash_str, splitmix64};
use crate::params::Params;

/// Attempts recorded per episode (further ones are only counted).
pub const MAX_ATTEMPTS: usize = 32;
/// A same-request arrival later than this after the previous answer starts no retry (µs).
const RETRY_WINDOW_US: u64 = 10 * 60 * 1_000_000;

/// The error a rule answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectedError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// The codes clients retry, with the real service's status and message (REAL-SERVICE §4.2–4.3).
pub const PRESETS: &[(&str, u16, &str)] = &[
    ("Throttling", 400, "Request was denied due to request throttling."),
    ("Throttling.User", 400, "Request was denied due to user flow control."),
    ("Throttling.Api", 400, "Request was denied due to api flow control."),
    ("ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."),
    ("IncorrectStatus.NATGW", 400, "The status of the specified NAT gateway is abnormal."),
    ("OperationConflict", 409, "Request was denied due to conflict with a previous request."),
    ("TaskConflict", 400, "The eip operate too frequent, TaskConflict."),
    ("InternalError", 500, "The request processing has failed due to some unknown error, exception or failure."),
    ("UnknownError", 400, "The request processing has failed due to some unknown error."),
    ("LastTokenProcessing", 403, "The last token request is processing."),
];

pub fn preset(code: &str) -> Option<InjectedError> {
    PRESETS.iter().find(|(c, _, _)| c.eq_ignore_ascii_case(code)).map(|(c, s, m)| InjectedError {
        status: *s,
        code: (*c).to_owned(),
        message: (*m).to_owned(),
    })
}

/// What a rule matches; every given field must match (none given: every request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Matches a request with any parameter value equal to it (or an item of a comma list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// AccessKeyId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// When a matching call is faulted (nothing given: every matching call).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Only the Nth matching call (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// The first N matching calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<u64>,
    /// Each matching call with this probability, from a generator seeded with `seed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// The body of `POST /_emulator/faults`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    #[serde(default, rename = "match")]
    pub matcher: Match,
    /// A preset name (`"Throttling"`), or `{"preset": …}` / `{"status", "code", "message"}`.
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub when: When,
}

fn parse_error(v: &Value) -> Result<InjectedError, String> {
    let presets = || PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ");
    match v {
        Value::String(name) => preset(name).ok_or_else(|| {
            format!("error {name:?} is not a preset ({}); give {{\"status\", \"code\", \"message\"}}", presets())
        }),
        Value::Object(m) => {
            for k in m.keys() {
                if !["preset", "status", "code", "message"].contains(&k.as_str()) {
                    return Err(format!("error: unknown field {k:?} (expected preset, status, code, message)"));
                }
            }
            let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
            let base = match s("preset") {
                Some(p) => Some(preset(&p).ok_or_else(|| format!("error.preset {p:?} is not one of {}", presets()))?),
                None => s("code").and_then(|c| preset(&c)),
            };
            let status = match m.get("status") {
                None => None,
                Some(v) => Some(
                    v.as_u64()
                        .filter(|s| (400..=599).contains(s))
                        .ok_or("error.status must be an HTTP error status (400-599)")? as u16,
                ),
            };
            let code = s("code").or(base.as_ref().map(|b| b.code.clone()));
            let Some(code) = code.filter(|c| !c.is_empty()) else {
                return Err("error needs a code (or a preset)".into());
            };
            let Some(status) = status.or(base.as_ref().map(|b| b.status)) else {
                return Err(format!("error {code:?} is not a preset: give its status"));
            };
            let message = s("message").or(base.map(|b| b.message)).unwrap_or_else(|| format!("Injected fault {code}."));
            Ok(InjectedError { status, code, message })
        }
        _ => Err("error must be a preset name or an object".into()),
    }
}

/// A rule, with its counters.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub matcher: Match,
    pub error: Option<InjectedError>,
    pub latency_ms: u64,
    pub when: When,
    pub created_ms: Millis,
    matched: AtomicU64,
    fired: AtomicU64,
    rng: Mutex<u64>,
}

impl Rule {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "match": self.matcher,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "when": self.when,
            "created": format_iso(self.created_ms),
            "matched": self.matched.load(Ordering::Relaxed),
            "injected": self.fired.load(Ordering::Relaxed),
        })
    }

    fn matches(&self, call: &Call<'_>) -> bool {
        let m = &self.matcher;
        m.action.as_deref().is_none_or(|a| a == call.action)
            && m.account.as_deref().is_none_or(|a| a == call.account)
            && m.region.as_deref().is_none_or(|r| call.region == Some(r))
            && m.resource_id.as_deref().is_none_or(|id| {
                call.params.iter().any(|(_, v)| v == id || (v.contains(',') && v.split(',').any(|p| p.trim() == id)))
            })
    }

    /// Counts a matching call and says whether it is faulted.
    fn fires(&self) -> bool {
        let n = self.matched.fetch_add(1, Ordering::Relaxed) + 1;
        let w = &self.when;
        let fire = if let Some(nth) = w.nth {
            n == nth
        } else if let Some(first) = w.first {
            n <= first
        } else if let Some(p) = w.probability {
            let mut st = self.rng.lock();
            *st = st.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let x = (splitmix64(*st) >> 11) as f64 / (1u64 << 53) as f64;
            x < p
        } else {
            true
        };
        if fire {
            self.fired.fetch_add(1, Ordering::Relaxed);
        }
        fire
    }
}

/// The request a decision is about.
pub struct Call<'a> {
    pub action: &'a str,
    pub account: &'a str,
    pub region: Option<&'a str>,
    pub params: &'a Params,
}

/// What the rules decided for one request.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// The rules that fired, in creation order.
    pub rules: Vec<String>,
    /// Their latencies, added up.
    pub latency_ms: u64,
    /// The first firing rule's error.
    pub error: Option<(String, InjectedError)>,
}

/// How a request was answered, for the report.
pub struct Observation<'a> {
    pub key: u64,
    pub request_id: &'a str,
    pub action: &'a str,
    pub account: &'a str,
    pub region: Option<&'a str>,
    /// The rule whose error was answered, if any.
    pub injected_by: Option<&'a str>,
    pub status: u16,
    pub code: Option<&'a str>,
    /// Microseconds since the emulator started.
    pub arrived_us: u64,
    pub answered_us: u64,
    pub wall_ms: Millis,
    pub client_retry: Option<&'a str>,
}

#[derive(Debug, Clone)]
struct Attempt {
    request_id: String,
    rule: Option<String>,
    status: u16,
    code: Option<String>,
    arrived_us: u64,
    answered_us: u64,
    wall_ms: Millis,
    client_retry: Option<String>,
}

#[derive(Debug, Clone)]
struct Episode {
    id: u64,
    key: u64,
    action: String,
    account: String,
    region: Option<String>,
    attempts: Vec<Attempt>,
    /// Attempts seen, recorded or not.
    attempts_total: u64,
    closed: bool,
    last_answer_us: u64,
}

#[derive(Debug, Default)]
struct Report {
    episodes: VecDeque<Episode>,
    next_id: u64,
    open: HashMap<u64, u64>,
}

pub struct Faults {
    rules: RwLock<Vec<Arc<Rule>>>,
    next_rule: AtomicU64,
    report_capacity: usize,
    report: Mutex<Report>,
    /// `report.open.len()`, readable without the lock (the common case is 0).
    open_count: AtomicUsize,
}

/// The key of "the same request": account, action and business parameters.
pub fn request_key(account: &str, action: &str, params: &Params) -> u64 {
    let mut h = hash_str(account) ^ hash_str(action).rotate_left(7);
    for (k, v) in params.fingerprint() {
        h = splitmix64(h ^ hash_str(&k)) ^ hash_str(&v).rotate_left(29);
    }
    h
}

fn ms(us: u64) -> f64 {
    (us as f64 / 1000.0 * 1000.0).round() / 1000.0
}

impl Faults {
    pub fn new(report_capacity: usize) -> Self {
        Faults {
            rules: RwLock::new(Vec::new()),
            next_rule: AtomicU64::new(1),
            report_capacity: report_capacity.max(1),
            report: Mutex::new(Report::default()),
            open_count: AtomicUsize::new(0),
        }
    }

    /// Validates and adds a rule; `default_seed` seeds `probability` when the rule gives no seed.
    pub fn add(&self, req: RuleRequest, now: Millis, default_seed: u64) -> Result<Arc<Rule>, String> {
        let error = req.error.as_ref().map(parse_error).transpose()?;
        let w = &req.when;
        let kinds = [w.nth.is_some(), w.first.is_some(), w.probability.is_some()].iter().filter(|b| **b).count();
        if kinds > 1 {
            return Err("when: give at most one of nth, first, probability".into());
        }
        if w.nth == Some(0) || w.first == Some(0) {
            return Err("when: nth and first count from 1".into());
        }
        if w.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
            return Err("when.probability must be between 0 and 1".into());
        }
        if w.seed.is_some() && w.probability.is_none() {
            return Err("when.seed goes with when.probability".into());
        }
        if error.is_none() && req.latency_ms == 0 {
            return Err("a rule needs an error, a latency_ms, or both".into());
        }
        if req.latency_ms > 600_000 {
            return Err("latency_ms is at most 600000 (10 minutes)".into());
        }
        let n = self.next_rule.fetch_add(1, Ordering::Relaxed);
        let id = format!("flt-{n}");
        let seed = w.seed.unwrap_or(default_seed ^ hash_str(&id));
        let rule = Arc::new(Rule {
            id,
            matcher: req.matcher,
            error,
            latency_ms: req.latency_ms,
            when: req.when,
            created_ms: now,
            matched: AtomicU64::new(0),
            fired: AtomicU64::new(0),
            rng: Mutex::new(seed),
        });
        self.rules.write().push(rule.clone());
        Ok(rule)
    }

    pub fn rules(&self) -> Vec<Arc<Rule>> {
        self.rules.read().clone()
    }

    pub fn remove(&self, id: &str) -> bool {
        let mut rules = self.rules.write();
        let before = rules.len();
        rules.retain(|r| r.id != id);
        rules.len() != before
    }

    pub fn clear(&self) -> Vec<String> {
        std::mem::take(&mut *self.rules.write()).into_iter().map(|r| r.id.clone()).collect()
    }

    /// Which rules fire for this call (`None`: none).
    pub fn decide(&self, call: &Call<'_>) -> Option<Decision> {
        let rules = self.rules.read();
        if rules.is_empty() {
            return None;
        }
        let mut d = Decision::default();
        for r in rules.iter() {
            if r.matches(call) && r.fires() {
                d.rules.push(r.id.clone());
                d.latency_ms += r.latency_ms;
                if d.error.is_none() {
                    if let Some(e) = &r.error {
                        d.error = Some((r.id.clone(), e.clone()));
                    }
                }
            }
        }
        (!d.rules.is_empty()).then_some(d)
    }

    /// Whether [`observe`](Self::observe) wants to see requests that were not faulted.
    pub fn watching(&self) -> bool {
        self.open_count.load(Ordering::Relaxed) > 0
    }

    /// Records how a request was answered: a faulted one opens (or continues) an episode; a
    /// later request with the same key is attached to it as a retry; an answer that is not an
    /// injected error closes the episode.
    pub fn observe(&self, o: &Observation<'_>) {
        let mut rep = self.report.lock();
        let attempt = || Attempt {
            request_id: o.request_id.to_owned(),
            rule: o.injected_by.map(str::to_owned),
            status: o.status,
            code: o.code.map(str::to_owned),
            arrived_us: o.arrived_us,
            answered_us: o.answered_us,
            wall_ms: o.wall_ms,
            client_retry: o.client_retry.map(str::to_owned),
        };
        let front = rep.episodes.front().map(|e| e.id).unwrap_or(0);
        let open = rep.open.get(&o.key).copied();
        let mut continued = false;
        if let Some(id) = open {
            let idx = id.checked_sub(front).map(|i| i as usize);
            let ep = idx.and_then(|i| rep.episodes.get_mut(i)).filter(|e| e.id == id);
            match ep {
                Some(ep) if o.arrived_us.saturating_sub(ep.last_answer_us) <= RETRY_WINDOW_US => {
                    ep.attempts_total += 1;
                    if ep.attempts.len() < MAX_ATTEMPTS {
                        ep.attempts.push(attempt());
                    }
                    ep.last_answer_us = o.answered_us;
                    if o.injected_by.is_none() {
                        ep.closed = true;
                        rep.open.remove(&o.key);
                    }
                    continued = true;
                }
                Some(ep) => {
                    ep.closed = true;
                    rep.open.remove(&o.key);
                }
                None => {
                    rep.open.remove(&o.key);
                }
            }
        }
        if !continued && o.injected_by.is_some() {
            let id = rep.next_id;
            rep.next_id += 1;
            rep.episodes.push_back(Episode {
                id,
                key: o.key,
                action: o.action.to_owned(),
                account: o.account.to_owned(),
                region: o.region.map(str::to_owned),
                attempts: vec![attempt()],
                attempts_total: 1,
                closed: false,
                last_answer_us: o.answered_us,
            });
            rep.open.insert(o.key, id);
            while rep.episodes.len() > self.report_capacity {
                if let Some(old) = rep.episodes.pop_front() {
                    if rep.open.get(&old.key) == Some(&old.id) {
                        rep.open.remove(&old.key);
                    }
                }
            }
        }
        self.open_count.store(rep.open.len(), Ordering::Relaxed);
    }

    pub fn clear_report(&self) {
        let mut rep = self.report.lock();
        *rep = Report { next_id: rep.next_id, ..Report::default() };
        self.open_count.store(0, Ordering::Relaxed);
    }

    /// `GET /_emulator/faults/report`: per injected fault, per episode, per rule.
    pub fn report(&self, rule: Option<&str>) -> Value {
        let episodes: Vec<Episode> = self.report.lock().episodes.iter().cloned().collect();
        let mut injected = Vec::new();
        let mut eps = Vec::new();
        // rule → (injected, retried, backoff sum µs)
        let mut per_rule: Vec<(String, u64, u64, u64)> = Vec::new();
        for ep in &episodes {
            let mut backoffs = Vec::new();
            for (i, a) in ep.attempts.iter().enumerate() {
                let next = ep.attempts.get(i + 1);
                if let Some(n) = next {
                    backoffs.push(ms(n.arrived_us.saturating_sub(a.answered_us)));
                }
                let Some(r) = &a.rule else { continue };
                if rule.is_some_and(|want| want != r) {
                    continue;
                }
                let backoff = next.map(|n| n.arrived_us.saturating_sub(a.answered_us));
                let slot = match per_rule.iter_mut().position(|p| &p.0 == r) {
                    Some(i) => &mut per_rule[i],
                    None => {
                        per_rule.push((r.clone(), 0, 0, 0));
                        per_rule.last_mut().expect("just pushed")
                    }
                };
                slot.1 += 1;
                if let Some(b) = backoff {
                    slot.2 += 1;
                    slot.3 += b;
                }
                injected.push(json!({
                    "rule": r,
                    "request_id": a.request_id,
                    "episode": ep.id,
                    "attempt": i + 1,
                    "action": ep.action,
                    "account": ep.account,
                    "region": ep.region,
                    "status": a.status,
                    "code": a.code,
                    "at": format_iso(a.wall_ms),
                    "wall_ms": a.wall_ms,
                    "client_retry_attempt": a.client_retry,
                    "retried": next.is_some(),
                    "backoff_ms": backoff.map(ms),
                    "retry_request_id": next.map(|n| n.request_id.clone()),
                    "retry_outcome": next.map(|n| json!({
                        "status": n.status,
                        "code": n.code,
                        "injected": n.rule.is_some(),
                    })),
                }));
            }
            if rule.is_some_and(|want| !ep.attempts.iter().any(|a| a.rule.as_deref() == Some(want))) {
                continue;
            }
            let last = ep.attempts.last();
            eps.push(json!({
                "episode": ep.id,
                "action": ep.action,
                "account": ep.account,
                "region": ep.region,
                "attempts": ep.attempts_total,
                "retries": ep.attempts_total.saturating_sub(1),
                "faults_injected": ep.attempts.iter().filter(|a| a.rule.is_some()).count(),
                "backoffs_ms": backoffs,
                "open": !ep.closed,
                "recovered": ep.closed && last.is_some_and(|a| a.status < 400),
                "final": last.map(|a| json!({"request_id": a.request_id, "status": a.status, "code": a.code})),
                "request_ids": ep.attempts.iter().map(|a| a.request_id.clone()).collect::<Vec<_>>(),
            }));
        }
        let rules: Vec<Value> = per_rule
            .into_iter()
            .map(|(r, n, retried, sum)| {
                json!({
                    "rule": r,
                    "injected": n,
                    "retried": retried,
                    "not_retried": n - retried,
                    "mean_backoff_ms": (retried > 0).then(|| ms(sum / retried)),
                })
            })
            .collect();
        json!({ "injected": injected, "episodes": eps, "rules": rules })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(action: &'a str, params: &'a Params) -> Call<'a> {
        Call { action, account: "testid", region: Some("cn-hangzhou"), params }
    }

    fn add(f: &Faults, v: Value) -> Result<Arc<Rule>, String> {
        f.add(serde_json::from_value(v).map_err(|e| e.to_string())?, 0, 1)
    }

    #[test]
    fn presets_and_validation() {
        let f = Faults::new(10);
        let r = add(&f, json!({"error": "Throttling"})).unwrap();
        assert_eq!(r.error.as_ref().unwrap().status, 400);
        let r = add(&f, json!({"error": {"preset": "ServiceUnavailable", "message": "m"}})).unwrap();
        assert_eq!(
            r.error.clone().unwrap(),
            InjectedError { status: 503, code: "ServiceUnavailable".into(), message: "m".into() }
        );
        let r = add(&f, json!({"error": {"code": "Custom.Thing", "status": 418}})).unwrap();
        assert_eq!(r.error.as_ref().unwrap().code, "Custom.Thing");
        for bad in [
            json!({}),
            json!({"error": "Nope"}),
            json!({"error": {"code": "X"}}),
            json!({"error": "Throttling", "when": {"nth": 1, "first": 2}}),
            json!({"error": "Throttling", "when": {"probability": 2.0}}),
            json!({"error": "Throttling", "when": {"nth": 0}}),
        ] {
            assert!(add(&f, bad.clone()).is_err(), "{bad}");
        }
        assert!(serde_json::from_value::<RuleRequest>(json!({"error": "Throttling", "mtach": {}})).is_err());
    }

    #[test]
    fn when_nth_first_probability() {
        let f = Faults::new(10);
        let p = Params::from_pairs([("VpcId", "vpc-1")]);
        add(&f, json!({"match": {"action": "A"}, "error": "Throttling", "when": {"nth": 2}})).unwrap();
        let fired: Vec<bool> = (0..4).map(|_| f.decide(&call("A", &p)).is_some()).collect();
        assert_eq!(fired, [false, true, false, false]);
        f.clear();
        add(&f, json!({"match": {"resource_id": "vpc-1"}, "error": "Throttling", "when": {"first": 2}})).unwrap();
        let fired: Vec<bool> = (0..3).map(|_| f.decide(&call("B", &p)).is_some()).collect();
        assert_eq!(fired, [true, true, false]);
        assert!(f.decide(&call("B", &Params::new())).is_none(), "resource id does not match");
        f.clear();
        let draw = |seed: u64| {
            let f = Faults::new(10);
            add(&f, json!({"error": "Throttling", "when": {"probability": 0.5, "seed": seed}})).unwrap();
            (0..64).map(|_| f.decide(&call("A", &p)).is_some()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7), "seeded");
        let n = draw(7).iter().filter(|b| **b).count();
        assert!((16..=48).contains(&n), "{n}");
    }

    #[test]
    fn report_follows_retries() {
        let f = Faults::new(2);
        fn obs<'a>(key: u64, id: &'a str, rule: Option<&'a str>, at: u64) -> Observation<'a> {
            Observation {
                key,
                request_id: id,
                action: "A",
                account: "testid",
                region: None,
                injected_by: rule,
                status: if rule.is_some() { 400 } else { 200 },
                code: rule.map(|_| "Throttling"),
                arrived_us: at,
                answered_us: at + 100,
                wall_ms: 0,
                client_retry: None,
            }
        }
        f.observe(&obs(1, "r1", Some("flt-1"), 0));
        assert!(f.watching());
        f.observe(&obs(2, "x", None, 500)); // another request: ignored
        f.observe(&obs(1, "r2", Some("flt-1"), 1_100));
        f.observe(&obs(1, "r3", None, 3_200));
        assert!(!f.watching());
        let r = f.report(None);
        assert_eq!(r["injected"].as_array().unwrap().len(), 2);
        assert_eq!(r["injected"][0]["backoff_ms"], json!(1.0));
        assert_eq!(r["injected"][1]["backoff_ms"], json!(2.0));
        assert_eq!(r["episodes"][0]["recovered"], json!(true));
        assert_eq!(r["episodes"][0]["retries"], json!(2));
        assert_eq!(r["rules"][0]["retried"], json!(2));
        for k in 10..20 {
            f.observe(&obs(k, "y", Some("flt-1"), 10_000));
        }
        assert_eq!(f.report(None)["episodes"].as_array().unwrap().len(), 2, "bounded");
    }
}
