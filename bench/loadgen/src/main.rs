//! loadgen: the benchmark's load generator and orchestrator (see docs/performance.md).
//!
//! - `loadgen run`: one workload against a running server (emulator or ceiling).
//! - `loadgen suite`: everything `scripts/bench` measures — throughput cells against the emulator
//!   and the ceiling interleaved in rounds, cold start, idle RSS, growth, big-world RSS, reset —
//!   with the servers it starts itself on 127.0.0.1 and stops by pid.

mod http;
mod run;
mod server;
mod sign;
mod suite;
mod world;

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand};

use run::{Kind, Spec, Workload};
use sign::{Scheme, Signer};

#[derive(Parser)]
#[command(name = "loadgen", about = "Signed load for aliyun-nat-emulator and the ceiling server")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SchemeArg {
    V1,
    Acs3,
}

#[derive(Subcommand)]
enum Cmd {
    /// One workload against a running server.
    Run(RunArgs),
    /// The whole benchmark (what scripts/bench runs).
    Suite(suite::SuiteArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// The server, e.g. 127.0.0.1:8080.
    #[arg(long)]
    addr: SocketAddr,
    #[arg(long, value_enum, default_value = "emulator")]
    target: Kind,
    #[arg(long, value_enum)]
    workload: Workload,
    #[arg(long, value_enum, default_value = "v1")]
    scheme: SchemeArg,
    #[arg(short = 'c', long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds to measure (after the warm-up).
    #[arg(long, default_value_t = 3.0)]
    duration: f64,
    /// A fixed number of requests instead of a duration (no warm-up).
    #[arg(long)]
    requests: Option<u64>,
    #[arg(long, default_value_t = 0.5)]
    warmup: f64,
    /// Build the small world first (emulator: quotas raised, 50 gateways, 50 DNAT entries).
    #[arg(long)]
    prefill: bool,
    /// Ids when not prefilling.
    #[arg(long)]
    gateway_id: Vec<String>,
    #[arg(long, default_value = "")]
    vpc_id: String,
    /// The create workload's vSwitches (repeat the flag to rotate over several).
    #[arg(long)]
    vswitch_id: Vec<String>,
    #[arg(long, default_value = "")]
    table_id: String,
    #[arg(long, default_value = "")]
    external_ip: String,
    #[arg(long, default_value = "testid")]
    access_key_id: String,
    #[arg(long, default_value = "testsecret")]
    access_key_secret: String,
    /// Client runtime threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Print JSON instead of a line of text.
    #[arg(long)]
    json: bool,
}

fn runtime(threads: usize) -> tokio::runtime::Runtime {
    let mut b = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    b.enable_all().build().expect("tokio runtime")
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.cmd {
        Cmd::Run(a) => run_one(a),
        Cmd::Suite(a) => suite::main(a),
    };
    std::process::exit(code);
}

fn run_one(a: RunArgs) -> i32 {
    let rt = runtime(a.threads);
    rt.block_on(async {
        let world = if a.prefill && a.target == Kind::Emulator {
            match world::small_world(a.addr).await {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("prefill: {e}");
                    return 2;
                }
            }
        } else if a.target == Kind::Ceiling && a.gateway_id.is_empty() {
            run::World::ceiling(10)
        } else {
            run::World {
                region: world::REGION.into(),
                gateway_ids: a.gateway_id.clone(),
                vpc_id: a.vpc_id.clone(),
                vswitch_ids: a.vswitch_id.clone(),
                table_id: a.table_id.clone(),
                external_ip: a.external_ip.clone(),
            }
        };
        let spec = Spec {
            workload: a.workload,
            scheme: if a.scheme == SchemeArg::V1 { Scheme::V1 } else { Scheme::Acs3 },
            concurrency: a.concurrency,
            duration: Some(Duration::from_secs_f64(a.duration)),
            requests: a.requests,
            warmup: Duration::from_secs_f64(a.warmup),
        };
        let signer = Signer::new(&a.access_key_id, &a.access_key_secret);
        let st = run::run(a.addr, &signer, &world, &spec).await;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&st).unwrap_or_default());
        } else {
            println!(
                "{} c={} {:.0} req/s  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  requests {}  errors {}",
                a.workload.name(),
                a.concurrency,
                st.rps,
                st.p50_us as f64 / 1000.0,
                st.p99_us as f64 / 1000.0,
                st.max_us as f64 / 1000.0,
                st.requests,
                st.errors_text()
            );
        }
        i32::from(st.error_count() > 0)
    })
}
