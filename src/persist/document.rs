//! The state document: everything the emulator's state is, as one JSON document — the body of
//! snapshot files, of `GET /_emulator/state/export` / `POST /_emulator/state/import`, and of named
//! snapshots.
//!
//! ```json
//! {"format": "aliyun-nat-emulator/state", "version": 1, "seq": 42,
//!  "clock": {"frozen": false, "virtual_ms": …, "offset_ms": 0}, "seed": 7,
//!  "settings": {"delays": {…}, "quotas": {…}},
//!  "accounts": [{"access_key_id": "testid", "access_key_secret": "…", "account_id": …, "name": …}],
//!  "states": [AccountState, …], "pools": {"cn-hangzhou": 12, …}}
//! ```
//! `states` are the accounts' whole states (resources, pending transitions, ClientTokens, id
//! generators), in `accounts` order; `pools` the EIP pools' allocation cursors (which addresses are
//! taken is rebuilt from the states). Equal states give byte-identical documents. The document
//! holds the accounts' secrets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::{App, Settings};
use crate::clock::ClockState;
use crate::model::eip::{IpPool, Pools};
use crate::store::AccountState;
use crate::world::AccountSpec;

pub const FORMAT: &str = "aliyun-nat-emulator/state";
pub const VERSION: u32 = 1;

/// An account's keys and settings (an `AccountSpec` that serializes, secret included).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDoc {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub account_id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_bandwidth_packages: Option<bool>,
}

impl std::fmt::Debug for AccountDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountDoc").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

impl AccountDoc {
    fn from_spec(s: &AccountSpec) -> AccountDoc {
        AccountDoc {
            access_key_id: s.access_key_id.clone(),
            access_key_secret: s.access_key_secret.clone(),
            account_id: s.account_id,
            name: s.name.clone(),
            legacy_bandwidth_packages: s.legacy_bandwidth_packages,
        }
    }

