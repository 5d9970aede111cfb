//! State per account and region: the resources, their pending status transitions, ClientTokens and
//! the account's id generator.
//!
//! Each account has one `RwLock<AccountState>`, held briefly and never across an `.await`, so a
//! handler's check-then-mutate is atomic and accounts never wait for each other. Status
//! transitions (`Pending` → `Available` …) are deadlines on the injected clock, applied by
//! [`AccountState::settle`] before a request looks at the state: no background task, no sleep, and
//! the same requests at the same clock readings always give the same state. Depends on `model`,
//! `world`, `ids`, `clock`, `error`, `params`; never on `wire` or `actions`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

use hmac::{Hmac, Mac};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::Sha256;

use crate::clock::Millis;
use crate::error::ApiError;
use crate::ids::{hash_str, IdGen};
use crate::model::eip::Pools;
use crate::model::{
    BandwidthPackage, Eip, EipStatus, EntryStatus, ForwardEntry, IpPool, NatGateway, NatStatus, SnatEntry, VSwitch,
    VSwitchStatus, Vpc, VpcStatus,
};
use crate::table::{Indexed, Table};
use crate::world::{AccountSpec, Region, World};

/// Delays of the status lifecycles, in milliseconds of the emulator's clock (0: immediate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delays {
    pub vpc_create_ms: u64,
    pub vswitch_create_ms: u64,
    /// `Creating` → `Available`.
    pub nat_create_ms: u64,
    /// `Modifying`/`Converting` → `Available`.
    pub nat_modify_ms: u64,
    /// `Deleting` → gone.
    pub nat_delete_ms: u64,
    /// EIP `Associating` → `InUse`.
    pub eip_associate_ms: u64,
    /// EIP `Unassociating` → `Available`.
    pub eip_unassociate_ms: u64,
    /// DNAT/SNAT entry `Pending` → `Available` (after create and modify).
    pub entry_pending_ms: u64,
    /// DNAT/SNAT entry `Deleting` → gone.
    pub entry_delete_ms: u64,
    /// The real service's table lock: while an entry of a table is `Pending`, no other entry of
    /// that table can be created (`IncorretForwardEntryStatus`/`IncorretSnatEntryStatus`). Off by
    /// default: it makes parallel creates fail, as they do in the cloud.
    #[serde(default)]
    pub entry_table_lock: bool,
}

impl Delays {
    pub fn uniform(ms: u64) -> Self {
        Delays {
            vpc_create_ms: ms,
            vswitch_create_ms: ms,
            nat_create_ms: ms,
            nat_modify_ms: ms,
            nat_delete_ms: ms,
            eip_associate_ms: ms,
            eip_unassociate_ms: ms,
            entry_pending_ms: ms,
            entry_delete_ms: ms,
            entry_table_lock: false,
        }
    }
}

/// Quotas (the real defaults; adjustable like the real ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotas {
    pub vpcs_per_region: usize,
    pub vswitches_per_vpc: usize,
    /// `natgw_quota_nat_num_per_vpc` (REAL-SERVICE §10).
    pub nat_gateways_per_vpc: usize,
    /// EIPs an account may hold in a region.
    pub eips_per_region: usize,
    /// `natgw_quota_eip_num_per_nat` (MULTI_BINDED mode).
    pub eips_per_nat_gateway: usize,
    /// The same in `EipBindMode=NAT`.
    pub eips_per_nat_gateway_nat_mode: usize,
    /// DNAT entries per table (`natgw_quota_dnat_entry_num`).
    pub forward_entries_per_table: usize,
    /// SNAT entries per table.
    pub snat_entries_per_table: usize,
    /// Addresses in one SNAT entry's `SnatIp` list.
    pub snat_ips_per_entry: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            vpcs_per_region: 10,
            vswitches_per_vpc: 150,
            nat_gateways_per_vpc: 5,
            eips_per_region: 20,
            eips_per_nat_gateway: 20,
            eips_per_nat_gateway_nat_mode: 50,
            forward_entries_per_table: 100,
            snat_entries_per_table: 40,
            snat_ips_per_entry: 64,
        }
    }
}

/// What a handler sees besides the state: the time, the world, the settings.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub now: Millis,
    pub world: &'a World,
    pub delays: Delays,
    pub quotas: Quotas,
    /// EIP address pools, shared by all accounts (lock order: account, then pools).
    pub pools: &'a Mutex<Pools>,
}

impl<'a> Ctx<'a> {
    /// The region, or `InvalidRegionId.NotFound`.
    pub fn region(&self, id: &str) -> Result<&'a Region, ApiError> {
        self.world.region(id).ok_or(ApiError::InvalidRegionIdNotFound)
    }
}

