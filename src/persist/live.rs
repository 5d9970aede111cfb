//! Persistence in a running emulator: the global order of state changes, the journal records of
//! actions and control ops, recovery (snapshot + replay through the live code), snapshots and
//! compaction, named snapshots.
//!
//! Every state change takes [`Persistence::order`] before any account lock: control ops always,
//! RPC writes only with a data directory (without one, the hot path is as it was). With a data
//! directory a write runs its handler, appends its record while still holding the order, and the
//! answer waits for the record to be durable (`--sync always`). A failed handler changed nothing
//! and is not journaled. A journal that cannot be written stops every later write (503
//! `ServiceUnavailable`) until a restart: nothing is ever acknowledged that is not journaled.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::document::{self, Document};
use super::{read_snapshot_file, write_snapshot_file, DataDir, FormatError, Journal, SyncMode};
use crate::app::{App, Settings};
use crate::clock::{ClockState, Millis};
use crate::control::ops::{self, ControlOp};
use crate::dispatch;
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{Ctx, Delays, Quotas};

/// Named snapshots kept without a data directory.
pub const MAX_MEMORY_SNAPSHOTS: usize = 64;

/// Whether a parameter goes into a journal record: not the protocol parameters (they
/// authenticate a request, they do not describe it; owner parameters are ignored by every action),
/// nor a bearer token.
fn journaled(name: &str) -> bool {
    !crate::params::PROTOCOL_PARAMS.contains(&name) && name != "BearerToken"
}

/// The journal record of an RPC write.
#[derive(Debug, Serialize, Deserialize)]
pub struct ActionRecord {
    pub seq: u64,
    pub op: String,
    pub account: String,
    pub action: String,
    /// Business parameters (ClientToken included).
    pub params: Map<String, Value>,
    /// The handler's clock reading.
    pub now: Millis,
    /// Only when the write ran with other delays than the settings (init data runs with none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delays: Option<Delays>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quotas: Option<Quotas>,
}

/// A data directory in use.
pub struct Disk {
    pub dir: DataDir,
    pub journal: Arc<Journal>,
    pub snapshot_after_bytes: u64,
    syncer: Arc<Syncer>,
    compacting: AtomicBool,
}

/// How far the journal is durable, as the syncer thread publishes it.
#[derive(Debug, Clone, Copy, Default)]
struct Durable {
    seq: u64,
    failed: bool,
}

/// Group commit: one thread fsyncs the journal — when an answer waits for it (`--sync always`) or
/// every 20 ms (`--sync batch`) — and publishes how far it is durable; every waiting answer is
/// released by the one fsync that covers its record, with no thread per waiter.
struct Syncer {
    pending: Mutex<bool>,
    wake: Condvar,
    durable: tokio::sync::watch::Sender<Durable>,
    /// Why writes are refused (a journal or snapshot write failed).
    failed: Mutex<Option<String>>,
}

impl Syncer {
    fn kick(&self) {
        *self.pending.lock() = true;
        self.wake.notify_one();
    }

    fn fail(&self, path: &Path, why: String) {
        tracing::error!(
            target: "persist",
            path = %path.display(),
            "PERSISTENCE FAILED: {why}. The state in memory may hold a change that is not on disk; every write is refused (503 ServiceUnavailable) until the emulator restarts from its data directory"
        );
        let mut f = self.failed.lock();
        if f.is_none() {
            *f = Some(why);
        }
        drop(f);
        self.durable.send_modify(|d| d.failed = true);
    }

    /// The thread: it stops once the journal is gone.
    fn run(self: Arc<Self>, journal: Weak<Journal>, dir: PathBuf, mode: SyncMode) {
        loop {
            {
                let mut pending = self.pending.lock();
                if mode == SyncMode::Batch {
                    self.wake.wait_for(&mut pending, Duration::from_millis(20));
                } else {
                    while !*pending {
                        if self.wake.wait_for(&mut pending, Duration::from_millis(200)).timed_out()
                            && journal.strong_count() == 0
                        {
                            return;
                        }
                    }
                }
                *pending = false;
            }
            let Some(j) = journal.upgrade() else { return };
            if self.failed.lock().is_some() {
                continue;
            }
            if j.last_seq() > j.durable_seq() {
                if let Err(e) = j.sync() {
                    self.fail(&dir, format!("cannot fsync {}: {e}", j.path().display()));
                    continue;
                }
            }
            let seq = j.durable_seq();
            self.durable.send_modify(|d| d.seq = d.seq.max(seq));
        }
    }
}

