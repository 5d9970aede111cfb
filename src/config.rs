//! The command line. Every flag has an environment variable `NAT_EMULATOR_<FLAG>`; the flag wins.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::persist::SyncMode;

#[derive(Debug, Parser)]
#[command(
    name = "aliyun-nat-emulator",
    version,
    about = "A local, offline emulator of the Alibaba Cloud NAT Gateway API (vpc.aliyuncs.com, 2016-04-28).",
    long_about = "A local, offline emulator of the Alibaba Cloud NAT Gateway API (vpc.aliyuncs.com, \
                  Version 2016-04-28). With no subcommand it serves the RPC API on --listen, checking \
                  signatures like the real gateway, with an embedded default world (accounts testid/testsecret \
                  and testid2/testsecret2, seven regions, a default VPC with vSwitches in each). \
                  Control endpoints live under /_emulator/ (state, clock, config, seed, faults, requests, \
                  accounts, reset, init, openapi.json; docs/control-api.md); the subcommands below are thin \
                  clients of them."
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
    Serve(Box<ServeArgs>),
    /// Exit 0 when the emulator's /_emulator/health answers 200 (for container HEALTHCHECKs).
    Healthcheck(HealthcheckArgs),
    /// Print the resources of a running emulator (GET /_emulator/state).
    State(StateArgs),
    /// Show or move the virtual clock (GET/POST /_emulator/clock).
    Clock(ClockArgs),
    /// Show or change lifecycle delays and quotas (GET/POST /_emulator/config).
    Config(ConfigArgs),
    /// Restart the id generators from a seed (POST /_emulator/seed).
    Seed(SeedArgs),
    /// Reset every account, or one, to the world file's state (POST /_emulator/reset).
    Reset(ResetArgs),
    /// List, add or remove fault rules; print the fault report (/_emulator/faults).
    Faults(FaultsArgs),
    /// Print recent requests, or one with its signature diagnosis (/_emulator/requests).
    Requests(RequestsArgs),
    /// List or add accounts (/_emulator/accounts).
    Accounts(AccountsArgs),
}

/// Where a running emulator is: shared by every client subcommand.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Base URL of the emulator (`http://host:port`); by default derived from NAT_EMULATOR_LISTEN
    /// (0.0.0.0 → 127.0.0.1).
    #[arg(long, env = "NAT_EMULATOR_URL", global = true)]
    pub url: Option<String>,
    /// Seconds to wait for an answer.
    #[arg(long, env = "NAT_EMULATOR_CLIENT_TIMEOUT", default_value_t = 10, global = true)]
    pub timeout: u64,
}