/// A status change due at a deadline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Due {
    VpcAvailable {
        region: String,
        id: String,
    },
    VSwitchAvailable {
        region: String,
        id: String,
    },
    /// `Creating`/`Modifying`/`Converting` → `Available`.
    NatAvailable {
        region: String,
        id: String,
    },
    /// `Deleting` → gone.
    NatGone {
        region: String,
        id: String,
    },
    /// EIP `Associating` → `InUse`.
    EipInUse {
        region: String,
        id: String,
    },
    /// EIP `Unassociating` → `Available` (the binding ends).
    EipUnbound {
        region: String,
        id: String,
    },
    /// DNAT entry `Pending` → `Available`.
    ForwardAvailable {
        region: String,
        id: String,
    },
    /// DNAT entry `Deleting` → gone.
    ForwardGone {
        region: String,
        id: String,
    },
    /// SNAT entry `Pending` → `Available`.
    SnatAvailable {
        region: String,
        id: String,
    },
    /// SNAT entry `Deleting` → gone.
    SnatGone {
        region: String,
        id: String,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timers {
    /// Serialized in deadline order, so that equal timers always serialize alike (a heap's layout
    /// depends on its history; snapshots and exports must not).
    #[serde(serialize_with = "deadline_order")]
    heap: BinaryHeap<Reverse<(Millis, u64, Due)>>,
    seq: u64,
}

fn deadline_order<S: serde::Serializer>(
    heap: &BinaryHeap<Reverse<(Millis, u64, Due)>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut v: Vec<&Reverse<(Millis, u64, Due)>> = heap.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    s.collect_seq(v)
}

impl Timers {
    pub fn schedule(&mut self, at: Millis, due: Due) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, due)));
    }

    pub fn next_deadline(&self) -> Option<Millis> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    fn pop_due(&mut self, now: Millis) -> Option<Due> {
        if self.next_deadline()? <= now {
            self.heap.pop().map(|Reverse((_, _, d))| d)
        } else {
            None
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

/// Replies remembered by ClientToken, so that a retried request gets the original answer.
/// Serialized with `map` in insertion order (not the hash map's), so that equal states always
/// serialize alike.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientTokens {
    map: HashMap<String, TokenEntry>,
    order: VecDeque<String>,
}

impl Serialize for ClientTokens {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct InOrder<'a>(&'a ClientTokens);
        impl Serialize for InOrder<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.order.iter().filter_map(|k| self.0.map.get(k).map(|v| (k, v))))
            }
        }
        let mut st = s.serialize_struct("ClientTokens", 2)?;
        st.serialize_field("map", &InOrder(self))?;
        st.serialize_field("order", &self.order)?;
        st.end()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenEntry {
    pub fingerprint: Vec<(String, String)>,
    pub reply: serde_json::Value,
}

const MAX_TOKENS: usize = 10_000;

impl ClientTokens {
    fn key(action: &str, token: &str) -> String {
        format!("{action}\u{0}{token}")
    }

    pub fn get(&self, action: &str, token: &str) -> Option<&TokenEntry> {
        self.map.get(&Self::key(action, token))
    }

    pub fn insert(&mut self, action: &str, token: &str, entry: TokenEntry) {
        let key = Self::key(action, token);
        if self.map.insert(key.clone(), entry).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > MAX_TOKENS {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegionState {
    pub vpcs: Table<Vpc>,
    /// Grouped by VPC.
    pub vswitches: Table<VSwitch>,
    /// Grouped by VPC; also found by their DNAT and SNAT table ids.
    pub nat_gateways: Table<NatGateway>,
    pub eips: Table<Eip>,
    /// Grouped by gateway.
    pub forward_entries: Table<ForwardEntry>,
    /// Grouped by gateway.
    pub snat_entries: Table<SnatEntry>,
    /// Grouped by gateway.
    pub bandwidth_packages: Table<BandwidthPackage>,
    /// Released EIPs (id, address, when), so AllocateEipAddress with `InstanceId` can take one back.
    pub released_eips: Vec<(String, std::net::Ipv4Addr, Millis)>,
    /// Rendered views of this region's unchanged resources, by id (never serialized; emptied by
    /// every write lock of the account).
    #[serde(skip)]
    pub views: ViewCache,
}

/// Whether an address can serve a gateway's DNAT/SNAT entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicIp {
    Usable,
    /// An EIP still `Associating` with the gateway (`OperationUnsupported.EipInBinding`).
    Associating,
    /// An EIP `Unassociating` from the gateway.
    Leaving,
    /// An EIP of the account that is not bound to this gateway.
    NotOnGateway,
    /// No EIP of the account has this address.
    Unknown,
}

/// What hangs off a NAT gateway: the one place that DeleteNatGateway (and later EIPs, entries and
/// bandwidth packages) ask "what blocks this gateway".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatDependents {
    pub bandwidth_packages: Vec<String>,
    pub eips: Vec<String>,
    pub snat_entries: Vec<String>,
    pub forward_entries: Vec<String>,
}

impl NatDependents {
    pub fn is_empty(&self) -> bool {
        self.bandwidth_packages.is_empty()
            && self.eips.is_empty()
            && self.snat_entries.is_empty()
            && self.forward_entries.is_empty()
    }
}

impl RegionState {
    /// Everything that keeps `nat_gateway_id` from being deleted without `Force`.
    pub fn nat_dependents(&self, nat_gateway_id: &str) -> NatDependents {
        NatDependents {
            eips: self.eips_of(nat_gateway_id).iter().map(|e| e.id.clone()).collect(),
            snat_entries: self.snat_entries_of(nat_gateway_id).iter().map(|e| e.id.clone()).collect(),
            forward_entries: self.forward_entries_of(nat_gateway_id).iter().map(|e| e.id.clone()).collect(),
            bandwidth_packages: self.packages_of(nat_gateway_id).iter().map(|p| p.id.clone()).collect(),
        }
    }