impl Disk {
    /// `ServiceUnavailable` once the journal has failed.
    pub fn check(&self) -> Result<(), ApiError> {
        match &*self.syncer.failed.lock() {
            None => Ok(()),
            Some(why) => Err(ApiError::ServiceUnavailable(why.clone())),
        }
    }

    pub fn failure(&self) -> Option<String> {
        self.syncer.failed.lock().clone()
    }

    /// Stops every later write until a restart.
    pub fn fail(&self, why: String) {
        self.syncer.fail(&self.dir.path, why);
    }

    /// Appends the record of a successful RPC write (the caller holds the order and the account).
    pub fn append_action(
        &self,
        account: &str,
        action: &str,
        params: &Params,
        ctx: &Ctx<'_>,
        settings: &Settings,
    ) -> Result<u64, ApiError> {
        let kept: Map<String, Value> = params
            .iter()
            .filter(|(k, _)| journaled(k))
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect();
        let result = self.journal.append(|seq| {
            let r = ActionRecord {
                seq,
                op: "action".into(),
                account: account.to_owned(),
                action: action.to_owned(),
                params: kept,
                now: ctx.now,
                delays: (ctx.delays != settings.delays).then_some(ctx.delays),
                quotas: (ctx.quotas != settings.quotas).then_some(ctx.quotas),
            };
            serde_json::to_vec(&r).unwrap_or_default()
        });
        result.map_err(|e| {
            self.fail(format!("cannot append to {}: {e}", self.journal.path().display()));
            ApiError::InternalError("the journal could not be written".into())
        })
    }

    /// Appends the record of a control op, with the clock as it stands after it.
    fn append_control(&self, op: &ControlOp, clock: ClockState) -> Result<u64, String> {
        let result = self.journal.append(|seq| {
            let mut v = serde_json::to_value(op).unwrap_or_default();
            if let Value::Object(m) = &mut v {
                m.insert("seq".into(), seq.into());
                m.insert("clock".into(), serde_json::to_value(clock).unwrap_or_default());
            }
            serde_json::to_vec(&v).unwrap_or_default()
        });
        result.map_err(|e| {
            let why = format!("cannot append to {}: {e}", self.journal.path().display());
            self.fail(why.clone());
            why
        })
    }

    fn needs_compaction(&self) -> bool {
        self.journal.len() > self.snapshot_after_bytes && !self.compacting.load(Ordering::Acquire)
    }
}

/// The order of state changes, the data directory (if any) and the named snapshots.
pub struct Persistence {
    /// Taken before any account lock by everything that changes state (RPC writes only with a data
    /// directory). Never held across an await.
    order: Mutex<()>,
    disk: OnceLock<Disk>,
    sync: SyncMode,
    /// Named snapshots without a data directory: name → (document, when).
    named: Mutex<BTreeMap<String, (Vec<u8>, Millis)>>,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence::memory()
    }
}

/// A named snapshot, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct NamedInfo {
    pub name: String,
    pub bytes: u64,
    pub created_ms: Millis,
}

