//! HTTP and the Alibaba Cloud RPC protocol: the only module that knows requests, headers, formats
//! and signatures. Turns an HTTP request into (account, action, parameters), runs it through
//! `dispatch`, and renders the reply or error. Knows nothing of NAT rules.
//!
//! Check order (REAL-SERVICE §4.2): method → encoding → Format → Action/Version → signature
//! parameters → timestamp → AccessKeyId → nonce → signature → parameters the action does not
//! know (recorded by `coverage`; refused with `--strict-params`) → fault rules → the action's own
//! parameters. Fault rules (`faults`) come after authentication and action lookup and before
//! `dispatch`, so an injected error never changes state; their latency is slept here with no lock
//! held. Every request is written to the request journal (`journal`) and reported to the fault
//! report once answered.

pub mod auth;
pub mod diagnose;
pub mod encoding;
pub mod limits;
pub mod render;
pub mod signature_v1;
pub mod signature_v3;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::Method;
use axum::response::Response;

use crate::app::App;
use crate::dispatch::{self, ActionDef, Reply};
use crate::error::ApiError;
use crate::faults::{self, Call, Observation};
use crate::journal::{self, Entry, FaultNote};
use crate::params::Params;
use crate::store::{Account, Ctx};
use auth::{Incoming, Scheme};
use diagnose::SignatureDebug;
use render::Format;

pub const API_VERSION: &str = "2016-04-28";

/// What one request came to, for rendering, the request log and the journal.
struct Outcome {
    format: Format,
    action: Option<String>,
    account: Option<String>,
    region: Option<String>,
    result: Result<Reply, ApiError>,
    /// The decoded parameters (query ∪ form body), once they decoded.
    params: Option<Params>,
    signature: Option<Box<SignatureDebug>>,
    fault: Option<FaultNote>,
    /// The rule whose error was answered.
    injected_by: Option<String>,
}

impl Outcome {
    fn fail(format: Format, e: ApiError) -> Outcome {
        Outcome {
            format,
            action: None,
            account: None,
            region: None,
            result: Err(e),
            params: None,
            signature: None,
            fault: None,
            injected_by: None,
        }
    }
}

/// An authenticated request for a known action, ready to run.
struct Ready {
    out: Outcome,
    def: &'static ActionDef,
    account: Arc<Account>,
}

enum Stage {
    Done(Outcome),
    Ready(Ready),
}

/// Runs `f`, answering `InternalError` if it panics (a bug, never the answer to input).
fn guarded<T>(request_id: &str, f: impl FnOnce() -> T, on_panic: impl FnOnce(ApiError) -> T) -> T {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            tracing::error!(request_id, "a request handler panicked (a bug): answered InternalError");
            on_panic(ApiError::InternalError("panic".into()))
        }
    }
}