    /// Detaches everything `nat_dependents` lists (DeleteNatGateway with `Force=true`): entries and
    /// bandwidth packages are deleted and EIPs unbound at once. Returns the package addresses, for
    /// the caller to give back to the pool.
    pub fn release_nat_dependents(&mut self, nat_gateway_id: &str) -> Vec<std::net::Ipv4Addr> {
        self.snat_entries.retain(|_, e| e.nat_gateway_id != nat_gateway_id);
        self.forward_entries.retain(|_, e| *e.nat_gateway_id != *nat_gateway_id);
        for e in self.eips.values_mut().filter(|e| e.bound_to(nat_gateway_id)) {
            e.binding = None;
            e.status = EipStatus::Available;
        }
        let mut freed = Vec::new();
        self.bandwidth_packages.retain(|_, p| {
            if p.nat_gateway_id == nat_gateway_id {
                freed.extend(p.ips.iter().map(|i| i.ip));
                false
            } else {
                true
            }
        });
        freed
    }

    /// Bandwidth packages of a gateway, oldest first.
    pub fn packages_of(&self, nat_gateway_id: &str) -> Vec<&BandwidthPackage> {
        self.bandwidth_packages.group(nat_gateway_id).collect()
    }

    /// The gateway that owns a DNAT table.
    pub fn gateway_of_forward_table(&self, table_id: &str) -> Option<&NatGateway> {
        self.nat_gateways.by_alias(table_id).filter(|g| g.forward_table_id == table_id)
    }

    /// The gateway that owns an SNAT table.
    pub fn gateway_of_snat_table(&self, table_id: &str) -> Option<&NatGateway> {
        self.nat_gateways.by_alias(table_id).filter(|g| g.snat_table_id == table_id)
    }

    /// Whether `ip` is a public address of `gw` that DNAT/SNAT entries may use: an InUse EIP bound
    /// to it, an address of one of its bandwidth packages, or for a VPC (intranet) gateway its own
    /// NAT IP.
    pub fn public_ip_state(&self, gw: &NatGateway, ip: &str) -> PublicIp {
        if !gw.is_internet() {
            return if gw.private_ip.is_some_and(|p| p.to_string() == ip) {
                PublicIp::Usable
            } else {
                PublicIp::Unknown
            };
        }
        if self.packages_of(&gw.id).iter().any(|p| p.ips.iter().any(|i| i.ip.to_string() == ip)) {
            return PublicIp::Usable;
        }
        match self.eips.values().find(|e| e.ip.to_string() == ip) {
            None => PublicIp::Unknown,
            Some(e) if !e.bound_to(&gw.id) => PublicIp::NotOnGateway,
            Some(e) => match e.status {
                EipStatus::InUse => PublicIp::Usable,
                EipStatus::Associating => PublicIp::Associating,
                _ => PublicIp::Leaving,
            },
        }
    }

    /// SNAT entries of a gateway, oldest first.
    pub fn snat_entries_of(&self, nat_gateway_id: &str) -> Vec<&SnatEntry> {
        self.snat_entries.group(nat_gateway_id).collect()
    }

    /// DNAT entries of a gateway, oldest first.
    pub fn forward_entries_of(&self, nat_gateway_id: &str) -> Vec<&ForwardEntry> {
        self.forward_entries.group(nat_gateway_id).collect()
    }

    /// Whether entries of a gateway use a public IP: (an SNAT entry does, a DNAT entry does).
    pub fn ip_used(&self, nat_gateway_id: &str, ip: &str) -> (bool, bool) {
        let snat = self.snat_entries.group(nat_gateway_id).any(|e| e.snat_ips.iter().any(|s| s == ip));
        let want = ip.parse::<std::net::Ipv4Addr>().ok();
        let dnat = self.forward_entries.group(nat_gateway_id).any(|e| Some(e.external_ip) == want);
        (snat, dnat)
    }