    fn to_spec(&self) -> AccountSpec {
        AccountSpec {
            access_key_id: self.access_key_id.clone(),
            access_key_secret: self.access_key_secret.clone(),
            account_id: self.account_id,
            name: self.name.clone(),
            legacy_bandwidth_packages: self.legacy_bandwidth_packages,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Document {
    pub format: String,
    pub version: u32,
    /// The last journal record the document holds (0 without a data directory).
    pub seq: u64,
    pub clock: ClockState,
    pub seed: u64,
    pub settings: Settings,
    pub accounts: Vec<AccountDoc>,
    pub states: Vec<AccountState>,
    /// Each region's EIP pool cursor.
    pub pools: BTreeMap<String, u64>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("seq", &self.seq)
            .field("accounts", &self.accounts)
            .field("pools", &self.pools)
            .finish_non_exhaustive()
    }
}

/// The document of the running emulator, from one consistent moment: every account's read lock
/// held together while copying (and the pools read under them), the transitions due at that
/// moment applied to the copies. The caller holds the order of writes when `seq` must match.
pub fn capture(app: &App, seq: u64) -> Document {
    let accounts = app.store.accounts();
    let guards: Vec<_> = accounts.iter().map(|a| a.state.read()).collect();
    // Read after the locks are held: any later write reads a later time (the clock never goes back).
    let clock = app.clock.state();
    let now = app.clock.now_ms();
    let mut states: Vec<AccountState> = guards.iter().map(|g| (**g).clone()).collect();
    let pools: BTreeMap<String, u64> = app.store.pools.lock().iter().map(|(r, p)| (r.clone(), p.cursor())).collect();
    drop(guards);
    for s in &mut states {
        s.settle(now);
    }
    Document {
        format: FORMAT.into(),
        version: VERSION,
        seq,
        clock,
        seed: app.store.seed(),
        settings: *app.settings.read(),
        accounts: accounts.iter().map(|a| AccountDoc::from_spec(&a.spec)).collect(),
        states,
        pools,
    }
}

pub fn to_bytes(doc: &Document) -> Vec<u8> {
    // A document is plain data (maps keyed by strings): serializing it cannot fail.
    serde_json::to_vec(doc).unwrap_or_default()
}

/// Reads a document, checking its format and version first (so that a document of a later
/// release says so instead of failing on some field).
pub fn parse(bytes: &[u8]) -> Result<Document, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not a JSON state document: {e}"))?;
    from_value(v)
}

pub fn from_value(v: Value) -> Result<Document, String> {
    let format = v.get("format").and_then(Value::as_str);
    if format != Some(FORMAT) {
        return Err(format!(
            "not a state document: \"format\" must be {FORMAT:?} (GET /_emulator/state/export writes one)"
        ));
    }
    match v.get("version").and_then(Value::as_u64) {
        Some(n) if n == VERSION as u64 => {}
        Some(n) => {
            return Err(format!(
                "state document version {n}; this emulator reads version {VERSION}: use the release that wrote it, or a newer emulator"
            ))
        }
        None => return Err("a state document needs a \"version\"".into()),
    }
    serde_json::from_value(v).map_err(|e| format!("malformed state document: {e}"))
}

/// Reads the seq of a snapshot body without reading the whole document.
pub fn seq_of(bytes: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct Head {
        format: String,
        seq: u64,
    }
    serde_json::from_slice::<Head>(bytes).ok().filter(|h| h.format == FORMAT).map(|h| h.seq)
}

/// Checks a document against the running world and builds what it restores to: the accounts and
/// the pools. Nothing is changed yet.
fn prepare(app: &App, doc: &Document) -> Result<(Vec<(AccountSpec, AccountState)>, Pools), String> {
    let world = &app.store.world;
    if doc.accounts.len() != doc.states.len() {
        return Err(format!("{} accounts but {} states", doc.accounts.len(), doc.states.len()));
    }
    if doc.accounts.is_empty() {
        return Err("a state document needs at least one account".into());
    }
    let mut seen = std::collections::HashSet::new();
    for (a, s) in doc.accounts.iter().zip(&doc.states) {
        if a.access_key_id.is_empty() || a.access_key_secret.is_empty() {
            return Err("every account needs an access_key_id and an access_key_secret".into());
        }
        if !seen.insert(a.access_key_id.as_str()) {
            return Err(format!("account {:?} is listed twice", a.access_key_id));
        }
        if s.access_key_id != a.access_key_id {
            return Err(format!(
                "states[{}] belongs to {:?}, not to {:?} (states follow the order of accounts)",
                seen.len() - 1,
                s.access_key_id,
                a.access_key_id
            ));
        }
        for region in s.regions.keys() {
            if world.region(region).is_none() {
                return Err(format!(
                    "account {:?} has region {region:?}, which this emulator's world does not have",
                    a.access_key_id
                ));
            }
        }
    }
    for region in doc.pools.keys() {
        if world.region(region).is_none() {
            return Err(format!("pools: region {region:?} is not in this emulator's world"));
        }
    }
    let mut pools: Pools =
        world.regions.iter().map(|r| (r.region_id.clone(), IpPool::new(r.eip_pool.clone()))).collect();
    let mut owner: BTreeMap<(String, std::net::Ipv4Addr), String> = BTreeMap::new();
    for s in &doc.states {
        for (region, rs) in &s.regions {
            let ips = rs
                .eips
                .values()
                .map(|e| (e.ip, e.id.clone()))
                .chain(rs.bandwidth_packages.values().flat_map(|p| p.ips.iter().map(|i| (i.ip, p.id.clone()))));
            for (ip, id) in ips {
                if let Some(other) = owner.insert((region.clone(), ip), id.clone()) {
                    return Err(format!("address {ip} in {region} is held by both {other} and {id}"));
                }
                if let Some(pool) = pools.get_mut(region) {
                    // An address outside the pool (a pool changed by --eip-pool) stays with its owner
                    // and is simply not handed out by the pool.
                    pool.take(Some(ip));
                }
            }
        }
    }
    for (region, cursor) in &doc.pools {
        if let Some(pool) = pools.get_mut(region) {
            pool.set_cursor(*cursor);
        }
    }
    let accounts = doc.accounts.iter().map(AccountDoc::to_spec).zip(doc.states.iter().cloned()).collect();
    Ok((accounts, pools))
}

/// Replaces the whole state with the document's (validated first: nothing changes when it is
/// refused). The caller holds the order of writes.
pub fn restore(app: &App, doc: &Document) -> Result<(), String> {
    let (accounts, pools) = prepare(app, doc)?;
    *app.settings.write() = doc.settings;
    app.set_seed(doc.seed);
    app.store.restore_accounts(doc.seed, accounts, pools);
    app.clock.restore(doc.clock);
    Ok(())
}
