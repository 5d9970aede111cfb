//! The binary: parse the configuration, bind, serve; or run a client subcommand (`healthcheck`,
//! `state`, `clock`, … in `aliyun_nat_emulator::cli`). Nothing else.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use aliyun_nat_emulator::cli;
use aliyun_nat_emulator::config::{Cli, Command, ServeArgs};
use aliyun_nat_emulator::App;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aliyun-nat-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listen = cli.serve.listen;
    match cli.command {
        Some(Command::Healthcheck(args)) => runtime.block_on(cli::healthcheck(args, listen)),
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
        Some(Command::State(a)) => runtime.block_on(cli::state(a, listen)),
        Some(Command::Clock(a)) => runtime.block_on(cli::clock(a, listen)),
        Some(Command::Config(a)) => runtime.block_on(cli::config(a, listen)),
        Some(Command::Seed(a)) => runtime.block_on(cli::seed(a, listen)),
        Some(Command::Reset(a)) => runtime.block_on(cli::reset(a, listen)),
        Some(Command::Faults(a)) => runtime.block_on(cli::faults(a, listen)),
        Some(Command::Requests(a)) => runtime.block_on(cli::requests(a, listen)),
        Some(Command::Accounts(a)) => runtime.block_on(cli::accounts(a, listen)),
        None => runtime.block_on(serve(cli.serve)),
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true)
        .init();
    let app = match App::new(&args) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("aliyun-nat-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("aliyun-nat-emulator: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    if !app.auth_strict {
        tracing::warn!("--auth off: signatures are NOT checked; any caller with a known AccessKeyId is accepted");
    }
    tracing::info!(
        listen = %addr,
        seed = app.seed(),
        journal_size = app.journal.capacity(),
        accounts = app.store.account_ids().len(),
        regions = app.store.world.regions.len(),
        "aliyun-nat-emulator {} listening on http://{addr}",
        env!("CARGO_PKG_VERSION")
    );
    match aliyun_nat_emulator::serve(app, listener, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("aliyun-nat-emulator: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