    /// The entries of a gateway that use a public IP: (SNAT entry ids, DNAT entry ids).
    pub fn ip_users(&self, nat_gateway_id: &str, ip: &str) -> (Vec<String>, Vec<String>) {
        let snat = self
            .snat_entries_of(nat_gateway_id)
            .into_iter()
            .filter(|e| e.snat_ips.iter().any(|s| s == ip))
            .map(|e| e.id.clone())
            .collect();
        let want = ip.parse::<std::net::Ipv4Addr>().ok();
        let dnat = self
            .forward_entries_of(nat_gateway_id)
            .into_iter()
            .filter(|e| Some(e.external_ip) == want)
            .map(|e| e.id.clone())
            .collect();
        (snat, dnat)
    }

    /// EIPs bound to an instance (in any binding status), in binding order.
    pub fn eips_of(&self, instance_id: &str) -> Vec<&Eip> {
        let mut v: Vec<&Eip> = self.eips.values().filter(|e| e.bound_to(instance_id)).collect();
        v.sort_by_key(|e| (e.binding.as_ref().map(|b| b.bound_ms), e.seq));
        v
    }

    /// Removes a gateway for good: its private IP goes back to the vSwitch and its routes leave
    /// the VPC's route table.
    pub fn remove_nat_gateway(&mut self, id: &str) -> Option<NatGateway> {
        let gw = self.nat_gateways.remove(id)?;
        if let (Some(ip), Some(vsw)) = (gw.private_ip, self.vswitches.get_mut(&gw.vswitch_id)) {
            vsw.used_ips.remove(&ip);
        }
        if let Some(vpc) = self.vpcs.get_mut(&gw.vpc_id) {
            vpc.routes.retain(|r| r.next_hop_id != gw.id);
        }
        Some(gw)
    }

    /// NAT gateways of a VPC, oldest first.
    pub fn nat_gateways_of_vpc(&self, vpc_id: &str) -> Vec<&NatGateway> {
        self.nat_gateways.group(vpc_id).collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountState {
    pub access_key_id: String,
    pub owner_id: u64,
    pub resource_group_id: String,
    pub regions: BTreeMap<String, RegionState>,
    pub ids: IdGen,
    pub seq: u64,
    pub timers: Timers,
    pub tokens: ClientTokens,
    /// May use the legacy NAT bandwidth-package actions (world file / `--legacy-bandwidth-packages`).
    #[serde(default)]
    pub legacy_bandwidth_packages: bool,
}

/// Rendered JSON of resources as list answers show them, by id, so that paging through an
/// unchanged account renders each resource once. Only valid for the state it was rendered from:
/// [`StateLock::write`] empties it before any change can happen, and a copy of a state starts
/// empty. Bounded by [`ViewCache::MAX`] entries (a full cache just stops caching).
#[derive(Default)]
pub struct ViewCache {
    map: RwLock<HashMap<String, Arc<[u8]>>>,
}

impl ViewCache {
    pub const MAX: usize = 1024;

    /// The cached view of `id`, or `render`'s (kept when there is room).
    pub fn get_or_render<E>(&self, id: &str, render: impl FnOnce() -> Result<Vec<u8>, E>) -> Result<Arc<[u8]>, E> {
        if let Some(v) = self.map.read().get(id) {
            return Ok(v.clone());
        }
        let v: Arc<[u8]> = render()?.into();
        let mut map = self.map.write();
        if map.len() < Self::MAX {
            map.insert(id.to_owned(), v.clone());
        }
        Ok(v)
    }

    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn clear(&mut self) {
        self.map.get_mut().clear();
    }
}

/// A copy of a state starts with no cached views.
impl Clone for ViewCache {
    fn clone(&self) -> Self {
        ViewCache::default()
    }
}

impl std::fmt::Debug for ViewCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ViewCache({} views)", self.len())
    }
}

/// An account's state behind its lock: reads share it, a write holds it alone. Taking the write
/// lock empties the account's [`ViewCache`]s first: every change to an account goes through here,
/// so no cached view is ever older than the state it shows.
pub struct StateLock(RwLock<AccountState>);

impl StateLock {
    pub fn new(state: AccountState) -> StateLock {
        StateLock(RwLock::new(state))
    }

    pub fn read(&self) -> parking_lot::RwLockReadGuard<'_, AccountState> {
        self.0.read()
    }

    pub fn write(&self) -> parking_lot::RwLockWriteGuard<'_, AccountState> {
        let mut st = self.0.write();
        for rs in st.regions.values_mut() {
            rs.views.clear();
        }
        st
    }
}

