//! The running emulator's shared state: the store, the clock, the nonce cache, the settings, the
//! request journal and the fault rules. Built once from the configuration (and the `--init` file);
//! handed to `wire` and `control` behind an `Arc`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::RwLock;

use crate::clock::Clock;
use crate::config::{AuthMode, ServeArgs};
use crate::faults::Faults;
use crate::ids::RequestIds;
use crate::journal::Journal;
use crate::store::{Delays, Quotas, Store};
use crate::wire::auth::NonceCache;
use crate::wire::encoding::Limits;
use crate::world::World;

/// Settings that may change while the emulator runs (`GET/POST /_emulator/config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    pub delays: Delays,
    pub quotas: Quotas,
}

pub struct App {
    pub store: Store,
    pub clock: Clock,
    pub nonces: NonceCache,
    pub request_ids: RequestIds,
    pub settings: RwLock<Settings>,
    pub auth_strict: bool,
    pub limits: Limits,
    pub max_body_bytes: usize,
    pub started: Instant,
    /// The seed of ids and RequestIds (`--seed`, `POST /_emulator/seed`).
    seed: AtomicU64,
    /// Recent requests (`GET /_emulator/requests`).
    pub journal: Journal,
    /// Fault rules and their report (`/_emulator/faults`).
    pub faults: Faults,
    /// The drift report (`GET /_emulator/coverage`) and `--strict-params`.
    pub coverage: crate::coverage::Coverage,
    /// HTTPS (`--tls`, `--listen-tls`): the server configuration and the CA to trust.
    pub tls: Option<crate::tls::Tls>,
    /// The order of state changes, the data directory (`--data-dir`) and named snapshots.
    pub persist: crate::persist::live::Persistence,
    /// Connection and request limits, and where the control plane is served (issue 11).
    pub net: crate::wire::limits::NetLimits,
}

impl App {
    /// Builds the emulator from its configuration (reads the world file if one is given).
    pub fn new(args: &ServeArgs) -> Result<Arc<App>, String> {
        let mut world = match &args.world {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                World::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => World::default_world()?,
        };
        for spec in &args.eip_pool {
            world.set_eip_pool(spec)?;
        }
        world.legacy_bandwidth_packages = args.legacy_bandwidth_packages == crate::config::Switch::On;
        let seed =
            args.seed.unwrap_or_else(|| crate::ids::splitmix64(crate::clock::wall_ms() ^ std::process::id() as u64));
        // --data-dir: locked and read now (a second process refuses to start); applied below.
        let opened = match &args.data_dir {
            Some(dir) => Some(
                crate::persist::live::open(dir, args.sync, args.repair, args.snapshot_after_bytes)
                    .map_err(|e| format!("--data-dir {}: {e}", dir.display()))?,
            ),
            None => None,
        };
        // After the data dir's lock: its tls/ folder is this process's alone.
        let tls = crate::tls::Tls::from_args(args, &world, args.data_dir.as_deref())?;
        let app = Arc::new(App {
            store: Store::new(Arc::new(world), seed),
            clock: Clock::new(),
            nonces: NonceCache::new(args.nonce_capacity),
            request_ids: RequestIds::new(seed),
            settings: RwLock::new(Settings {
                delays: Delays::uniform(args.transition_delay_ms),
                quotas: Quotas::default(),
            }),
            auth_strict: args.auth == AuthMode::Strict,
            limits: Limits { max_params: args.max_params, max_value_bytes: args.max_value_bytes },
            max_body_bytes: args.max_body_bytes,
            started: Instant::now(),
            seed: AtomicU64::new(seed),
            journal: Journal::new(args.journal_size),
            faults: Faults::new(args.fault_report_size),
            coverage: crate::coverage::Coverage::new(args.strict_params),
            tls,
            persist: crate::persist::live::Persistence::with_sync(args.sync),
            net: crate::wire::limits::NetLimits::from_args(args),
        });
        // With a data directory that holds state already, that state wins over --init.
        let fresh = opened.as_ref().is_none_or(|o| o.is_fresh());
        if let (Some(path), false) = (&args.init, fresh) {
            tracing::info!("--init {}: skipped, the data directory holds state already", path.display());
        }
        if let Some(path) = args.init.as_ref().filter(|_| fresh) {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("--init: cannot read {}: {e}", path.display()))?;
            let doc = crate::init::parse(&text, &path.display().to_string())
                .map_err(|e| format!("--init {}: {e}", path.display()))?;
            crate::init::apply(&app, &doc).map_err(|e| format!("--init {}: {e}", path.display()))?;
        }
        if let (Some(opened), Some(dir)) = (opened, &args.data_dir) {
            opened.apply(&app).map_err(|e| format!("--data-dir {}: {e}", dir.display()))?;
        }
        Ok(app)
    }

    pub fn seed(&self) -> u64 {
        self.seed.load(Ordering::SeqCst)
    }

    /// Records the seed without restarting the generators (a restored state brings its own).
    pub fn set_seed(&self, seed: u64) {
        self.seed.store(seed, Ordering::SeqCst);
    }

    /// Restarts every id generator (resources and RequestIds) from `seed`.
    pub fn reseed(&self, seed: u64) {
        self.seed.store(seed, Ordering::SeqCst);
        self.store.reseed(seed);
        self.request_ids.reseed(seed);
    }

    /// Microseconds since the emulator started (monotonic; for durations and backoffs).
    pub fn mono_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }
}
