//! The command line. Every flag has an environment variable `NAT_EMULATOR_<FLAG>`; the flag wins.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "aliyun-nat-emulator",
    version,
    about = "A local, offline emulator of the Alibaba Cloud NAT Gateway API (vpc.aliyuncs.com, 2016-04-28).",
    long_about = "A local, offline emulator of the Alibaba Cloud NAT Gateway API (vpc.aliyuncs.com, \
                  Version 2016-04-28). With no subcommand it serves the RPC API on --listen, checking \
                  signatures like the real gateway, with an embedded default world (accounts testid/testsecret \
                  and testid2/testsecret2, seven regions, a default VPC with vSwitches in each). \
                  Control endpoints live under /_emulator/ (health, reset)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default when no subcommand is given).
    Serve(ServeArgs),
    /// Exit 0 when the emulator's /_emulator/health answers 200 (for container HEALTHCHECKs).
    Healthcheck(HealthcheckArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// Check every signature, timestamp and nonce like the real gateway.
    Strict,
    /// Accept any signature; the AccessKeyId still picks the account.
    Off,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (use 0.0.0.0:8080 in a container).
    #[arg(long, env = "NAT_EMULATOR_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// A world file (the format of fixtures/world.json) replacing the embedded default world.
    #[arg(long, env = "NAT_EMULATOR_WORLD", value_name = "FILE")]
    pub world: Option<PathBuf>,

    /// Signature checking.
    #[arg(long, env = "NAT_EMULATOR_AUTH", value_enum, default_value_t = AuthMode::Strict)]
    pub auth: AuthMode,

    /// Log filter: error, warn, info, debug, trace (or a tracing filter such as `info,aliyun_nat_emulator=debug`).
    #[arg(long, env = "NAT_EMULATOR_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Delay of every status lifecycle (Pending → Available …) in milliseconds of the emulator's
    /// clock; 0 makes new resources Available at once.
    #[arg(long, env = "NAT_EMULATOR_TRANSITION_DELAY_MS", default_value_t = 1000)]
    pub transition_delay_ms: u64,

    /// Seed for resource ids and RequestIds (the same requests in the same order give the same ids).
    /// Without it a seed is drawn from the clock.
    #[arg(long, env = "NAT_EMULATOR_SEED")]
    pub seed: Option<u64>,

    /// Largest request body accepted, in bytes (larger: 413 RequestEntityTooLarge).
    #[arg(long, env = "NAT_EMULATOR_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,

    /// Most parameters one request may carry (query and body together).
    #[arg(long, env = "NAT_EMULATOR_MAX_PARAMS", default_value_t = 1000)]
    pub max_params: usize,

    /// Longest parameter value accepted, in bytes.
    #[arg(long, env = "NAT_EMULATOR_MAX_VALUE_BYTES", default_value_t = 32 * 1024)]
    pub max_value_bytes: usize,

    /// EIP address pool of a region, replacing the world file's: `REGION=CIDR[,CIDR]`; repeatable
    /// (in the variable, separate regions with `;`).
    #[arg(long, env = "NAT_EMULATOR_EIP_POOL", value_name = "REGION=CIDRS", value_delimiter = ';')]
    pub eip_pool: Vec<String>,

    /// How many signature nonces are remembered for replay protection (oldest forgotten first).
    #[arg(long, env = "NAT_EMULATOR_NONCE_CAPACITY", default_value_t = 262_144)]
    pub nonce_capacity: usize,
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// The health URL; by default derived from NAT_EMULATOR_LISTEN (0.0.0.0 → 127.0.0.1).
    #[arg(long, env = "NAT_EMULATOR_HEALTHCHECK_URL")]
    pub url: Option<String>,
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

impl ServeArgs {
    /// The configuration tests use: an ephemeral port, strict auth, no delays.
    pub fn for_tests() -> ServeArgs {
        ServeArgs {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            world: None,
            auth: AuthMode::Strict,
            log_level: "warn".into(),
            transition_delay_ms: 0,
            seed: Some(1),
            max_body_bytes: 1 << 20,
            max_params: 1000,
            max_value_bytes: 32 * 1024,
            nonce_capacity: 262_144,
            eip_pool: vec![],
        }
    }
}