#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    #[command(flatten)]
    pub target: Target,
    /// Only this account (AccessKeyId).
    #[arg(long)]
    pub account: Option<String>,
    /// Only this region.
    #[arg(long)]
    pub region: Option<String>,
    /// Only these resource types (vpc, vswitch, nat_gateway, eip, forward_entry, snat_entry; comma-separated).
    #[arg(long = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ClockArgs {
    #[command(flatten)]
    pub target: Target,
    /// Move the virtual clock forward by this many seconds (fractions allowed).
    #[arg(long, value_name = "SECONDS")]
    pub advance: Option<f64>,
    /// Stop the virtual clock.
    #[arg(long, conflicts_with = "unfreeze")]
    pub freeze: bool,
    /// Let the virtual clock run again.
    #[arg(long)]
    pub unfreeze: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub target: Target,
    /// Every lifecycle delay at once, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub transition_delay_ms: Option<u64>,
    /// A JSON object merged into the configuration, e.g. '{"delays":{"nat_create_ms":0}}'.
    #[arg(long, value_name = "JSON")]
    pub set: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub target: Target,
    /// The new seed; without it, print the current one.
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct ResetArgs {
    #[command(flatten)]
    pub target: Target,
    /// Reset only this account (AccessKeyId).
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct FaultsArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(subcommand)]
    pub command: Option<FaultsCommand>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum FaultsCommand {
    /// List the rules with their hit counts (the default).
    List,
    /// Add a rule: flags, or a whole rule as JSON with --json.
    Add(Box<FaultAddArgs>),
    /// Remove one rule, or every rule with --all.
    Delete {
        /// The rule id (`flt-…`).
        id: Option<String>,
        /// Remove every rule.
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Per injected fault: did the client come back with the same request, and how fast.
    Report,
}

#[derive(Debug, Clone, Args)]
pub struct FaultAddArgs {
    /// The whole rule as JSON (the body of POST /_emulator/faults); other flags are ignored.
    #[arg(long, value_name = "JSON")]
    pub json: Option<String>,
    /// Match this action.
    #[arg(long)]
    pub action: Option<String>,
    /// Match requests with a parameter equal to this id.
    #[arg(long)]
    pub resource_id: Option<String>,
    /// Match this account (AccessKeyId).
    #[arg(long)]
    pub account: Option<String>,
    /// Match this region.
    #[arg(long)]
    pub region: Option<String>,
    /// Answer with this error: a preset (Throttling, Throttling.User, Throttling.Api, ServiceUnavailable,
    /// IncorrectStatus.NATGW, OperationConflict, TaskConflict, InternalError) or any Code with --status.
    #[arg(long)]
    pub error: Option<String>,
    /// HTTP status of a non-preset --error.
    #[arg(long)]
    pub status: Option<u16>,
    /// Message of the error (presets have the real one).
    #[arg(long)]
    pub message: Option<String>,
    /// Added latency in milliseconds.
    #[arg(long)]
    pub latency_ms: Option<u64>,
    /// Only the Nth matching call.
    #[arg(long)]
    pub nth: Option<u64>,
    /// Only the first N matching calls.
    #[arg(long)]
    pub first: Option<u64>,
    /// Each matching call with this probability (0..1), drawn from a seeded generator.
    #[arg(long)]
    pub probability: Option<f64>,
    /// Seed of --probability.
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct RequestsArgs {
    #[command(flatten)]
    pub target: Target,
    /// Show one request (with the signature diagnosis of a refused signature).
    #[arg(long, value_name = "REQUEST_ID")]
    pub id: Option<String>,
    /// At most this many, newest first.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Only this action.
    #[arg(long)]
    pub action: Option<String>,
    /// Only this Code (`ok` for successes).
    #[arg(long)]
    pub code: Option<String>,
    /// Only this account (AccessKeyId).
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct AccountsArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(subcommand)]
    pub command: Option<AccountsCommand>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AccountsCommand {
    /// List AccessKeyIds and account ids (the default; never secrets).
    List,
    /// Add a key pair with its own default world.
    Add {
        #[arg(long)]
        access_key_id: String,
        /// The secret (or NAT_EMULATOR_NEW_ACCESS_KEY_SECRET, so that it stays out of `ps`).
        #[arg(long, env = "NAT_EMULATOR_NEW_ACCESS_KEY_SECRET", hide_env_values = true)]
        access_key_secret: String,
        /// Numeric account id (OwnerId); derived from the AccessKeyId when absent.
        #[arg(long)]
        account_id: Option<u64>,
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
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

    /// May accounts use the legacy NAT bandwidth-package actions (bought a package before
    /// 2018-01-26)? `off` answers them 403 Forbidden; a world file's per-account setting wins.
    #[arg(long, env = "NAT_EMULATOR_LEGACY_BANDWIDTH_PACKAGES", value_enum, default_value_t = Switch::On)]
    pub legacy_bandwidth_packages: Switch,

    /// How many signature nonces are remembered for replay protection (oldest forgotten first).
    #[arg(long, env = "NAT_EMULATOR_NONCE_CAPACITY", default_value_t = 262_144)]
    pub nonce_capacity: usize,

    /// Resources to create at start (JSON or YAML; see docs/control-api.md, "Init file"), through
    /// the same code as the API. Any failing item stops the start with a message naming it.
    #[arg(long, env = "NAT_EMULATOR_INIT", value_name = "FILE")]
    pub init: Option<PathBuf>,

    /// How many recent requests GET /_emulator/requests remembers (oldest forgotten first; 0: none).
    #[arg(long, env = "NAT_EMULATOR_JOURNAL_SIZE", default_value_t = 1000)]
    pub journal_size: usize,

    /// How many fault episodes (an injected fault and the retries after it) GET /_emulator/faults/report
    /// remembers (oldest forgotten first).
    #[arg(long, env = "NAT_EMULATOR_FAULT_REPORT_SIZE", default_value_t = 1000)]
    pub fault_report_size: usize,

    /// Keep the state across restarts in this directory: a journal of every acknowledged change
    /// and snapshots (docs/persistence.md). Files are created 0600: they hold the accounts'
    /// secrets. One process per directory. Without it, the state lives in memory only.
    #[arg(long, env = "NAT_EMULATOR_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// With --data-dir, when a write is on disk: `always` (fsync before answering; concurrent
    /// writers share one fsync), `batch` (fsync in the background every 20 ms; answers do not
    /// wait), `never` (left to the operating system).
    #[arg(long, env = "NAT_EMULATOR_SYNC", value_enum, default_value_t = SyncMode::Always)]
    pub sync: SyncMode,

    /// With --data-dir: start even if the directory is damaged, keeping the longest valid prefix
    /// of the journal (the log says how much is lost).
    #[arg(long, env = "NAT_EMULATOR_REPAIR")]
    pub repair: bool,

    /// With --data-dir: write a snapshot and empty the journal once it grows past this many bytes.
    #[arg(long, env = "NAT_EMULATOR_SNAPSHOT_AFTER_BYTES", default_value_t = 16 << 20)]
    pub snapshot_after_bytes: u64,

    /// Serve HTTPS: on --listen-tls when given (--listen stays plain HTTP), else on --listen. Without
    /// --tls-cert the emulator generates a local CA and a server certificate for localhost,
    /// 127.0.0.1, ::1, vpc.aliyuncs.com and vpc.<region>.aliyuncs.com (kept in <data-dir>/tls).
    #[arg(long, env = "NAT_EMULATOR_TLS")]
    pub tls: bool,

    /// A second address serving HTTPS beside --listen's plain HTTP (implies --tls).
    #[arg(long, env = "NAT_EMULATOR_LISTEN_TLS", value_name = "ADDR")]
    pub listen_tls: Option<SocketAddr>,

    /// The server certificate chain to serve (PEM) instead of a generated one; needs --tls-key.
    #[arg(long, env = "NAT_EMULATOR_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "NAT_EMULATOR_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// One more name (DNS name or IP address) for the generated server certificate; repeatable
    /// (in the variable, separate names with `,`).
    #[arg(long, env = "NAT_EMULATOR_TLS_NAME", value_name = "NAME", value_delimiter = ',')]
    pub tls_name: Vec<String>,

    /// Write the generated CA certificate (PEM) to this file at start, for clients to trust.
    #[arg(long, env = "NAT_EMULATOR_TLS_CA_OUT", value_name = "FILE")]
    pub tls_ca_out: Option<PathBuf>,

    /// Refuse (400 InvalidParameter) any parameter an action does not know, instead of accepting
    /// it and reporting it in GET /_emulator/coverage.
    #[arg(long, env = "NAT_EMULATOR_STRICT_PARAMS")]
    pub strict_params: bool,

    /// Largest total of a request's header fields (names and values) in bytes; larger get 431
    /// RequestHeaderFieldsTooLarge (0: only hyper's own limit, about 408 KiB or 100 fields).
    #[arg(long, env = "NAT_EMULATOR_MAX_HEADER_BYTES", default_value_t = 64 * 1024)]
    pub max_header_bytes: usize,

    /// How long a client may take to send a request head, and then its body, in milliseconds;
    /// slower clients get 408 RequestTimeout and are disconnected (0: no limit).
    #[arg(long, env = "NAT_EMULATOR_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,

    /// Connections served at once, per listener; one more is answered 400 Throttling and closed
    /// (0: no limit).
    #[arg(long, env = "NAT_EMULATOR_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,

    /// The control plane (/_emulator/*): `off` makes every /_emulator/ path except
    /// /_emulator/health answer like an unknown RPC path (404 InvalidAction.NotFound).
    #[arg(long, env = "NAT_EMULATOR_CONTROL", value_enum, default_value_t = ControlMode::On)]
    pub control: ControlMode,

    /// Serve the control plane on this address (plain HTTP) instead of --listen, which then keeps
    /// only /_emulator/health (e.g. --listen 0.0.0.0:8080 --control-listen 127.0.0.1:8081).
    #[arg(long, env = "NAT_EMULATOR_CONTROL_LISTEN", value_name = "ADDR")]
    pub control_listen: Option<SocketAddr>,
}

/// `--control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ControlMode {
    /// The control plane answers under /_emulator/ (on --control-listen when given).
    On,
    /// No control plane; /_emulator/health only.
    Off,
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
            legacy_bandwidth_packages: Switch::On,
            init: None,
            journal_size: 1000,
            fault_report_size: 1000,
            data_dir: None,
            sync: SyncMode::Always,
            repair: false,
            snapshot_after_bytes: 16 << 20,
            tls: false,
            listen_tls: None,
            tls_cert: None,
            tls_key: None,
            tls_name: vec![],
            tls_ca_out: None,
            strict_params: false,
            max_header_bytes: 64 * 1024,
            request_timeout_ms: 30_000,
            max_connections: 512,
            control: ControlMode::On,
            control_listen: None,
        }
    }

    /// Whether any listener speaks HTTPS (`--tls` or `--listen-tls`).
    pub fn serves_tls(&self) -> bool {
        self.tls || self.listen_tls.is_some()
    }

    /// Whether the `--listen` address itself speaks HTTPS (`--tls` without `--listen-tls`).
    pub fn listen_is_tls(&self) -> bool {
        self.tls && self.listen_tls.is_none()
    }
}