/// The axum handler for every RPC request.
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let arrived_us = app.mono_us();
    let wall_ms = crate::clock::wall_ms();
    let virtual_ms = app.clock.now_ms();
    let request_id = app.request_ids.next();
    let (parts, body) = req.into_parts();
    let host = parts
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("vpc.aliyuncs.com")
        .to_owned();
    let declared =
        parts.headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let stage = if declared.is_some_and(|n| n > app.max_body_bytes) {
        Stage::Done(Outcome::fail(Format::Json, ApiError::BodyTooLarge { limit: app.max_body_bytes }))
    } else {
        match axum::body::to_bytes(body, app.max_body_bytes).await {
            Ok(bytes) => {
                guarded(&request_id, || prepare(&app, &parts, &bytes), |e| Stage::Done(Outcome::fail(Format::Json, e)))
            }
            // A body slower than --request-timeout-ms (`limits::guard` set its deadline).
            Err(e) if limits::is_timeout(&e) => {
                Stage::Done(Outcome::fail(Format::Json, ApiError::RequestTimeout { limit_ms: app.net.timeout_ms() }))
            }
            Err(_) => Stage::Done(Outcome::fail(Format::Json, ApiError::BodyTooLarge { limit: app.max_body_bytes })),
        }
    };
    let mut outcome = match stage {
        Stage::Done(o) => o,
        Stage::Ready(ready) => run(&app, &request_id, ready).await,
    };
    // The reply moves into the response (no copy); only the error stays for the journal.
    let result = std::mem::replace(&mut outcome.result, Ok(Reply::new()));
    let (response, code) = match result {
        Ok(reply) => {
            let action = outcome.action.as_deref().unwrap_or("");
            (render::success(outcome.format, action, &request_id, &reply), None)
        }
        Err(e) => {
            let r = (render::error(outcome.format, &request_id, &host, &e), Some(e.code()));
            outcome.result = Err(e);
            r
        }
    };
    let status = response.status().as_u16();
    let answered_us = app.mono_us();
    let duration_us = answered_us.saturating_sub(arrived_us);
    tracing::info!(
        target: "request",
        request_id = %request_id,
        action = outcome.action.as_deref().unwrap_or("-"),
        account = outcome.account.as_deref().unwrap_or("-"),
        region = outcome.region.as_deref().unwrap_or("-"),
        status,
        code = code.as_deref().unwrap_or("-"),
        duration_us,
    );
    let client_retry = auth::header_str(&parts.headers, "x-acs-retry-attempts").map(|attempt| {
        (attempt.to_owned(), auth::header_str(&parts.headers, "x-acs-retry-delay").unwrap_or("").to_owned())
    });
    // The fault report: a faulted request opens an episode; the same request again is a retry.
    if let (Some(action), Some(account), Some(params)) = (&outcome.action, &outcome.account, &outcome.params) {
        if outcome.injected_by.is_some() || app.faults.watching() {
            app.faults.observe(&Observation {
                key: faults::request_key(account, action, params),
                request_id: &request_id,
                action,
                account,
                region: outcome.region.as_deref(),
                injected_by: outcome.injected_by.as_deref(),
                status,
                code: code.as_deref(),
                arrived_us,
                answered_us,
                wall_ms,
                client_retry: client_retry.as_ref().map(|(a, _)| a.as_str()),
            });
        }
    }
    if app.journal.enabled() {
        let (params, params_omitted) = outcome.params.take().map(journal::sanitize).unwrap_or_default();
        let message = outcome.result.as_ref().err().map(|e| journal::cut_text(&e.message()));
        app.journal.push(Entry {
            request_id,
            wall_ms,
            virtual_ms,
            method: parts.method.as_str().to_owned(),
            action: outcome.action,
            account: outcome.account,
            region: outcome.region,
            params,
            params_omitted,
            status,
            code: code.map(|c| c.into_owned()),
            message,
            duration_us,
            fault: outcome.fault,
            client_retry,
            signature: outcome.signature,
        });
    }
    response
}

/// Fault rules, then the action (with no lock held across the injected latency).
async fn run(app: &Arc<App>, request_id: &str, ready: Ready) -> Outcome {
    let Ready { mut out, def, account } = ready;
    let params = out.params.take().unwrap_or_default();
    let decision = app.faults.decide(&Call {
        action: def.name,
        account: &account.access_key_id,
        region: out.region.as_deref(),
        params: &params,
    });
    if let Some(d) = &decision {
        out.fault = Some(FaultNote { rules: d.rules.clone(), latency_ms: d.latency_ms, error: d.error.is_some() });
        if d.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(d.latency_ms)).await;
        }
    }
    match decision.and_then(|d| d.error) {
        Some((rule, e)) => {
            out.injected_by = Some(rule);
            out.result = Err(ApiError::Injected { status: e.status, code: e.code, message: e.message });
        }
        None => {
            let written = guarded(
                request_id,
                || {
                    let settings = *app.settings.read();
                    let ctx = Ctx {
                        now: app.clock.now_ms(),
                        world: &app.store.world,
                        delays: settings.delays,
                        quotas: settings.quotas,
                        pools: &app.store.pools,
                    };
                    let rec = dispatch::Recording { app, live_settings: true };
                    crate::coverage::verify_reads(def, || dispatch::execute_write(def, &account, &params, &ctx, rec))
                },
                Err,
            );
            // With --data-dir, a write is answered once its journal record is durable.
            out.result = match written {
                Ok(dispatch::Written { reply, seq: Some(seq) }) => {
                    crate::persist::live::Persistence::acknowledge(app, seq).await.map(|()| reply)
                }
                Ok(w) => Ok(w.reply),
                Err(e) => Err(e),
            };
        }
    }
    out.params = Some(params);
    out
}

