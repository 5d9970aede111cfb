//! HTTP integration tests: the real server in-process on 127.0.0.1:0, driven by an independent
//! test signer (`signer.rs`) speaking every wire style the SDKs use.
//!
//! - `signer`: the client-side signer and its own checks against the documented vectors.
//! - `harness`: starting/stopping the server, reading responses, shape assertions.
//! - `wire`: every signing style accepted; success shapes in JSON and XML; booleans.
//! - `errors`: every gateway error the wire can produce (status, Code, body shape).
//! - `vpc`: lifecycles on the emulator's clock, account isolation, ClientToken, DryRun.
//! - `control`: `/_emulator/health`, `/_emulator/reset`, `--auth off`.

#![allow(clippy::unwrap_used)]

mod control;
mod control_plane;
mod errors;
mod harness;
mod signer;
mod vpc;
mod wire;