impl AccountState {
    /// The account as the world file describes it: in every region a default VPC with its
    /// default vSwitches, all Available. Their ids derive from the account and region only, so
    /// they are the same on every start and after every reset.
    pub fn initial(world: &World, spec: &AccountSpec, seed: u64) -> AccountState {
        let mut fixed = IdGen::new(hash_str(&format!("world/{}", spec.account_id)));
        let resource_group_id = format!("rg-acfm{}", &fixed.plain_id("x", 11)[2..]);
        let mut regions = BTreeMap::new();
        let mut seq = 0;
        for r in &world.regions {
            let mut g = IdGen::new(hash_str(&format!("world/{}/{}", spec.account_id, r.region_id)));
            let mut rs = RegionState::default();
            let vpc_id = g.resource_id("vpc", &r.id_code);
            let route_table_id = g.resource_id("vtb", &r.id_code);
            seq += 1;
            rs.vpcs.insert(
                vpc_id.clone(),
                Vpc {
                    id: vpc_id.clone(),
                    region_id: r.region_id.clone(),
                    name: String::new(),
                    description: String::new(),
                    cidr: r.default_vpc_cidr,
                    user_cidrs: vec![],
                    is_default: true,
                    status: VpcStatus::Available,
                    created_ms: world.created_at,
                    vrouter_id: g.resource_id("vrt", &r.id_code),
                    route_table_id: route_table_id.clone(),
                    resource_group_id: resource_group_id.clone(),
                    tags: vec![],
                    enable_ipv6: false,
                    dns_hostname: false,
                    routes: vec![],
                    seq,
                },
            );
            for (zone, cidr) in &r.default_vswitches {
                seq += 1;
                let id = g.resource_id("vsw", &r.id_code);
                rs.vswitches.insert(
                    id.clone(),
                    VSwitch {
                        id,
                        region_id: r.region_id.clone(),
                        vpc_id: vpc_id.clone(),
                        zone_id: zone.clone(),
                        cidr: *cidr,
                        name: String::new(),
                        description: String::new(),
                        is_default: true,
                        status: VSwitchStatus::Available,
                        created_ms: world.created_at,
                        route_table_id: route_table_id.clone(),
                        resource_group_id: resource_group_id.clone(),
                        tags: vec![],
                        used_ips: Default::default(),
                        seq,
                    },
                );
            }
            regions.insert(r.region_id.clone(), rs);
        }
        AccountState {
            access_key_id: spec.access_key_id.clone(),
            owner_id: spec.account_id,
            resource_group_id,
            regions,
            ids: IdGen::new(seed ^ hash_str(&spec.access_key_id)),
            seq,
            timers: Timers::default(),
            tokens: ClientTokens::default(),
            legacy_bandwidth_packages: spec.legacy_bandwidth_packages.unwrap_or(world.legacy_bandwidth_packages),
        }
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Whether a transition is due (cheap: lets readers skip the write lock).
    pub fn needs_settle(&self, now: Millis) -> bool {
        self.timers.next_deadline().is_some_and(|d| d <= now)
    }

    /// Applies every transition due at `now`, oldest first.
    pub fn settle(&mut self, now: Millis) {
        while let Some(due) = self.timers.pop_due(now) {
            match due {
                Due::VpcAvailable { region, id } => {
                    if let Some(v) = self.regions.get_mut(&region).and_then(|r| r.vpcs.get_mut(&id)) {
                        if v.status == VpcStatus::Pending {
                            v.status = VpcStatus::Available;
                        }
                    }
                }
                Due::VSwitchAvailable { region, id } => {
                    if let Some(v) = self.regions.get_mut(&region).and_then(|r| r.vswitches.get_mut(&id)) {
                        if v.status == VSwitchStatus::Pending {
                            v.status = VSwitchStatus::Available;
                        }
                    }
                }
                Due::NatAvailable { region, id } => {
                    if let Some(g) = self.regions.get_mut(&region).and_then(|r| r.nat_gateways.get_mut(&id)) {
                        if matches!(g.status, NatStatus::Creating | NatStatus::Modifying | NatStatus::Converting) {
                            g.status = NatStatus::Available;
                        }
                    }
                }
                Due::NatGone { region, id } => {
                    if let Some(r) = self.regions.get_mut(&region) {
                        if r.nat_gateways.get(&id).is_some_and(|g| g.status == NatStatus::Deleting) {
                            r.remove_nat_gateway(&id);
                        }
                    }
                }
                Due::EipInUse { region, id } => {
                    if let Some(e) = self.regions.get_mut(&region).and_then(|r| r.eips.get_mut(&id)) {
                        if e.status == EipStatus::Associating {
                            e.status = EipStatus::InUse;
                        }
                    }
                }
                Due::ForwardAvailable { region, id } => {
                    if let Some(e) = self.regions.get_mut(&region).and_then(|r| r.forward_entries.get_mut(&id)) {
                        if e.status == EntryStatus::Pending {
                            e.status = EntryStatus::Available;
                        }
                    }
                }
                Due::ForwardGone { region, id } => {
                    if let Some(r) = self.regions.get_mut(&region) {
                        if r.forward_entries.get(&id).is_some_and(|e| e.status == EntryStatus::Deleting) {
                            r.forward_entries.remove(&id);
                        }
                    }
                }
                Due::SnatAvailable { region, id } => {
                    if let Some(e) = self.regions.get_mut(&region).and_then(|r| r.snat_entries.get_mut(&id)) {
                        if e.status == EntryStatus::Pending {
                            e.status = EntryStatus::Available;
                        }
                    }
                }
                Due::SnatGone { region, id } => {
                    if let Some(r) = self.regions.get_mut(&region) {
                        if r.snat_entries.get(&id).is_some_and(|e| e.status == EntryStatus::Deleting) {
                            r.snat_entries.remove(&id);
                        }
                    }
                }
                Due::EipUnbound { region, id } => {
                    if let Some(e) = self.regions.get_mut(&region).and_then(|r| r.eips.get_mut(&id)) {
                        if e.status == EipStatus::Unassociating {
                            e.status = EipStatus::Available;
                            e.binding = None;
                        }
                    }
                }
            }
        }
    }

    /// The state of a region the world knows (`InvalidRegionId.NotFound` otherwise).
    pub fn region(&self, id: &str) -> Result<&RegionState, ApiError> {
        self.regions.get(id).ok_or(ApiError::InvalidRegionIdNotFound)
    }

    pub fn region_mut(&mut self, id: &str) -> Result<&mut RegionState, ApiError> {
        self.regions.get_mut(id).ok_or(ApiError::InvalidRegionIdNotFound)
    }

    /// Finds a VPC in `region`, or in any region when the action's RegionId is optional and absent.
    pub fn find_vpc(&self, region: Option<&str>, id: &str) -> Result<&Vpc, ApiError> {
        match region {
            Some(r) => self.region(r)?.vpcs.get(id),
            None => self.regions.values().find_map(|r| r.vpcs.get(id)),
        }
        .ok_or(ApiError::InvalidVpcIdNotFound)
    }

    /// Schedules `due` after `delay` ms, or applies it at once when the delay is 0.
    pub fn after(&mut self, now: Millis, delay: u64, due: Due) {
        self.timers.schedule(now + delay, due);
        if delay == 0 {
            self.settle(now);
        }
    }

    pub fn nat_gateway(&self, region: &str, id: &str) -> Result<&NatGateway, ApiError> {
        self.region(region)?.nat_gateways.get(id).ok_or(ApiError::InvalidNatGatewayIdNotFound)
    }

    pub fn nat_gateway_mut(&mut self, region: &str, id: &str) -> Result<&mut NatGateway, ApiError> {
        self.region_mut(region)?.nat_gateways.get_mut(id).ok_or(ApiError::InvalidNatGatewayIdNotFound)
    }

    pub fn find_vswitch(&self, region: Option<&str>, id: &str) -> Result<&VSwitch, ApiError> {
        match region {
            Some(r) => self.region(r)?.vswitches.get(id),
            None => self.regions.values().find_map(|r| r.vswitches.get(id)),
        }
        .ok_or(ApiError::InvalidVSwitchIdNotFound)
    }
}

/// A secret that never prints and never compares with `==`.
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// An account: its keys (with the HMAC keys prepared once) and its state.
pub struct Account {
    pub access_key_id: String,
    pub owner_id: u64,
    pub secret: Secret,
    /// HMAC-SHA1 keyed with `secret + "&"` (RPC v1), cloned per request.
    pub v1_mac: Hmac<Sha1>,
    /// HMAC-SHA256 keyed with `secret` (ACS3).
    pub v3_mac: Hmac<Sha256>,
    pub spec: AccountSpec,
    pub state: StateLock,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

impl Account {
    pub fn new(world: &World, spec: &AccountSpec, seed: u64) -> Account {
        let v1_key = format!("{}&", spec.access_key_secret);
        Account {
            access_key_id: spec.access_key_id.clone(),
            owner_id: spec.account_id,
            secret: Secret(spec.access_key_secret.clone()),
            v1_mac: Hmac::<Sha1>::new_from_slice(v1_key.as_bytes()).expect("HMAC takes any key length"),
            v3_mac: Hmac::<Sha256>::new_from_slice(spec.access_key_secret.as_bytes())
                .expect("HMAC takes any key length"),
            spec: spec.clone(),
            state: StateLock::new(AccountState::initial(world, spec, seed)),
        }
    }
}

/// Frees `value` on the reaper thread, a moment later: freeing a large world (a reset, a restore)
/// takes milliseconds of CPU, which should neither delay the answer nor compete with it for the
/// machine's cores while it is being sent. One thread, started on first use; if it cannot be
/// started, the value is freed here.
pub fn drop_later<T: Send + 'static>(value: T) {
    type Garbage = Box<dyn Send>;
    static REAPER: OnceLock<Option<Mutex<std::sync::mpsc::Sender<Garbage>>>> = OnceLock::new();
    let reaper = REAPER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Garbage>();
        let spawned = std::thread::Builder::new().name("reaper".into()).spawn(move || {
            while let Ok(first) = rx.recv() {
                std::thread::sleep(std::time::Duration::from_millis(20));
                drop(first);
                while let Ok(more) = rx.try_recv() {
                    drop(more);
                }
            }
        });
        spawned.ok().map(|_| Mutex::new(tx))
    });
    let garbage: Garbage = Box::new(value);
    if let Some(tx) = reaper {
        // A send fails only if the thread is gone; the value then comes back and is freed here.
        if let Err(back) = tx.lock().send(garbage) {
            drop(back.0);
        }
    }
}

