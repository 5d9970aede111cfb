//! The drift report behind `GET /_emulator/coverage`: what clients send that the emulator does not
//! model. Like the real gateway, the emulator accepts a signed request with parameters it does not
//! know (and ignores them); unlike it, it says so: per action, every received parameter that the
//! action does not read, with counts, first/last seen and the clients' User-Agents; and the actions
//! called that the emulator does not implement. With `--strict-params` such a parameter is refused
//! instead (400 `InvalidParameter`), for test suites that want to fail on drift.
//!
//! **What an action reads** is [`KNOWN`], one line per action next to nothing else, checked twice
//! so that it cannot go stale:
//! - a unit test reads every action module named in `ACTIONS` and asserts that each parameter name
//!   its `parse` reads literally (`p.required("VpcId")`, `p.tags("Tag")`, `one_of(p, "NatType", …)`,
//!   `p.opt(&format!("Filter.{i}.Key"))`) is listed, and that `KNOWN` and `ACTIONS` name the same
//!   actions;
//! - in debug builds (every `cargo test`), every `Params` getter records the name it looks up while
//!   an action runs ([`crate::params::reads`]), and [`verify_reads`] panics — which the pipeline
//!   answers as `InternalError`, failing the test — when an action read a name its line does not
//!   list. Release builds skip the recording.
//!
//! Protocol and owner parameters (`params::PROTOCOL_PARAMS`) and `RegionId` (read by the pipeline
//! for every action: the journal, fault rules) are known to every action; `ClientToken` to every
//! write (`dispatch` reads it). `.N` in a name stands for an index (`Tag.N.Key` matches `Tag.3.Key`).
//!
//! **Cost.** [`Coverage::check`] runs once per authenticated request: a binary search per
//! parameter in a sorted per-action table built once, no lock and no allocation. Only a request
//! that carries an unknown parameter (or names an unknown action) takes the report's mutex. The
//! report is bounded ([`MAX_ENTRIES`], [`MAX_ACTIONS`], [`MAX_AGENTS`]) whatever clients send.
//!
//! Reset with the world (`POST /_emulator/reset` without an account) or by
//! `DELETE /_emulator/coverage`. Depends on `dispatch` (the table of actions), `params`, `clock`
//! and `error`.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;

use parking_lot::Mutex;
use serde_json::{json, Map, Value};

use crate::clock::{format_iso, wall_ms, Millis};
use crate::dispatch::{ActionDef, Kind, ACTIONS};
use crate::error::ApiError;
use crate::params::{Params, PROTOCOL_PARAMS};

/// Parameters every action knows besides `PROTOCOL_PARAMS`: the pipeline reads `RegionId` of
/// every request (journal, fault rules, logs).
pub const COMMON_PARAMS: &[&str] = &["RegionId"];