impl Persistence {
    pub fn memory() -> Persistence {
        Persistence {
            order: Mutex::new(()),
            disk: OnceLock::new(),
            sync: SyncMode::Always,
            named: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn disk(&self) -> Option<&Disk> {
        self.disk.get()
    }

    /// The order of state changes (see the module comment).
    pub fn order(&self) -> MutexGuard<'_, ()> {
        self.order.lock()
    }

    pub fn sync_mode(&self) -> Option<SyncMode> {
        self.disk().map(|_| self.sync)
    }

    /// The last journal seq (0 without a data directory).
    pub fn seq(&self) -> u64 {
        self.disk().map_or(0, |d| d.journal.last_seq())
    }

    /// With `--sync always`, waits until `seq` is durable (the sync thread's next fsync covers it,
    /// shared with every other waiting answer); then starts a compaction in the background if the
    /// journal has grown past its limit. An fsync failure stops later writes and answers
    /// `InternalError`.
    pub async fn acknowledge(app: &Arc<App>, seq: u64) -> Result<(), ApiError> {
        let Some(disk) = app.persist.disk() else { return Ok(()) };
        if app.persist.sync == SyncMode::Always {
            let mut rx = disk.syncer.durable.subscribe();
            if rx.borrow().seq < seq {
                disk.syncer.kick();
                let ok = match rx.wait_for(|d| d.seq >= seq || d.failed).await {
                    Ok(d) => d.seq >= seq,
                    Err(_) => false,
                };
                if !ok {
                    return Err(ApiError::InternalError("the journal could not be made durable".into()));
                }
            }
        }
        if disk.needs_compaction() && !disk.compacting.swap(true, Ordering::AcqRel) {
            let app = app.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = app.persist.snapshot(&app) {
                    tracing::error!(target: "persist", error = %e, "automatic snapshot failed");
                }
                if let Some(d) = app.persist.disk() {
                    d.compacting.store(false, Ordering::Release);
                }
            });
        }
        Ok(())
    }

    /// Writes a snapshot of the whole state and empties the journal (under the order of writes).
    /// Returns the snapshot's seq and size.
    pub fn snapshot(&self, app: &App) -> Result<(u64, u64), String> {
        let Some(disk) = self.disk() else {
            return Err("no --data-dir: nothing to compact (named snapshots work without one)".into());
        };
        let _order = self.order();
        disk.check().map_err(|e| e.to_string())?;
        Self::compact_locked(app, disk)
    }

    fn compact_locked(app: &App, disk: &Disk) -> Result<(u64, u64), String> {
        let seq = disk.journal.last_seq();
        let body = document::to_bytes(&document::capture(app, seq));
        let path = disk.dir.snapshot_path();
        // A failed snapshot write leaves the previous snapshot and the journal as they were.
        write_snapshot_file(&path, &body).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        if let Err(e) = disk.journal.reset(seq) {
            let why = format!("cannot reset {} after a snapshot: {e}", disk.journal.path().display());
            disk.fail(why.clone());
            return Err(why);
        }
        tracing::info!(target: "persist", seq, bytes = body.len(), "snapshot written, journal emptied");
        Ok((seq, body.len() as u64))
    }

    /// Applies a control op under the order of writes and journals it; the caller makes it durable
    /// with [`Persistence::acknowledge`] (an import is made durable by a snapshot at once).
    pub fn control(&self, app: &App, op: ControlOp) -> Result<(Value, Option<u64>), ops::Refused> {
        let _order = self.order();
        let disk = self.disk();
        if let Some(d) = disk {
            d.check().map_err(|e| ops::Refused(axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        }
        let is_import = matches!(op, ControlOp::Import { .. });
        let value = {
            let _guard = FailOnPanic(disk);
            ops::execute(app, &op)?
        };
        let Some(d) = disk else { return Ok((value, None)) };
        if is_import {
            // The whole world changed: a snapshot holds it (a journal record could be huge).
            return match Self::compact_locked(app, d) {
                Ok(_) => Ok((value, None)),
                Err(e) => {
                    d.fail(e.clone());
                    Err(ops::Refused(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e))
                }
            };
        }
        let seq = d
            .append_control(&op, app.clock.state())
            .map_err(|e| ops::Refused(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e))?;
        Ok((value, Some(seq)))
    }

    /// The current state as a document (under the order of writes, so its seq is exact).
    pub fn export(&self, app: &App) -> Document {
        let _order = self.order();
        document::capture(app, self.seq())
    }

    fn check_name(name: &str) -> Result<(), String> {
        let ok = !name.is_empty()
            && name.len() <= 100
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            && !name.starts_with('.');
        if ok {
            Ok(())
        } else {
            Err(format!("bad snapshot name {name:?}: 1-100 of A-Z a-z 0-9 - _ . (not starting with .)"))
        }
    }

    /// Saves the current state under `name` (replacing a snapshot of that name).
    pub fn save_named(&self, app: &App, name: &str) -> Result<NamedInfo, (u16, String)> {
        Self::check_name(name).map_err(|e| (400, e))?;
        let doc = self.export(app);
        let body = document::to_bytes(&doc);
        let created_ms = crate::clock::wall_ms();
        match self.disk() {
            Some(d) => {
                let path =
                    d.dir.named_snapshot_path(name).ok_or_else(|| (400, format!("bad snapshot name {name:?}")))?;
                write_snapshot_file(&path, &body)
                    .map_err(|e| (500, format!("cannot write {}: {e}", path.display())))?;
            }
            None => {
                let mut named = self.named.lock();
                if named.len() >= MAX_MEMORY_SNAPSHOTS && !named.contains_key(name) {
                    return Err((
                        409,
                        format!(
                            "{MAX_MEMORY_SNAPSHOTS} named snapshots are kept without --data-dir; delete one first (DELETE /_emulator/snapshots/{{name}})"
                        ),
                    ));
                }
                named.insert(name.to_owned(), (body.clone(), created_ms));
            }
        }
        Ok(NamedInfo { name: name.to_owned(), bytes: body.len() as u64, created_ms })
    }

    /// A named snapshot's document.
    pub fn load_named(&self, name: &str) -> Result<Document, (u16, String)> {
        Self::check_name(name).map_err(|e| (400, e))?;
        let body = match self.disk() {
            Some(d) => {
                let path =
                    d.dir.named_snapshot_path(name).ok_or_else(|| (400, format!("bad snapshot name {name:?}")))?;
                read_snapshot_file(&path).map_err(|e| (500, e.to_string()))?
            }
            None => self.named.lock().get(name).map(|(b, _)| b.clone()),
        };
        let body =
            body.ok_or_else(|| (404, format!("no snapshot named {name:?} (GET /_emulator/snapshots lists them)")))?;
        document::parse(&body).map_err(|e| (500, format!("snapshot {name:?}: {e}")))
    }

    pub fn delete_named(&self, name: &str) -> Result<(), (u16, String)> {
        Self::check_name(name).map_err(|e| (400, e))?;
        let found = match self.disk() {
            Some(d) => {
                let path =
                    d.dir.named_snapshot_path(name).ok_or_else(|| (400, format!("bad snapshot name {name:?}")))?;
                match std::fs::remove_file(&path) {
                    Ok(()) => true,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                    Err(e) => return Err((500, format!("cannot remove {}: {e}", path.display()))),
                }
            }
            None => self.named.lock().remove(name).is_some(),
        };
        if found {
            Ok(())
        } else {
            Err((404, format!("no snapshot named {name:?}")))
        }
    }

    pub fn list_named(&self) -> Vec<NamedInfo> {
        match self.disk() {
            Some(d) => {
                let mut v = Vec::new();
                let Ok(entries) = std::fs::read_dir(d.dir.path.join("snapshots")) else { return v };
                for e in entries.flatten() {
                    let file = e.file_name().to_string_lossy().into_owned();
                    let Some(name) = file.strip_suffix(".bin") else { continue };
                    if Self::check_name(name).is_err() {
                        continue;
                    }
                    let meta = e.metadata().ok();
                    let created_ms = meta
                        .as_ref()
                        .and_then(|m| m.modified().ok())
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_millis() as u64);
                    v.push(NamedInfo { name: name.to_owned(), bytes: meta.map_or(0, |m| m.len()), created_ms });
                }
                v.sort_by(|a, b| a.name.cmp(&b.name));
                v
            }
            None => self
                .named
                .lock()
                .iter()
                .map(|(n, (b, at))| NamedInfo { name: n.clone(), bytes: b.len() as u64, created_ms: *at })
                .collect(),
        }
    }
}