/// Every account, by AccessKeyId.
pub struct Store {
    pub world: Arc<World>,
    accounts: RwLock<HashMap<String, Arc<Account>>>,
    seed: parking_lot::Mutex<u64>,
    /// EIP addresses per region, shared by every account.
    pub pools: Mutex<Pools>,
}

impl Store {
    pub fn new(world: Arc<World>, seed: u64) -> Store {
        let accounts = world
            .accounts
            .iter()
            .map(|spec| (spec.access_key_id.clone(), Arc::new(Account::new(&world, spec, seed))))
            .collect();
        let pools = world.regions.iter().map(|r| (r.region_id.clone(), IpPool::new(r.eip_pool.clone()))).collect();
        Store { world, accounts: RwLock::new(accounts), seed: Mutex::new(seed), pools: Mutex::new(pools) }
    }

    pub fn account(&self, access_key_id: &str) -> Option<Arc<Account>> {
        self.accounts.read().get(access_key_id).cloned()
    }

    pub fn account_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.accounts.read().keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Puts one account back to its initial world. The id generator keeps running, so ids handed
    /// out before the reset are never handed out again.
    pub fn reset_account(&self, access_key_id: &str) -> bool {
        let Some(acc) = self.account(access_key_id) else {
            return false;
        };
        let mut fresh = AccountState::initial(&self.world, &acc.spec, *self.seed.lock());
        let old = {
            let mut st = acc.state.write();
            fresh.ids = st.ids.clone();
            std::mem::replace(&mut *st, fresh)
        };
        // The account's EIP addresses go back to the shared pools (lock order: account, then pools;
        // the account lock is no longer held here).
        {
            let mut pools = self.pools.lock();
            for (region, rs) in &old.regions {
                if let Some(pool) = pools.get_mut(region) {
                    for e in rs.eips.values() {
                        pool.give_back(e.ip);
                    }
                    for p in rs.bandwidth_packages.values() {
                        for i in &p.ips {
                            pool.give_back(i.ip);
                        }
                    }
                }
            }
        }
        // Freeing a large world takes milliseconds: off the request path.
        drop_later(old);
        true
    }