/// What each action's `parse` reads (besides `PROTOCOL_PARAMS`, `RegionId`, and `ClientToken` for
/// writes). `N` stands for an index. Kept honest by the tests described in the module comment.
pub static KNOWN: &[(&str, &[&str])] = &[
    ("DescribeRegions", &["AcceptLanguage"]),
    ("DescribeZones", &["AcceptLanguage", "ZoneType"]),
    (
        "CreateVpc",
        &[
            "CidrBlock",
            "Description",
            "DryRun",
            "EnableDnsHostname",
            "EnableIpv6",
            "ResourceGroupId",
            "Tag.N.Key",
            "Tag.N.Value",
            "UserCidr",
            "VpcName",
        ],
    ),
    (
        "DescribeVpcs",
        &[
            "DhcpOptionsSetId",
            "DryRun",
            "EnableIpv6",
            "IsDefault",
            "PageNumber",
            "PageSize",
            "ResourceGroupId",
            "Tag.N.Key",
            "Tag.N.Value",
            "VpcId",
            "VpcName",
            "VpcOwnerId",
        ],
    ),
    ("DescribeVpcAttribute", &["DryRun", "IsDefault", "VpcId"]),
    ("DeleteVpc", &["DryRun", "ForceDelete", "VpcId"]),
    (
        "CreateVSwitch",
        &["CidrBlock", "Description", "Ipv6CidrBlock", "Tag.N.Key", "Tag.N.Value", "VSwitchName", "VpcId", "ZoneId"],
    ),
    (
        "DescribeVSwitches",
        &[
            "DryRun",
            "EnableIpv6",
            "IsDefault",
            "PageNumber",
            "PageSize",
            "ResourceGroupId",
            "RouteTableId",
            "Tag.N.Key",
            "Tag.N.Value",
            "VSwitchId",
            "VSwitchName",
            "VSwitchOwnerId",
            "VpcId",
            "ZoneId",
        ],
    ),
    ("DescribeVSwitchAttributes", &["DryRun", "VSwitchId"]),
    ("DeleteVSwitch", &["DryRun", "VSwitchId"]),
    (
        "CreateNatGateway",
        &[
            "AccessMode",
            "AutoPay",
            "AvailabilityMode",
            "BandwidthPackage.N.Bandwidth",
            "BandwidthPackage.N.ISP",
            "BandwidthPackage.N.IpCount",
            "BandwidthPackage.N.Zone",
            "Description",
            "Duration",
            "EipBindMode",
            "IcmpReplyEnabled",
            "InstanceChargeType",
            "InternetChargeType",
            "Ipv4Prefix",
            "Name",
            "NatIp",
            "NatType",
            "NetworkType",
            "PricingCycle",
            "PrivateLinkEnabled",
            "SecurityProtectionEnabled",
            "Spec",
            "Tag.N.Key",
            "Tag.N.Value",
            "VSwitchId",
            "VpcId",
        ],
    ),
    (
        "DescribeNatGateways",
        &[
            "AvailabilityMode",
            "DryRun",
            "InstanceChargeType",
            "Name",
            "NatGatewayId",
            "NatType",
            "NetworkType",
            "PageNumber",
            "PageSize",
            "ResourceGroupId",
            "Spec",
            "Status",
            "Tag.N.Key",
            "Tag.N.Value",
            "VpcId",
            "ZoneId",
        ],
    ),
    (
        "ModifyNatGatewayAttribute",
        &["Description", "EipBindMode", "EnableSessionLog", "IcmpReplyEnabled", "LogDelivery", "Name", "NatGatewayId"],
    ),
    ("ModifyNatGatewaySpec", &["AutoPay", "NatGatewayId", "Spec"]),
    ("DeleteNatGateway", &["Force", "NatGatewayId"]),
    ("GetNatGatewayAttribute", &["NatGatewayId"]),
    ("DeletionProtection", &["InstanceId", "ProtectionEnable", "Type"]),
    ("UpdateNatGatewayNatType", &["DryRun", "NatGatewayId", "NatType", "VSwitchId"]),
    ("ListEnhanhcedNatGatewayAvailableZones", &["AcceptLanguage", "Filter.N.Key", "Filter.N.Value"]),
    (
        "AllocateEipAddress",
        &[
            "AutoPay",
            "Bandwidth",
            "Description",
            "ISP",
            "InstanceChargeType",
            "InstanceId",
            "InternetChargeType",
            "IpAddress",
            "Name",
            "Netmode",
            "Period",
            "PricingCycle",
            "ResourceGroupId",
            "SecurityProtectionTypes.N",
            "Tag.N.Key",
            "Tag.N.Value",
        ],
    ),
    ("AssociateEipAddress", &["AllocationId", "InstanceId", "InstanceType", "Mode"]),
    ("UnassociateEipAddress", &["AllocationId", "Force", "InstanceId", "InstanceType"]),
    ("ReleaseEipAddress", &["AllocationId"]),
    (
        "DescribeEipAddresses",
        &[
            "AllocationId",
            "AssociatedInstanceId",
            "AssociatedInstanceType",
            "ChargeType",
            "DryRun",
            "EipAddress",
            "EipName",
            "Filter.N.Key",
            "Filter.N.Value",
            "ISP",
            "IncludeReservationData",
            "LockReason",
            "PageNumber",
            "PageSize",
            "PublicIpAddressPoolId",
            "ResourceGroupId",
            "SecurityProtectionEnabled",
            "SegmentInstanceId",
            "ServiceManaged",
            "Status",
            "Tag.N.Key",
            "Tag.N.Value",
        ],
    ),
    ("ModifyEipAddressAttribute", &["AllocationId", "Bandwidth", "Description", "Name"]),
    (
        "CreateForwardEntry",
        &[
            "DryRun",
            "ExternalIp",
            "ExternalPort",
            "ForwardEntryName",
            "ForwardTableId",
            "InternalIp",
            "InternalPort",
            "IpProtocol",
            "PortBreak",
        ],
    ),
    (
        "ModifyForwardEntry",
        &[
            "DryRun",
            "ExternalIp",
            "ExternalPort",
            "ForwardEntryId",
            "ForwardEntryName",
            "ForwardTableId",
            "InternalIp",
            "InternalPort",
            "IpProtocol",
            "PortBreak",
        ],
    ),
    (
        "DescribeForwardTableEntries",
        &[
            "ExternalIp",
            "ExternalPort",
            "ForwardEntryId",
            "ForwardEntryName",
            "ForwardTableId",
            "InternalIp",
            "InternalPort",
            "IpProtocol",
            "NatGatewayId",
            "PageNumber",
            "PageSize",
        ],
    ),
    ("DeleteForwardEntry", &["ForwardEntryId", "ForwardTableId"]),
    (
        "CreateSnatEntry",
        &[
            "DryRun",
            "EipAffinity",
            "NetworkInterfaceId",
            "SnatEntryName",
            "SnatIp",
            "SnatTableId",
            "SourceCIDR",
            "SourceVSwitchId",
        ],
    ),
    (
        "ModifySnatEntry",
        &["DryRun", "EipAffinity", "NetworkInterfaceId", "SnatEntryId", "SnatEntryName", "SnatIp", "SnatTableId"],
    ),
    (
        "DescribeSnatTableEntries",
        &[
            "NatGatewayId",
            "NetworkInterfaceIds.N",
            "PageNumber",
            "PageSize",
            "SnatEntryId",
            "SnatEntryName",
            "SnatIp",
            "SnatTableId",
            "SourceCIDR",
            "SourceVSwitchId",
        ],
    ),
    ("DeleteSnatEntry", &["SnatEntryId", "SnatTableId"]),
    (
        "CreateBandwidthPackage",
        &["Bandwidth", "Description", "ISP", "InternetChargeType", "IpCount", "Name", "NatGatewayId", "Zone"],
    ),
    ("DescribeBandwidthPackages", &["BandwidthPackageId", "NatGatewayId", "PageNumber", "PageSize"]),
    ("ModifyBandwidthPackageAttribute", &["BandwidthPackageId", "Description", "Name"]),
    ("ModifyBandwidthPackageSpec", &["BandWidth", "Bandwidth", "BandwidthPackageId"]),
    ("AddBandwidthPackageIps", &["BandwidthPackageId", "IpCount"]),
    ("RemoveBandwidthPackageIps", &["BandwidthPackageId", "RemovedIpAddresses.N"]),
    ("DeleteBandwidthPackage", &["BandwidthPackageId", "Force"]),
    ("TagResources", &["ResourceId.N", "ResourceType", "Tag.N.Key", "Tag.N.Value"]),
    ("UnTagResources", &["All", "ResourceId.N", "ResourceType", "TagKey.N"]),
    ("ListTagResources", &["MaxResults", "NextToken", "ResourceId.N", "ResourceType", "Tag.N.Key", "Tag.N.Value"]),
];

