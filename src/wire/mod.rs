//! HTTP and the Alibaba Cloud RPC protocol: the only module that knows requests, headers, formats
//! and signatures. Turns an HTTP request into (account, action, parameters), runs it through
//! `dispatch`, and renders the reply or error. Knows nothing of NAT rules.
//!
//! Check order (REAL-SERVICE §4.2): method → encoding → Format → Action/Version → signature
//! parameters → timestamp → AccessKeyId → nonce → signature → the action's own parameters.

pub mod auth;
pub mod encoding;
pub mod render;
pub mod signature_v1;
pub mod signature_v3;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::Method;
use axum::response::Response;

use crate::app::App;
use crate::dispatch::{self, Reply};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::Ctx;
use auth::{Incoming, Scheme};
use render::Format;

pub const API_VERSION: &str = "2016-04-28";

/// What one request came to, for rendering and the request log.
struct Outcome {
    format: Format,
    action: Option<String>,
    account: Option<String>,
    region: Option<String>,
    result: Result<Reply, ApiError>,
}

impl Outcome {
    fn fail(format: Format, e: ApiError) -> Outcome {
        Outcome { format, action: None, account: None, region: None, result: Err(e) }
    }
}

/// The axum handler for every RPC request.
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let started = Instant::now();
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
    let outcome = if declared.is_some_and(|n| n > app.max_body_bytes) {
        Outcome::fail(Format::Json, ApiError::BodyTooLarge { limit: app.max_body_bytes })
    } else {
        match axum::body::to_bytes(body, app.max_body_bytes).await {
            Ok(bytes) => {
                let app2 = app.clone();
                match std::panic::catch_unwind(AssertUnwindSafe(|| process(&app2, &parts, &bytes))) {
                    Ok(o) => o,
                    Err(_) => {
                        tracing::error!(request_id, "a request handler panicked (a bug): answered InternalError");
                        Outcome::fail(Format::Json, ApiError::InternalError("panic".into()))
                    }
                }
            }
            Err(_) => Outcome::fail(Format::Json, ApiError::BodyTooLarge { limit: app.max_body_bytes }),
        }
    };
    let (response, code) = match &outcome.result {
        Ok(reply) => {
            let action = outcome.action.as_deref().unwrap_or("");
            (render::success(outcome.format, action, &request_id, reply.clone()), None)
        }
        Err(e) => (render::error(outcome.format, &request_id, &host, e), Some(e.code())),
    };
    let status = response.status().as_u16();
    let duration_us = started.elapsed().as_micros() as u64;
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
    response
}

fn process(app: &App, parts: &Parts, body: &Bytes) -> Outcome {
    let method = parts.method.clone();
    let query_raw = parts.uri.query().unwrap_or("").as_bytes();

    // Parameters: the query, and a form body merged into it (duplicates refused).
    let mut query = Params::new();
    if let Err(e) = encoding::decode_pairs(query_raw, &mut query, app.limits) {
        return Outcome::fail(Format::Json, e);
    }
    let mut all = query.clone();
    let is_form = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if is_form && !body.is_empty() {
        if let Err(e) = encoding::decode_pairs(body, &mut all, app.limits) {
            return Outcome::fail(Format::Json, e);
        }
    }
    let format = match Format::parse(all.get("Format")) {
        Ok(f) => f,
        Err(e) => return Outcome::fail(Format::Json, e),
    };
    if method != Method::GET && method != Method::POST {
        return Outcome::fail(format, ApiError::UnsupportedHttpMethod);
    }
    if parts.uri.path() != "/" {
        return Outcome::fail(format, ApiError::InvalidActionNotFound(parts.uri.path().to_owned()));
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
    let region = all.opt_string("RegionId");
    let Some(action) = action.map(str::to_owned) else {
        return Outcome::fail(format, ApiError::MissingParameter("Action".into()));
    };
    let mut out = Outcome { format, action: Some(action.clone()), account: None, region, result: Ok(Reply::new()) };
    let Some(version) = version else {
        out.result = Err(ApiError::MissingParameter("Version".into()));
        return out;
    };
    let Some(def) = dispatch::find(&action) else {
        out.result = Err(ApiError::InvalidActionNotFound(action));
        return out;
    };
    if version != API_VERSION {
        out.result = Err(ApiError::InvalidVersion);
        return out;
    }

    let incoming =
        Incoming { scheme, method: method.as_str(), headers: &parts.headers, query: &query, all: &all, body };
    let now = app.clock.now_ms();
    // Request timestamps are signed with the caller's wall clock, so they are checked against the
    // wall clock, not the emulator's (possibly advanced) virtual clock.
    let authn = match auth::authenticate(&incoming, &app.store, &app.nonces, crate::clock::wall_ms(), app.auth_strict) {
        Ok(a) => a,
        Err(e) => {
            out.result = Err(e);
            return out;
        }
    };
    out.account = Some(authn.account.access_key_id.clone());
    let settings = *app.settings.read();
    let ctx =
        Ctx { now, world: &app.store.world, delays: settings.delays, quotas: settings.quotas, pools: &app.store.pools };
    out.result = dispatch::execute(def, &authn.account, &all, &ctx);
    out
}