/// Marks persistence failed if a handler panics between changing memory and journaling it.
pub struct FailOnPanic<'a>(pub Option<&'a Disk>);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if let (Some(d), true) = (self.0, std::thread::panicking()) {
            d.fail("a request handler panicked (a bug) while changing the state".into());
        }
    }
}

/// What a start with `--data-dir` found, ready to apply to a new `App`.
pub struct Opened {
    dir: DataDir,
    recovered: super::Recovered,
    sync: SyncMode,
    repair: bool,
    snapshot_after_bytes: u64,
}

/// Opens and reads a data directory (locking it). Nothing is applied yet.
pub fn open(path: &Path, sync: SyncMode, repair: bool, snapshot_after_bytes: u64) -> Result<Opened, FormatError> {
    let dir = DataDir::open(path)?;
    let recovered = dir.recover(sync, repair, document::seq_of)?;
    Ok(Opened { dir, recovered, sync, repair, snapshot_after_bytes })
}

impl Opened {
    /// Whether the directory holds no state yet (a first start).
    pub fn is_fresh(&self) -> bool {
        self.recovered.snapshot.is_none()
    }

    /// Restores the snapshot and replays the journal into `app` (which must not be serving yet),
    /// then starts journaling. A fresh directory gets a snapshot of `app` as it is (after `--init`).
    pub fn apply(self, app: &App) -> Result<(), String> {
        let Opened { dir, recovered, sync, repair, snapshot_after_bytes } = self;
        let super::Recovered { snapshot, mut records, mut warnings, mut compact, journal } = recovered;
        if snapshot.is_none() && !records.is_empty() {
            let msg = format!(
                "{} has {} records but {} is missing: they cannot be applied to anything known",
                journal.path().display(),
                records.len(),
                dir.snapshot_path().display()
            );
            if !repair {
                return Err(format!("{msg}; start with --repair to start from the world file (the records are lost)"));
            }
            warnings.push(format!("--repair: {msg}; starting from the world file, the records are dropped"));
            records.clear();
            compact = true;
        }
        for w in &warnings {
            tracing::warn!(target: "persist", "{w}");
        }
        let fresh = snapshot.is_none();
        if let Some(body) = &snapshot {
            let doc = document::parse(body).map_err(|e| format!("{}: {e}", dir.snapshot_path().display()))?;
            document::restore(app, &doc).map_err(|e| format!("{}: {e}", dir.snapshot_path().display()))?;
        }
        let n = records.len();
        for (i, r) in records.iter().enumerate() {
            if let Err(e) = replay(app, r) {
                let msg = format!("{}: record {} of {n} cannot be replayed ({e})", journal.path().display(), i + 1);
                if !repair {
                    return Err(format!(
                        "{msg}; this is a bug — keep a copy of the directory for a report; --repair keeps the {i} records before it"
                    ));
                }
                tracing::warn!(target: "persist", "--repair: {msg}; kept the {i} records before it, dropped {}", n - i);
                compact = true;
                break;
            }
        }
        // RequestIds are not state: a restart continues with a fresh sequence.
        app.request_ids.reseed(crate::ids::splitmix64(app.seed() ^ crate::clock::wall_ms()));
        let journal = Arc::new(journal);
        let (durable, _) = tokio::sync::watch::channel(Durable { seq: journal.last_seq(), failed: false });
        let syncer =
            Arc::new(Syncer { pending: Mutex::new(false), wake: Condvar::new(), durable, failed: Mutex::new(None) });
        if sync != SyncMode::Never {
            let (s, j, d) = (syncer.clone(), Arc::downgrade(&journal), dir.path.clone());
            std::thread::Builder::new()
                .name("journal-sync".into())
                .spawn(move || s.run(j, d, sync))
                .map_err(|e| format!("cannot start the journal's sync thread: {e}"))?;
        }
        let disk = Disk { dir, journal, snapshot_after_bytes, syncer, compacting: AtomicBool::new(false) };
        let seq = disk.journal.last_seq();
        let path = disk.dir.path.display().to_string();
        let set = app.persist.disk.set(disk);
        let persist = &app.persist;
        let Some(disk) = persist.disk().filter(|_| set.is_ok()) else {
            return Err("persistence was already started".into());
        };
        if fresh || compact {
            let _order = persist.order();
            Persistence::compact_locked(app, disk)?;
        }
        tracing::info!(
            target: "persist",
            data_dir = %path,
            sync = ?sync,
            replayed = n,
            seq,
            fresh,
            "state {}",
            if fresh { "starts empty (a new data directory)" } else { "recovered" }
        );
        Ok(())
    }
}

