//! aliyun-nat-emulator: a local, offline emulator of the Alibaba Cloud NAT Gateway RPC API
//! (`vpc.aliyuncs.com`, Version 2016-04-28).
//!
//! # Map
//! Dependencies point one way: `main → lib (serve) → wire → dispatch → actions → {store, model}`;
//! `error`, `params`, `clock`, `ids` and `world` are leaves.
//!
//! - [`config`]: the command line and its `NAT_EMULATOR_*` variables.
//! - [`app`]: the shared state of a running emulator.
//! - [`wire`]: HTTP, parameters, signatures (RPC v1 and ACS3), JSON/XML rendering. Only it knows HTTP.
//! - [`dispatch`]: `ACTIONS`, the table of supported actions, and how one runs (locks, ClientToken).
//! - [`actions`]: one module per action: `parse` (syntax) then `handle` (semantics, check then mutate).
//! - [`store`]: accounts, regions and resources; status transitions on the injected clock.
//! - [`model`]: resources and their single-resource rules.
//! - [`world`]: the world file (accounts, regions, zones, default VPCs).
//! - [`control`]: the emulator's own API under `/_emulator/` (docs/control-api.md).
//! - [`journal`]: the bounded request journal behind `GET /_emulator/requests`.
//! - [`json`]: replies as compact JSON straight from their typed responses (serde_json's bytes,
//!   written faster).
//! - [`faults`]: fault rules (injected errors and latency) and the fault report.
//! - [`init`]: `--init FILE` / `POST /_emulator/init`: API calls applied through `dispatch`.
//! - [`cli`]: the client subcommands (`state`, `clock`, `faults`, …) and `healthcheck`.
//! - [`error`]: every error code, its HTTP status and message.
//! - [`coverage`]: the drift report (parameters and actions clients send that the emulator does not
//!   model) and `--strict-params`.
//! - [`tls`]: HTTPS: the generated local CA and server certificate, and the TLS listener.

pub mod actions;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod coverage;
pub mod dispatch;
pub mod error;
pub mod faults;
pub mod ids;
pub mod init;
pub mod journal;
pub mod json;
pub mod model;
pub mod nat_trace;
pub mod params;
pub mod persist;
pub mod store;
pub mod table;
pub mod tls;
pub mod wire;
pub mod world;

use std::future::Future;
use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

pub use app::App;

/// The whole HTTP surface: the control plane under `/_emulator/`, the RPC API everywhere else.
/// With `--control off` or `--control-listen`, `/_emulator/*` is left to the RPC API (404
/// `InvalidAction.NotFound`, like any unknown path), except `/_emulator/health`. Every route is
/// behind `wire::limits::guard` (header size, request timeout).
pub fn router(app: Arc<App>) -> Router {
    let base = if app.net.control_on_api {
        Router::new().nest("/_emulator", control::router())
    } else {
        Router::new().route("/_emulator/health", get(control::health).head(control::health_head))
    };
    base.fallback(wire::handle).layer(from_fn_with_state(app.clone(), wire::limits::guard)).with_state(app)
}

/// The control plane alone, for `--control-listen`: `/_emulator/*`, nothing else.
pub fn control_router(app: Arc<App>) -> Router {
    Router::new()
        .nest("/_emulator", control::router())
        .fallback(|| async {
            let body = serde_json::json!({"error": "this address serves the control plane only (/_emulator/…)"});
            (axum::http::StatusCode::NOT_FOUND, axum::Json(body))
        })
        .layer(from_fn_with_state(app.clone(), wire::limits::guard))
        .with_state(app)
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = wire::limits::Limited::new(listener, app.clone());
    axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await
}

/// Serves the control plane alone (`--control-listen`) until `shutdown` resolves.
pub async fn serve_control(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = wire::limits::Limited::new(listener, app.clone());
    axum::serve(listener, control_router(app)).with_graceful_shutdown(shutdown).await
}

/// Serves HTTPS on `listener` with `config` (see [`tls`]) until `shutdown` resolves, then lets
/// requests in flight finish.
pub async fn serve_tls(
    app: Arc<App>,
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = wire::limits::Limited::new(tls::TlsListener::new(listener, config)?, app.clone());
    axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await
}
