//! The binary: parse the configuration, bind, serve; or run a client subcommand (`healthcheck`,
//! `state`, `clock`, … in `aliyun_nat_emulator::cli`). Nothing else.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use aliyun_nat_emulator::cli;
use aliyun_nat_emulator::config::{Cli, Command, ControlMode, ServeArgs};
use aliyun_nat_emulator::App;

/// See Cargo.toml: the allocator behind every request's small strings.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // `--tls` without `--listen-tls`: the client subcommands' default URL is https://.
    cli::set_default_https(cli.serve.listen_is_tls());
    match cli.command {
        Some(Command::Healthcheck(args)) => runtime.block_on(cli::healthcheck(args, listen)),
        Some(Command::Serve(args)) => runtime.block_on(serve(*args)),
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
    if args.control == ControlMode::Off && args.control_listen.is_some() {
        eprintln!("aliyun-nat-emulator: --control off and --control-listen exclude each other");
        return ExitCode::FAILURE;
    }
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
    let tls_listener = match args.listen_tls {
        None => None,
        Some(at) => match tokio::net::TcpListener::bind(at).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("aliyun-nat-emulator: cannot listen on {at} (--listen-tls): {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    // --control-listen: the control plane on an address of its own (issue 11).
    let control_listener = match args.control_listen {
        None => None,
        Some(at) => match tokio::net::TcpListener::bind(at).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("aliyun-nat-emulator: cannot listen on {at} (--control-listen): {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    if !app.auth_strict {
        tracing::warn!("--auth off: signatures are NOT checked; any caller with a known AccessKeyId is accepted");
    }
    let scheme = if args.listen_is_tls() { "https" } else { "http" };
    tracing::info!(
        listen = %addr,
        seed = app.seed(),
        journal_size = app.journal.capacity(),
        accounts = app.store.account_ids().len(),
        regions = app.store.world.regions.len(),
        "aliyun-nat-emulator {} listening on {scheme}://{addr}",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(l) = &tls_listener {
        let tls_addr = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
        tracing::info!(listen_tls = %tls_addr, "and on https://{tls_addr}");
    }
    if let Some(tls) = &app.tls {
        log_tls(tls, &args);
    }
    match &control_listener {
        Some(l) => {
            let at = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
            tracing::info!(control_listen = %at, "control plane on http://{at}/_emulator/ (--listen keeps /_emulator/health only)");
        }
        None if args.control == ControlMode::Off => {
            tracing::info!("--control off: no control plane (/_emulator/health only)")
        }
        None => {}
    }
    // One shutdown signal for every listener.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stop = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    };
    type Serving = std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>>;
    let tls_config = app.tls.as_ref().map(|t| t.config.clone());
    let main: Serving = match (&tls_config, args.listen_is_tls()) {
        (Some(config), true) => Box::pin(aliyun_nat_emulator::serve_tls(app.clone(), listener, config.clone(), stop())),
        _ => Box::pin(aliyun_nat_emulator::serve(app.clone(), listener, stop())),
    };
    let second: Serving = match (tls_listener, tls_config) {
        (Some(l), Some(config)) => Box::pin(aliyun_nat_emulator::serve_tls(app.clone(), l, config, stop())),
        _ => Box::pin(async { Ok(()) }),
    };
    let control: Serving = match control_listener {
        Some(l) => Box::pin(aliyun_nat_emulator::serve_control(app.clone(), l, stop())),
        None => Box::pin(async { Ok(()) }),
    };
    match tokio::try_join!(main, second, control) {
        Ok(_) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("aliyun-nat-emulator: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where the certificate comes from and where clients find the CA to trust.
fn log_tls(tls: &aliyun_nat_emulator::tls::Tls, args: &ServeArgs) {
    use aliyun_nat_emulator::tls::Origin;
    match &tls.origin {
        Origin::Provided { cert } => tracing::info!(target: "tls", cert = %cert.display(), "HTTPS with --tls-cert"),
        Origin::Generated { dir, new_ca, new_server } => {
            let kept = match dir {
                Some(d) => format!("kept in {}", d.display()),
                None => "generated for this process only (no --data-dir)".to_owned(),
            };
            let ca_out = args.tls_ca_out.as_ref().map(|p| format!(", written to {}", p.display())).unwrap_or_default();
            tracing::info!(
                target: "tls",
                new_ca,
                new_server_certificate = new_server,
                names = tls.names.len(),
                "HTTPS with the emulator's own CA ({kept}{ca_out}; also GET /_emulator/tls/ca.pem): \
                 the server certificate names localhost, 127.0.0.1, ::1, vpc.aliyuncs.com, vpc.<region>.aliyuncs.com{}",
                if args.tls_name.is_empty() { String::new() } else { format!(", {}", args.tls_name.join(", ")) }
            );
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