    pub fn reset_all(&self) -> Vec<String> {
        let ids = self.account_ids();
        for id in &ids {
            self.reset_account(id);
        }
        ids
    }

    /// Adds an account at run time (its own default world, as the world file describes one).
    /// Refused when the AccessKeyId exists already.
    pub fn add_account(&self, spec: AccountSpec) -> Result<(), String> {
        if spec.access_key_id.is_empty() || spec.access_key_secret.is_empty() {
            return Err("access_key_id and access_key_secret must not be empty".into());
        }
        let mut accounts = self.accounts.write();
        if accounts.contains_key(&spec.access_key_id) {
            return Err(format!("an account with AccessKeyId {:?} exists already", spec.access_key_id));
        }
        let acc = Account::new(&self.world, &spec, *self.seed.lock());
        accounts.insert(spec.access_key_id.clone(), Arc::new(acc));
        Ok(())
    }

    /// Restarts every account's id generator from `seed` (the same requests in the same order then
    /// give the same ids). Default-world ids do not depend on the seed.
    pub fn reseed(&self, seed: u64) {
        *self.seed.lock() = seed;
        for acc in self.accounts.read().values() {
            acc.state.write().ids = IdGen::new(seed ^ hash_str(&acc.access_key_id));
        }
    }

    /// Replaces every account and the EIP pools at once (persistence: a snapshot, an imported
    /// document). Every current account's write lock is held (in AccessKeyId order) while states
    /// and pools are replaced, so a write in flight lands wholly before or wholly after. An account
    /// whose keys and settings are unchanged keeps its `Account` (its state replaced in place); the
    /// others are created; accounts not listed are removed. Sets the seed of the id generators.
    pub fn restore_accounts(&self, seed: u64, accounts: Vec<(AccountSpec, AccountState)>, pools: Pools) {
        let mut map = self.accounts.write();
        *self.seed.lock() = seed;
        let mut current: Vec<Arc<Account>> = map.values().cloned().collect();
        current.sort_by(|a, b| a.access_key_id.cmp(&b.access_key_id));
        let mut guards: Vec<_> = current.iter().map(|a| (a.access_key_id.clone(), a.state.write())).collect();
        let mut next = HashMap::with_capacity(accounts.len());
        let mut old_states = Vec::new();
        for (spec, state) in accounts {
            let kept = map.get(&spec.access_key_id).filter(|a| {
                a.spec.access_key_secret == spec.access_key_secret
                    && a.spec.account_id == spec.account_id
                    && a.spec.name == spec.name
                    && a.spec.legacy_bandwidth_packages == spec.legacy_bandwidth_packages
            });
            let acc = match kept {
                Some(a) => {
                    if let Some((_, g)) = guards.iter_mut().find(|(id, _)| *id == spec.access_key_id) {
                        old_states.push(std::mem::replace(&mut **g, state));
                    }
                    a.clone()
                }
                None => {
                    let a = Account::new(&self.world, &spec, seed);
                    *a.state.write() = state;
                    Arc::new(a)
                }
            };
            next.insert(spec.access_key_id.clone(), acc);
        }
        *self.pools.lock() = pools;
        let old = std::mem::replace(&mut *map, next);
        drop(guards);
        drop(map);
        drop(old);
        drop_later(old_states); // outside the locks: a large world takes a while to free
    }

