//! The binary: parse the configuration, bind, serve; or probe health. Nothing else.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use aliyun_nat_emulator::config::{Cli, Command, HealthcheckArgs, ServeArgs};
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
    match cli.command {
        Some(Command::Healthcheck(args)) => runtime.block_on(healthcheck(args, &cli.serve)),
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
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
        seed = app.seed,
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

/// A tiny HTTP/1.1 GET, so that the probe needs no client library and no curl in the image.
async fn healthcheck(args: HealthcheckArgs, serve: &ServeArgs) -> ExitCode {
    let url = args.url.clone().unwrap_or_else(|| {
        let mut addr = serve.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}/_emulator/health")
    });
    let Some(rest) = url.strip_prefix("http://") else {
        eprintln!("healthcheck: only http:// URLs are supported: {url}");
        return ExitCode::FAILURE;
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/_emulator/health"),
    };
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(hostport).await?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await?;
        Ok::<_, std::io::Error>(buf)
    };
    match tokio::time::timeout(Duration::from_secs(args.timeout), probe).await {
        Ok(Ok(buf)) => {
            let head = String::from_utf8_lossy(&buf[..buf.len().min(64)]).into_owned();
            if head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200") {
                ExitCode::SUCCESS
            } else {
                eprintln!("healthcheck: {url} answered {}", head.lines().next().unwrap_or(""));
                ExitCode::FAILURE
            }
        }
        Ok(Err(e)) => {
            eprintln!("healthcheck: {url}: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("healthcheck: {url}: no answer in {} s", args.timeout);
            ExitCode::FAILURE
        }
    }
}