impl Persistence {
    /// A persistence whose writes follow `sync` (set before `Opened::apply`).
    pub fn with_sync(sync: SyncMode) -> Persistence {
        Persistence { sync, ..Persistence::memory() }
    }
}

/// Applies one journal record through the live code: `dispatch::execute` for an action (at its
/// recorded time), `ops::execute` for a control op (then the clock as recorded).
pub fn replay(app: &App, record: &[u8]) -> Result<(), String> {
    let v: Value = serde_json::from_slice(record).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("op").and_then(Value::as_str) == Some("action") {
        let r: ActionRecord = serde_json::from_value(v).map_err(|e| format!("malformed action record: {e}"))?;
        let def = dispatch::find(&r.action).ok_or_else(|| format!("unknown action {:?}", r.action))?;
        let account = app.store.account(&r.account).ok_or_else(|| format!("unknown account {:?}", r.account))?;
        let params =
            Params::from_pairs(r.params.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())));
        let settings = *app.settings.read();
        let ctx = Ctx {
            now: r.now,
            world: &app.store.world,
            delays: r.delays.unwrap_or(settings.delays),
            quotas: r.quotas.unwrap_or(settings.quotas),
            pools: &app.store.pools,
        };
        dispatch::execute(def, &account, &params, &ctx)
            .map_err(|e| format!("seq {}: {} failed with {} {}", r.seq, r.action, e.code(), e.message()))?;
        app.clock.not_before(r.now);
        return Ok(());
    }
    let clock: Option<ClockState> = v.get("clock").and_then(|c| serde_json::from_value(c.clone()).ok());
    let op: ControlOp = serde_json::from_value(v).map_err(|e| format!("malformed control record: {e}"))?;
    ops::execute(app, &op).map_err(|e| format!("{op:?} refused: {}", e.1))?;
    if let Some(c) = clock {
        app.clock.restore(c);
    }
    Ok(())
}