    /// The seed the accounts' id generators started from.
    pub fn seed(&self) -> u64 {
        *self.seed.lock()
    }

    /// A consistent copy of every account at one moment (all read locks held together, taken in
    /// AccessKeyId order), with the transitions due at `now` applied to the copies.
    pub fn snapshot_all(&self, now: Millis) -> Vec<AccountState> {
        let accounts = self.accounts();
        let guards: Vec<_> = accounts.iter().map(|a| a.state.read()).collect();
        let mut copies: Vec<AccountState> = guards.iter().map(|g| (**g).clone()).collect();
        drop(guards);
        for c in &mut copies {
            c.settle(now);
        }
        copies
    }

    /// Every account, in AccessKeyId order.
    pub fn accounts(&self) -> Vec<Arc<Account>> {
        let mut v: Vec<Arc<Account>> = self.accounts.read().values().cloned().collect();
        v.sort_by(|a, b| a.access_key_id.cmp(&b.access_key_id));
        v
    }
}

impl Indexed for Vpc {
    fn seq(&self) -> u64 {
        self.seq
    }
}

impl Indexed for VSwitch {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn group(&self) -> &str {
        &self.vpc_id
    }
}

impl Indexed for NatGateway {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn group(&self) -> &str {
        &self.vpc_id
    }
    fn aliases(&self) -> Vec<&str> {
        vec![&self.forward_table_id, &self.snat_table_id]
    }
}

impl Indexed for Eip {
    fn seq(&self) -> u64 {
        self.seq
    }
}

impl Indexed for ForwardEntry {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn group(&self) -> &str {
        &self.nat_gateway_id
    }
}

impl Indexed for SnatEntry {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn group(&self) -> &str {
        &self.nat_gateway_id
    }
}

impl Indexed for BandwidthPackage {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn group(&self) -> &str {
        &self.nat_gateway_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_ids_are_stable_and_per_account() {
        let w = World::default_world().unwrap();
        let a = AccountState::initial(&w, &w.accounts[0], 1);
        let b = AccountState::initial(&w, &w.accounts[0], 2);
        let c = AccountState::initial(&w, &w.accounts[1], 1);
        let ids = |s: &AccountState| s.regions["cn-hangzhou"].vpcs.keys().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b), "default ids do not depend on the seed");
        assert_ne!(ids(&a), ids(&c));
        assert!(ids(&a)[0].starts_with("vpc-bp1"));
    }

    #[test]
    fn timers_fire_in_order() {
        let w = World::default_world().unwrap();
        let mut s = AccountState::initial(&w, &w.accounts[0], 1);
        let id = s.regions["cn-hangzhou"].vpcs.keys().next().unwrap().to_owned();
        s.regions.get_mut("cn-hangzhou").unwrap().vpcs.get_mut(&id).unwrap().status = VpcStatus::Pending;
        s.timers.schedule(100, Due::VpcAvailable { region: "cn-hangzhou".into(), id: id.clone() });
        assert!(!s.needs_settle(99));
        s.settle(99);
        assert_eq!(s.regions["cn-hangzhou"].vpcs[&id].status, VpcStatus::Pending);
        assert!(s.needs_settle(100));
        s.settle(100);
        assert_eq!(s.regions["cn-hangzhou"].vpcs[&id].status, VpcStatus::Available);
        assert!(s.timers.is_empty());
    }
}