/// Everything before the action: decoding, protocol checks, authentication.
fn prepare(app: &App, parts: &Parts, body: &Bytes) -> Stage {
    let method = parts.method.clone();
    let query_raw = parts.uri.query().unwrap_or("").as_bytes();

    // Parameters: the query, and a form body merged into it (duplicates refused).
    let mut query = Params::new();
    if let Err(e) = encoding::decode_pairs(query_raw, &mut query, app.limits) {
        return Stage::Done(Outcome::fail(Format::Json, e));
    }
    let is_form = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ct.trim_start().get(..33).is_some_and(|p| p.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    // `all` is the query itself unless a form body adds to it (the query alone is kept for ACS3's
    // canonical query string).
    let (all, query_only) = if is_form && !body.is_empty() {
        let mut all = query.clone();
        if let Err(e) = encoding::decode_pairs(body, &mut all, app.limits) {
            return Stage::Done(Outcome::fail(Format::Json, e));
        }
        (all, Some(query))
    } else {
        (query, None)
    };
    let query = query_only.as_ref().unwrap_or(&all);
    let format = match Format::parse(all.get("Format")) {
        Ok(f) => f,
        Err(e) => return Stage::Done(Outcome { params: Some(all), ..Outcome::fail(Format::Json, e) }),
    };
    let mut out = Outcome::fail(format, ApiError::UnsupportedHttpMethod);
    out.region = all.opt_string("RegionId");
    if method != Method::GET && method != Method::POST {
        out.params = Some(all);
        return Stage::Done(out);
    }
    if parts.uri.path() != "/" {
        out.result = Err(ApiError::InvalidActionNotFound(parts.uri.path().to_owned()));
        out.params = Some(all);
        return Stage::Done(out);
    }

    let scheme = auth::detect(&parts.headers, &all);
    let from_header = |name: &str| auth::header_str(&parts.headers, name).filter(|v| !v.is_empty());
    let action = match scheme {
        Scheme::Acs3 => from_header("x-acs-action").or(all.opt("Action")),
        _ => all.opt("Action"),
    };
    let version = match scheme {
        Scheme::Acs3 => from_header("x-acs-version").or(all.opt("Version")),
        _ => all.opt("Version"),
    };
    let Some(action) = action.map(str::to_owned) else {
        out.result = Err(ApiError::MissingParameter("Action".into()));
        out.params = Some(all);
        return Stage::Done(out);
    };
    out.action = Some(action.clone());
    let Some(version) = version.map(str::to_owned) else {
        out.result = Err(ApiError::MissingParameter("Version".into()));
        out.params = Some(all);
        return Stage::Done(out);
    };
    let Some(def) = dispatch::find(&action) else {
        app.coverage.unknown_action(&action, &all, auth::header_str(&parts.headers, "user-agent"));
        out.result = Err(ApiError::InvalidActionNotFound(action));
        out.params = Some(all);
        return Stage::Done(out);
    };
    if version != API_VERSION {
        out.result = Err(ApiError::InvalidVersion);
        out.params = Some(all);
        return Stage::Done(out);
    }

    let incoming = Incoming { scheme, method: method.as_str(), headers: &parts.headers, query, all: &all, body };
    // Request timestamps are signed with the caller's wall clock, so they are checked against the
    // wall clock, not the emulator's (possibly advanced) virtual clock.
    let authn =
        auth::authenticate_explained(&incoming, &app.store, &app.nonces, crate::clock::wall_ms(), app.auth_strict);
    let authn = match authn {
        Ok(a) => a,
        Err(refusal) => {
            // The AccessKeyId the request claimed, so that the journal can be filtered by it.
            out.account = refusal.debug.as_ref().map(|d| d.access_key_id.clone());
            out.result = Err(refusal.error);
            out.signature = refusal.debug;
            out.params = Some(all);
            return Stage::Done(out);
        }
    };
    out.account = Some(authn.account.access_key_id.clone());
    // The drift report: parameters the action does not read (refused with --strict-params).
    let user_agent = auth::header_str(&parts.headers, "user-agent");
    if let Err(e) = app.coverage.check(def, &all, user_agent, out.account.as_deref()) {
        out.result = Err(e);
        out.params = Some(all);
        return Stage::Done(out);
    }
    out.result = Ok(Reply::new());
    out.params = Some(all);
    Stage::Ready(Ready { out, def, account: authn.account })
}