/// At most this many (action, parameter) pairs are remembered; more are counted in `dropped`.
pub const MAX_ENTRIES: usize = 1000;
/// At most this many unknown actions are remembered.
pub const MAX_ACTIONS: usize = 200;
/// Distinct User-Agents kept per entry.
pub const MAX_AGENTS: usize = 5;
/// Longest User-Agent, parameter or action name kept (characters).
pub const MAX_NAME_CHARS: usize = 256;
/// Parameter names kept per unknown action.
pub const MAX_ACTION_PARAMS: usize = 50;

/// One action's known names: exact names sorted for a binary search, and `.N` patterns.
#[derive(Debug)]
pub struct Known {
    exact: Vec<&'static str>,
    patterns: Vec<&'static str>,
}

impl Known {
    fn build(def: &ActionDef) -> Known {
        let own = KNOWN.iter().find(|(a, _)| *a == def.name).map(|(_, p)| *p).unwrap_or(&[]);
        let write: &[&'static str] = if def.kind() == Kind::Write { &["ClientToken"] } else { &[] };
        let all = PROTOCOL_PARAMS.iter().chain(COMMON_PARAMS).chain(write).chain(own).copied();
        let (mut exact, patterns): (Vec<&str>, Vec<&str>) = all.partition(|n| !n.split('.').any(|s| s == "N"));
        exact.sort_unstable();
        exact.dedup();
        Known { exact, patterns }
    }

    /// Whether `name` is a parameter of this action (exact, or a `.N` pattern with N an index).
    pub fn knows(&self, name: &str) -> bool {
        self.exact.binary_search(&name).is_ok()
            || (name.contains('.') && self.patterns.iter().any(|p| pattern_matches(p, name)))
    }

    /// Every known name of the action itself (no protocol parameters), for the report.
    pub fn own(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.exact
            .iter()
            .chain(&self.patterns)
            .copied()
            .filter(|n| !PROTOCOL_PARAMS.contains(n) && !COMMON_PARAMS.contains(n))
    }
}

/// `Tag.N.Key` matches `Tag.3.Key` (and `Tag.N.Key` itself): `N` is any index (digits).
fn pattern_matches(pattern: &str, name: &str) -> bool {
    let mut p = pattern.split('.');
    let mut n = name.split('.');
    loop {
        match (p.next(), n.next()) {
            (None, None) => return true,
            (Some("N"), Some(s)) if s == "N" || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// The known names of every action, parallel to `ACTIONS`, built once.
fn table() -> &'static [Known] {
    static TABLE: OnceLock<Vec<Known>> = OnceLock::new();
    TABLE.get_or_init(|| ACTIONS.iter().map(Known::build).collect())
}

/// The known names of `def` (an entry of `ACTIONS`: found by its address, no hashing).
pub fn known(def: &ActionDef) -> &'static Known {
    let size = std::mem::size_of::<ActionDef>().max(1);
    let offset = (def as *const ActionDef as usize).wrapping_sub(ACTIONS.as_ptr() as usize);
    let i = offset / size;
    let i = if offset.is_multiple_of(size) && i < ACTIONS.len() && std::ptr::eq(&ACTIONS[i], def) {
        i
    } else {
        ACTIONS.iter().position(|a| a.name == def.name).unwrap_or(0)
    };
    &table()[i]
}

#[derive(Debug, Clone)]
struct Seen {
    count: u64,
    refused: u64,
    first_ms: Millis,
    last_ms: Millis,
    user_agents: Vec<String>,
    accounts: Vec<String>,
}

impl Seen {
    fn new(now: Millis) -> Seen {
        Seen { count: 0, refused: 0, first_ms: now, last_ms: now, user_agents: vec![], accounts: vec![] }
    }

    fn hit(&mut self, now: Millis, user_agent: Option<&str>, account: Option<&str>) {
        self.count += 1;
        self.last_ms = now;
        remember(&mut self.user_agents, user_agent);
        remember(&mut self.accounts, account);
    }

    fn json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("count".into(), json!(self.count));
        m.insert("first_seen".into(), json!(format_iso(self.first_ms)));
        m.insert("last_seen".into(), json!(format_iso(self.last_ms)));
        m.insert("first_seen_ms".into(), json!(self.first_ms));
        m.insert("last_seen_ms".into(), json!(self.last_ms));
        m.insert("user_agents".into(), json!(self.user_agents));
        m.insert("accounts".into(), json!(self.accounts));
        m
    }
}

fn remember(list: &mut Vec<String>, value: Option<&str>) {
    let Some(v) = value.filter(|v| !v.is_empty()) else { return };
    if list.len() < MAX_AGENTS && !list.iter().any(|x| x == v) {
        list.push(cut(v));
    }
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_NAME_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[derive(Debug, Default)]
struct Report {
    since_ms: Millis,
    /// action → parameter → seen.
    params: BTreeMap<String, BTreeMap<String, Seen>>,
    entries: usize,
    /// Unknown action → (seen, its parameter names).
    actions: BTreeMap<String, (Seen, Vec<String>)>,
    dropped: u64,
}

/// The drift report and the `--strict-params` switch.
pub struct Coverage {
    strict: bool,
    /// Whether the report holds anything (a cheap answer for an empty report).
    any: AtomicBool,
    report: Mutex<Report>,
    /// (action, parameter) pairs already logged: one warning per pair for the life of the process.
    warned: Mutex<HashSet<(String, String)>>,
    /// Requests refused by `--strict-params` (also counted per entry).
    refused: AtomicU64,
}

impl Coverage {
    pub fn new(strict: bool) -> Coverage {
        Coverage {
            strict,
            any: AtomicBool::new(false),
            report: Mutex::new(Report { since_ms: wall_ms(), ..Report::default() }),
            warned: Mutex::new(HashSet::new()),
            refused: AtomicU64::new(0),
        }
    }

    pub fn strict(&self) -> bool {
        self.strict
    }

    /// Checks an authenticated request's parameters against what `def` reads. Unknown ones are
    /// recorded (and logged the first time); with `--strict-params` the first one is refused.
    /// Lock-free and allocation-free when every parameter is known.
    pub fn check(
        &self,
        def: &ActionDef,
        params: &Params,
        user_agent: Option<&str>,
        account: Option<&str>,
    ) -> Result<(), ApiError> {
        let known = known(def);
        if params.iter().all(|(k, _)| known.knows(k)) {
            return Ok(());
        }
        let unknown: Vec<&str> = params.iter().map(|(k, _)| k).filter(|k| !known.knows(k)).collect();
        self.record(def.name, &unknown, user_agent, account);
        match unknown.first() {
            Some(first) if self.strict => Err(ApiError::invalid(
                *first,
                format!(
                    "{} has no such parameter in the emulator (refused by --strict-params; \
                     GET /_emulator/coverage lists what clients sent).",
                    def.name
                ),
            )),
            _ => Ok(()),
        }
    }

    fn record(&self, action: &str, names: &[&str], user_agent: Option<&str>, account: Option<&str>) {
        let now = wall_ms();
        let mut fresh = Vec::new();
        {
            let mut r = self.report.lock();
            let Report { params, entries, dropped, .. } = &mut *r;
            for name in names {
                let have = params.get(action).is_some_and(|m| m.contains_key(*name));
                if !have && *entries >= MAX_ENTRIES {
                    *dropped += 1;
                    continue;
                }
                let per = params.entry(action.to_owned()).or_default();
                let seen = per.entry(cut(name)).or_insert_with(|| {
                    *entries += 1;
                    Seen::new(now)
                });
                seen.hit(now, user_agent, account);
                if self.strict {
                    seen.refused += 1;
                }
                if !have {
                    fresh.push(*name);
                }
            }
        }
        self.any.store(true, Ordering::Release);
        if self.strict {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        if fresh.is_empty() {
            return;
        }
        let mut warned = self.warned.lock();
        for name in fresh {
            if warned.len() < MAX_ENTRIES * 4 && warned.insert((action.to_owned(), name.to_owned())) {
                tracing::warn!(
                    target: "coverage",
                    action,
                    parameter = name,
                    user_agent = user_agent.unwrap_or("-"),
                    strict = self.strict,
                    "{} a parameter the emulator does not model: {action} {name} (GET /_emulator/coverage)",
                    if self.strict { "refused" } else { "ignored" }
                );
            }
        }
    }

    /// An action the emulator does not implement (answered `InvalidAction.NotFound`).
    pub fn unknown_action(&self, action: &str, params: &Params, user_agent: Option<&str>) {
        let now = wall_ms();
        let key = cut(action);
        let first = {
            let mut r = self.report.lock();
            let Report { actions, dropped, .. } = &mut *r;
            let new = !actions.contains_key(&key);
            if new && actions.len() >= MAX_ACTIONS {
                *dropped += 1;
                return;
            }
            let (seen, names) = actions.entry(key.clone()).or_insert_with(|| (Seen::new(now), Vec::new()));
            seen.hit(now, user_agent, params.opt("AccessKeyId"));
            for (k, _) in params.iter() {
                if names.len() < MAX_ACTION_PARAMS
                    && !PROTOCOL_PARAMS.contains(&k)
                    && !COMMON_PARAMS.contains(&k)
                    && !names.iter().any(|n| n == k)
                {
                    names.push(cut(k));
                }
            }
            names.sort();
            new
        };
        self.any.store(true, Ordering::Release);
        if first {
            tracing::warn!(
                target: "coverage",
                action = %key,
                user_agent = user_agent.unwrap_or("-"),
                "a client called an action the emulator does not implement: {key} (GET /_emulator/coverage)"
            );
        }
    }

    /// Forgets everything recorded (the warnings already logged stay logged once).
    pub fn clear(&self) {
        *self.report.lock() = Report { since_ms: wall_ms(), ..Report::default() };
        self.any.store(false, Ordering::Release);
        self.refused.store(0, Ordering::Relaxed);
    }

    /// Whether anything was recorded since the last reset.
    pub fn is_empty(&self) -> bool {
        !self.any.load(Ordering::Acquire)
    }

    /// The report, optionally for one action only.
    pub fn report(&self, action: Option<&str>) -> Value {
        let r = self.report.lock();
        let mut ignored = Map::new();
        for (a, per) in &r.params {
            if action.is_some_and(|want| want != a) {
                continue;
            }
            let mut m = Map::new();
            for (p, seen) in per {
                let mut o = seen.json();
                o.insert("refused".into(), json!(seen.refused));
                m.insert(p.clone(), Value::Object(o));
            }
            ignored.insert(a.clone(), Value::Object(m));
        }
        let mut unknown = Map::new();
        for (a, (seen, names)) in &r.actions {
            if action.is_some_and(|want| want != a) {
                continue;
            }
            let mut o = seen.json();
            o.insert("parameters".into(), json!(names));
            unknown.insert(a.clone(), Value::Object(o));
        }
        json!({
            "strict_params": self.strict,
            "since": format_iso(r.since_ms),
            "since_ms": r.since_ms,
            "implemented_actions": ACTIONS.len(),
            "ignored_parameters": ignored,
            "unknown_actions": unknown,
            "refused_requests": self.refused.load(Ordering::Relaxed),
            "dropped": r.dropped,
        })
    }
}

/// Every action with the parameters it reads (its own, without the protocol parameters).
pub fn known_json(action: Option<&str>) -> Value {
    let mut m = Map::new();
    for def in ACTIONS {
        if action.is_some_and(|a| a != def.name) {
            continue;
        }
        let mut names: Vec<&str> = known(def).own().collect();
        names.sort_unstable();
        m.insert(def.name.to_owned(), json!(names));
    }
    json!({
        "common": PROTOCOL_PARAMS.iter().chain(COMMON_PARAMS).collect::<Vec<_>>(),
        "writes_also": ["ClientToken"],
        "actions": m,
    })
}

/// Runs `f` (an action), and in debug builds checks that every parameter name it looked up is in
/// its [`KNOWN`] line: a read the table does not list panics (answered `InternalError`), so any
/// test that exercises it fails. Release builds only run `f`.
#[inline]
pub fn verify_reads<T>(def: &ActionDef, f: impl FnOnce() -> T) -> T {
    #[cfg(debug_assertions)]
    {
        let (out, reads) = crate::params::reads::recording(f);
        let known = known(def);
        let stale: Vec<String> = reads.into_iter().filter(|n| !known.knows(n)).collect();
        assert!(
            stale.is_empty(),
            "{} read parameters that coverage::KNOWN does not list: {stale:?} (add them to its line in src/coverage.rs)",
            def.name
        );
        out
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = def;
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::find;

    #[test]
    fn patterns() {
        assert!(pattern_matches("Tag.N.Key", "Tag.1.Key"));
        assert!(pattern_matches("Tag.N.Key", "Tag.20.Key"));
        assert!(pattern_matches("Tag.N.Key", "Tag.N.Key"));
        assert!(!pattern_matches("Tag.N.Key", "Tag.x.Key"));
        assert!(!pattern_matches("Tag.N.Key", "Tag..Key"));
        assert!(!pattern_matches("Tag.N.Key", "Tag.1.Key.2"));
        assert!(!pattern_matches("Tag.N.Key", "Tag.1"));
        assert!(pattern_matches("ResourceId.N", "ResourceId.7"));
    }

    #[test]
    fn known_names() {
        let def = find("CreateNatGateway").expect("action");
        let k = known(def);
        for n in ["VpcId", "RegionId", "ClientToken", "Signature", "OwnerId", "Tag.3.Value", "BandwidthPackage.2.ISP"] {
            assert!(k.knows(n), "{n}");
        }
        for n in ["NewParam", "vpcid", "Tag.3.Other", "DryRun"] {
            assert!(!k.knows(n), "{n}");
        }
        let read = known(find("DescribeVpcs").expect("action"));
        assert!(read.knows("DryRun"));
        assert!(!read.knows("ClientToken"), "reads do not take ClientToken");
        // A copy of an ActionDef (not an element of ACTIONS) is found by name.
        let copy = *def;
        assert!(known(&copy).knows("Spec"));
    }

    #[test]
    fn known_and_actions_name_the_same_actions() {
        let mut a: Vec<&str> = ACTIONS.iter().map(|d| d.name).collect();
        let mut k: Vec<&str> = KNOWN.iter().map(|(n, _)| *n).collect();
        a.sort_unstable();
        k.sort_unstable();
        assert_eq!(a, k, "every action in dispatch::ACTIONS has exactly one line in coverage::KNOWN");
    }

    /// Reads each action module named in `ACTIONS` (src/dispatch.rs) and checks that every
    /// parameter name its source looks up literally is in the action's `KNOWN` line.
    #[test]
    fn every_literal_read_is_known() {
        let root = env!("CARGO_MANIFEST_DIR");
        let dispatch = std::fs::read_to_string(format!("{root}/src/dispatch.rs")).expect("src/dispatch.rs");
        let mut missing = Vec::new();
        let mut modules = 0;
        for line in dispatch.lines() {
            let line = line.trim();
            let Some(rest) = line
                .strip_prefix("read!(\"")
                .or_else(|| line.strip_prefix("write!(\""))
                .or_else(|| line.strip_prefix("read_reply!(\""))
            else {
                continue;
            };
            let (name, rest) = rest.split_once('"').expect("an action name");
            let path = rest.trim_start_matches([',', ' ']).trim_end_matches([')', ',']).trim();
            let file = format!("{root}/src/{}.rs", path.replace("::", "/"));
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
            // Unit tests below the code build requests; only the code above them reads.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let def = find(name).expect("an action of ACTIONS");
            for read in literal_reads(code) {
                if !known(def).knows(&read) {
                    missing.push(format!("{name}: {read}"));
                }
            }
            modules += 1;
        }
        assert_eq!(modules, ACTIONS.len(), "every ACTIONS line was read");
        assert!(missing.is_empty(), "read by the action but not in coverage::KNOWN: {missing:?}");
    }

    /// Names looked up with a literal: `.required("X")`, `.opt("X")`, …, `.list("X")` → `X.N`,
    /// `.tags("X")` → `X.N.Key`/`X.N.Value`, `one_of(p, "X"`, and `format!("X.{i}.Y")` → `X.N.Y`.
    fn literal_reads(code: &str) -> Vec<String> {
        const GETTERS: &[&str] =
            &["required", "required_string", "opt", "opt_string", "opt_bool", "bool_or", "opt_int", "get"];
        let mut out = Vec::new();
        for (i, _) in code.match_indices('(') {
            let before = &code[..i];
            let word_start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |j| j + 1);
            let word = &before[word_start..];
            let receiver_is_params = before[..word_start].ends_with("p.") || before[..word_start].ends_with("params.");
            let after = code[i + 1..].trim_start();
            let literal = |s: &str| s.strip_prefix('"').and_then(|s| s.split_once('"')).map(|(l, _)| l.to_owned());
            // `format!("Filter.{i}.Key")` → `Filter.N.Key`; a second `{…}` (a field name held in a
            // variable) cannot be known here: the debug-build read check covers it.
            let from_format = |s: &str| {
                let (l, _) = s.strip_prefix("&format!(\"")?.split_once('"')?;
                (l.matches('{').count() == 1).then(|| {
                    l.split('.').map(|seg| if seg.starts_with('{') { "N" } else { seg }).collect::<Vec<_>>().join(".")
                })
            };
            if receiver_is_params && GETTERS.contains(&word) {
                if let Some(n) = literal(after).or_else(|| from_format(after)) {
                    out.push(n);
                }
            } else if receiver_is_params && word == "list" {
                if let Some(n) = literal(after) {
                    out.push(format!("{n}.N"));
                }
            } else if receiver_is_params && word == "tags" {
                if let Some(n) = literal(after) {
                    out.push(format!("{n}.N.Key"));
                    out.push(format!("{n}.N.Value"));
                }
            } else if word == "one_of" {
                if let Some(n) = after.strip_prefix("p,").and_then(|s| literal(s.trim_start())) {
                    out.push(n);
                }
            }
        }
        out
    }

    #[test]
    fn literal_reads_finds_every_form() {
        let code = r#"p.required_string("RegionId")?; p.opt(&format!("Filter.{i}.Key")); p.tags("Tag")?;
            p.list("ResourceId")?; one_of(p, "NatType", NAT_TYPES); m.get("NotParams"); p.bool_or("Force", false);
            p.opt(&format!("BandwidthPackage.{n}.{f}"))"#;
        assert_eq!(
            literal_reads(code),
            ["RegionId", "Filter.N.Key", "Tag.N.Key", "Tag.N.Value", "ResourceId.N", "NatType", "Force"]
        );
    }

    #[test]
    fn check_records_and_refuses() {
        let def = find("DescribeVpcs").expect("action");
        let cov = Coverage::new(false);
        let ok = Params::from_pairs([("RegionId", "cn-hangzhou"), ("PageSize", "5"), ("Signature", "x")]);
        assert!(cov.check(def, &ok, Some("ua"), Some("testid")).is_ok());
        assert!(cov.is_empty());
        let extra = Params::from_pairs([("RegionId", "cn-hangzhou"), ("NewThing", "1"), ("Tag.1.Other", "x")]);
        assert!(cov.check(def, &extra, Some("sdk/1"), Some("testid")).is_ok());
        assert!(cov.check(def, &extra, Some("sdk/2"), Some("testid")).is_ok());
        let r = cov.report(None);
        assert_eq!(r["ignored_parameters"]["DescribeVpcs"]["NewThing"]["count"], 2);
        assert_eq!(r["ignored_parameters"]["DescribeVpcs"]["NewThing"]["user_agents"], json!(["sdk/1", "sdk/2"]));
        assert_eq!(r["ignored_parameters"]["DescribeVpcs"]["Tag.1.Other"]["count"], 2);
        cov.unknown_action("CreateVpcPeer", &Params::from_pairs([("RegionId", "r"), ("PeerId", "p")]), None);
        let r = cov.report(None);
        assert_eq!(r["unknown_actions"]["CreateVpcPeer"]["parameters"], json!(["PeerId"]));
        cov.clear();
        assert!(cov.is_empty());
        assert_eq!(cov.report(None)["ignored_parameters"], json!({}));

        let strict = Coverage::new(true);
        let e = strict.check(def, &extra, None, None).expect_err("refused");
        assert_eq!(e.code(), "InvalidParameter");
        assert!(e.message().contains("NewThing"), "{}", e.message());
        assert_eq!(strict.report(None)["refused_requests"], 1);
        assert!(strict.check(def, &ok, None, None).is_ok());
    }

    #[test]
    fn the_report_is_bounded() {
        let def = find("DescribeVpcs").expect("action");
        let cov = Coverage::new(false);
        for i in 0..(MAX_ENTRIES + 10) {
            let p = Params::from_pairs([(format!("P{i}"), "1".to_owned())]);
            cov.check(def, &p, None, None).expect("accepted");
        }
        let r = cov.report(None);
        assert_eq!(r["ignored_parameters"]["DescribeVpcs"].as_object().map(|m| m.len()), Some(MAX_ENTRIES));
        assert_eq!(r["dropped"], 10);
    }
}
