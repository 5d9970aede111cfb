//! `GET /_emulator/ui`: the dashboard. Server-rendered HTML (maud, compiled into the binary; the CSS
//! and the small plain-JS file beside this module are embedded with `include_str!`), nothing loaded
//! from anywhere else.
//!
//! - `GET /_emulator/ui[?account=AK][&region=R]`: the whole page: the world (accounts → regions →
//!   VPCs → vSwitches → NAT gateways with their IPs, DNAT and SNAT entries; EIPs and bandwidth
//!   packages), counts, the virtual clock, fault rules, the request journal, and forms (filter, NAT
//!   trace, new fault rule).
//! - `GET /_emulator/ui/fragment[?account=AK][&region=R]`: only the live parts ("slots"), which the
//!   page's script fetches every 2 s and swaps in, leaving the forms (and what the user typed) alone.
//! - `GET /_emulator/ui/requests/{RequestId}`: one journaled request: parameters, message and the
//!   signature diagnosis.
//!
//! The buttons and forms call the ordinary control endpoints (`/clock`, `/faults`, `/reset`,
//! `/nat/trace`); the page holds no state of its own. Every value from the state is escaped by
//! maud (HTML) or set through `textContent` (JS); a `Content-Security-Policy` allows only the page's
//! own script and style (by hash). Disabled with the rest of the control plane, since it is routed
//! inside [`super::router`]. This module reads `App`; rendering ([`render`]) is pure.

pub mod render;

use std::sync::{Arc, OnceLock};

use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::clock::wall_ms;
use crate::journal::Filter as JournalFilter;
use crate::store::AccountState;

/// The page's style sheet and script, embedded in the binary.
pub const CSS: &str = include_str!("ui/style.css");
pub const JS: &str = include_str!("ui/app.js");

/// Requests shown in the journal panel (newest first).
pub const JOURNAL_ROWS: usize = 60;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/ui", get(page))
        .route("/ui/fragment", get(fragment))
        .route("/ui/requests/{request_id}", get(request_page))
}

/// What the page is filtered by (query parameters `account` and `region`; others are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiFilter {
    pub account: Option<String>,
    pub region: Option<String>,
}

impl UiFilter {
    pub fn parse(raw: Option<&str>) -> UiFilter {
        let mut p = crate::params::Params::new();
        let limits = crate::wire::encoding::Limits { max_params: 32, max_value_bytes: 4096 };
        if crate::wire::encoding::decode_pairs(raw.unwrap_or("").as_bytes(), &mut p, limits).is_err() {
            return UiFilter::default();
        }
        let get = |k: &str| p.iter().find(|(n, v)| *n == k && !v.is_empty()).map(|(_, v)| v.to_owned());
        UiFilter { account: get("account"), region: get("region") }
    }

    /// `?account=…&region=…` (empty when unfiltered), RFC 3986 encoded.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [("account", &self.account), ("region", &self.region)] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", crate::wire::encoding::pct_string(v)));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// One account as the page shows it: a settled copy of its state.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub name: String,
    pub state: AccountState,
}

#[derive(Debug, Clone, Default)]
pub struct ClockView {
    pub virtual_ms: u64,
    pub wall_ms: u64,
    pub offset_ms: i64,
    pub frozen: bool,
}

/// Everything the page renders, read from the running emulator in one go.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub filter: UiFilter,
    /// Why the filter shows nothing (an unknown account or region).
    pub notice: Option<String>,
    pub auth_strict: bool,
    /// Every AccessKeyId and region id, for the filter's choices.
    pub all_accounts: Vec<String>,
    pub all_regions: Vec<String>,
    /// The accounts the filter selects, with their state.
    pub accounts: Vec<AccountView>,
    pub clock: ClockView,
    /// Fault rules as `GET /_emulator/faults` lists them.
    pub faults: Vec<serde_json::Value>,
    /// The newest journaled requests the filter selects.
    pub requests: Vec<Arc<crate::journal::Entry>>,
    pub journal_stored: usize,
    pub journal_capacity: usize,
}

impl View {
    pub fn read(app: &App, filter: UiFilter) -> View {
        let mut v = View {
            auth_strict: app.auth_strict,
            all_accounts: app.store.account_ids(),
            all_regions: app.store.world.regions.iter().map(|r| r.region_id.clone()).collect(),
            clock: ClockView {
                virtual_ms: app.clock.now_ms(),
                wall_ms: wall_ms(),
                offset_ms: app.clock.offset_ms(),
                frozen: app.clock.is_frozen(),
            },
            faults: app.faults.rules().iter().map(|r| r.to_json()).collect(),
            journal_stored: app.journal.len(),
            journal_capacity: app.journal.capacity(),
            ..View::default()
        };
        if let Some(r) = &filter.region {
            if app.store.world.region(r).is_none() {
                v.notice = Some(format!("No region {r:?} in the world."));
            }
        }
        let now = v.clock.virtual_ms;
        match &filter.account {
            Some(id) => match app.store.account(id) {
                Some(acc) => {
                    let mut st = acc.state.read().clone();
                    st.settle(now);
                    v.accounts.push(AccountView { name: acc.spec.name.clone(), state: st });
                }
                None => v.notice = Some(format!("No account with AccessKeyId {id:?}.")),
            },
            None => {
                let names: std::collections::HashMap<String, String> =
                    app.store.accounts().iter().map(|a| (a.access_key_id.clone(), a.spec.name.clone())).collect();
                v.accounts = app
                    .store
                    .snapshot_all(now)
                    .into_iter()
                    .map(|st| AccountView {
                        name: names.get(&st.access_key_id).cloned().unwrap_or_default(),
                        state: st,
                    })
                    .collect();
            }
        }
        if v.notice.is_some() {
            v.accounts.clear();
        }
        let jf = JournalFilter { account: filter.account.clone(), ..JournalFilter::default() };
        v.requests = app
            .journal
            .list(&jf, 1000)
            .into_iter()
            .filter(|e| filter.region.as_deref().is_none_or(|r| e.region.as_deref() == Some(r)))
            .take(JOURNAL_ROWS)
            .collect();
        v.filter = filter;
        v
    }
}

fn sha256_b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// Only the page's own script and style run (by hash); it talks to its own origin only.
fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; connect-src 'self'; \
             img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            sha256_b64(JS),
            sha256_b64(CSS)
        )
    })
}

fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(csp()) {
        h.insert(CONTENT_SECURITY_POLICY, v);
    }
    r
}

fn status_of(v: &View) -> StatusCode {
    if v.notice.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    }
}

async fn page(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let v = View::read(&app, UiFilter::parse(raw.as_deref()));
    html(status_of(&v), render::page(&v).into_string())
}

async fn fragment(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let v = View::read(&app, UiFilter::parse(raw.as_deref()));
    html(status_of(&v), render::fragment(&v).into_string())
}

async fn request_page(
    State(app): State<Arc<App>>,
    Path(request_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let filter = UiFilter::parse(raw.as_deref());
    match app.journal.get(&request_id) {
        Some(e) => html(StatusCode::OK, render::request_page(&e, &filter).into_string()),
        None => html(
            StatusCode::NOT_FOUND,
            render::not_found_page(
                &format!(
                    "No request {request_id:?} in the journal (it keeps the last {} requests).",
                    app.journal.capacity()
                ),
                &filter,
            )
            .into_string(),
        ),
    }
}
