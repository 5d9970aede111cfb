//! HTTP integration tests: the real server in-process on 127.0.0.1:0, driven by an independent
//! test signer (`signer.rs`) speaking every wire style the SDKs use.
//!
//! - `signer`: the client-side signer and its own checks against the documented vectors.
//! - `harness`: starting/stopping the server, reading responses, shape assertions.
//! - `wire`: every signing style accepted; success shapes in JSON and XML; booleans.
//! - `errors`: every gateway error the wire can produce (status, Code, body shape).
//! - `vpc`: lifecycles on the emulator's clock, account isolation, ClientToken, DryRun.
//! - `control`: `/_emulator/health`, `/_emulator/reset`, `--auth off`.
//! - `control_plane`: state, clock, config, seed, faults, journal, signature debugger, accounts,
//!   init data, the OpenAPI document and the binary's client subcommands.
//! - `nat`: NAT gateways: lifecycles, shapes, ClientToken, Force, dependencies, isolation, refusals.
//! - `eip`: EIPs: allocate/associate/unassociate/release, shapes, binding rules, isolation.
//! - `entries`: DNAT and SNAT entries: lifecycles, shapes, every rule and refusal, UsingStatus, trace.
//! - `packages`: legacy bandwidth packages: the seven actions, BandwidthPackage.N.*, the switch.
//! - `https`: `--tls`/`--listen-tls`: generated CA and certificate, persistence, TLS clients.
//! - `coverage`: the drift report (`/_emulator/coverage`) and `--strict-params`.

#![allow(clippy::unwrap_used)]

mod control;
mod control_plane;
mod coverage;
mod eip;
mod entries;
mod errors;
mod harness;
mod https;
mod nat;
mod packages;
mod signer;
mod vpc;
mod wire;
