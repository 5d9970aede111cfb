//! `ACTIONS`: the one table of supported actions, and how every action is run.
//!
//! An action is a module with `parse(&Params) -> Result<Request>` (syntax only: missing and
//! malformed parameters) and `handle(state, ctx, Request) -> Result<Response>` (semantics: all checks
//! first, then the mutation). Reads run under the account's read lock, writes under its write
//! lock after due status transitions are applied; a write with a `ClientToken` that was seen
//! before returns the first reply, or `IdempotentParameterMismatch` if its parameters differ.
//! With a data directory, [`execute_write`] also keeps the global order of writes and journals each
//! successful one before its locks are released (`persist::live`). Knows nothing of HTTP.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use axum::body::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::actions;
use crate::app::App;
use crate::error::ApiError;
use crate::params::Params;
use crate::persist::live::FailOnPanic;
use crate::store::{Account, AccountState, Ctx, TokenEntry};

/// An action's answer: its response serialized once, straight from the typed struct, as the bytes
/// of a JSON object with the fields in documentation order (shared, not copied, by the HTTP body).
/// JSON replies send it after `RequestId` without a tree in between; XML, ClientToken replays and
/// `--init` references read it as a [`Map`] ([`Reply::to_map`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply(Bytes);

impl Default for Reply {
    fn default() -> Self {
        Reply::new()
    }
}

impl Reply {
    /// `{}`.
    pub fn new() -> Reply {
        Reply(Bytes::from_static(b"{}"))
    }

    /// The reply of a typed response (which must serialize as a JSON object).
    pub fn of<T: Serialize>(resp: &T) -> Result<Reply, ApiError> {
        Reply::sized(resp, &AtomicUsize::new(1024))
    }

    /// [`Reply::of`] into a buffer sized like the action's last reply (`size`, updated here), so
    /// that a page of 50 (~65 KB) is not grown by doubling and copying.
    pub fn sized<T: Serialize>(resp: &T, size: &AtomicUsize) -> Result<Reply, ApiError> {
        let mut out = Vec::with_capacity(size.load(Ordering::Relaxed));
        crate::json::write(&mut out, resp).map_err(|e| ApiError::InternalError(e.to_string()))?;
        size.store((out.len() + out.len() / 8).max(256), Ordering::Relaxed);
        if out.len() * 2 < out.capacity() {
            out.shrink_to_fit();
        }
        Reply::from_object_bytes(out)
    }

    /// A reply written by hand (the text of one JSON object).
    pub fn from_object_bytes(out: Vec<u8>) -> Result<Reply, ApiError> {
        if out.first() == Some(&b'{') && out.last() == Some(&b'}') {
            Ok(Reply(Bytes::from(out)))
        } else {
            Err(ApiError::InternalError("a response is not an object".into()))
        }
    }

    pub fn from_map(m: &Map<String, Value>) -> Reply {
        Reply(Bytes::from(Value::Object(m.clone()).to_string()))
    }

    /// The object from its first member on: `"A":1,"B":2}`, or `}` for `{}` (shares the bytes).
    pub fn after_brace(&self) -> Bytes {
        self.0.slice(1..)
    }

    /// Whether the object has no members.
    pub fn is_empty(&self) -> bool {
        self.0.len() <= 2
    }

    /// The reply as a tree (documentation order kept).
    pub fn to_map(&self) -> Map<String, Value> {
        serde_json::from_slice(&self.0).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

#[derive(Clone, Copy)]
pub enum Runner {
    Read(fn(&Params, &Ctx<'_>, &AccountState) -> Result<Reply, ApiError>),
    Write(fn(&Params, &Ctx<'_>, &mut AccountState) -> Result<Reply, ApiError>),
}

#[derive(Clone, Copy)]
pub struct ActionDef {
    pub name: &'static str,
    pub run: Runner,
}

impl ActionDef {
    pub fn kind(&self) -> Kind {
        match self.run {
            Runner::Read(_) => Kind::Read,
            Runner::Write(_) => Kind::Write,
        }
    }
}

/// Serializes an action's response into its reply (`size`: the action's last reply size).
pub fn to_reply<T: Serialize>(resp: T, size: &AtomicUsize) -> Result<Reply, ApiError> {
    Reply::sized(&resp, size)
}

macro_rules! read {
    ($name:literal, $($m:ident)::+) => {
        ActionDef {
            name: $name,
            run: Runner::Read(|p, c, s| {
                static SIZE: AtomicUsize = AtomicUsize::new(1024);
                let req = $($m)::+::parse(p)?;
                to_reply($($m)::+::handle(s, c, req)?, &SIZE)
            }),
        }
    };
}

macro_rules! write {
    ($name:literal, $($m:ident)::+) => {
        ActionDef {
            name: $name,
            run: Runner::Write(|p, c, s| {
                static SIZE: AtomicUsize = AtomicUsize::new(1024);
                let req = $($m)::+::parse(p)?;
                to_reply($($m)::+::handle(s, c, req)?, &SIZE)
            }),
        }
    };
}

/// A read whose module writes its own reply (`reply` instead of `handle`, e.g. from cached views).
macro_rules! read_reply {
    ($name:literal, $($m:ident)::+) => {
        ActionDef {
            name: $name,
            run: Runner::Read(|p, c, s| {
                let req = $($m)::+::parse(p)?;
                $($m)::+::reply(s, c, req)
            }),
        }
    };
}

/// Every supported action. Adding one: its module, one line here, docs/actions.md, its tests.
pub static ACTIONS: &[ActionDef] = &[
    read!("DescribeRegions", actions::region::describe_regions),
    read!("DescribeZones", actions::region::describe_zones),
    write!("CreateVpc", actions::vpc::create_vpc),
    read!("DescribeVpcs", actions::vpc::describe_vpcs),
    read!("DescribeVpcAttribute", actions::vpc::describe_vpc_attribute),
    write!("DeleteVpc", actions::vpc::delete_vpc),
    write!("CreateVSwitch", actions::vswitch::create_vswitch),
    read!("DescribeVSwitches", actions::vswitch::describe_vswitches),
    read!("DescribeVSwitchAttributes", actions::vswitch::describe_vswitch_attributes),
    write!("DeleteVSwitch", actions::vswitch::delete_vswitch),
    write!("CreateNatGateway", actions::nat_gateway::create_nat_gateway),
    read_reply!("DescribeNatGateways", actions::nat_gateway::describe_nat_gateways),
    write!("ModifyNatGatewayAttribute", actions::nat_gateway::modify_nat_gateway_attribute),
    write!("ModifyNatGatewaySpec", actions::nat_gateway::modify_nat_gateway_spec),
    write!("DeleteNatGateway", actions::nat_gateway::delete_nat_gateway),
    read!("GetNatGatewayAttribute", actions::nat_gateway::get_nat_gateway_attribute),
    write!("DeletionProtection", actions::nat_gateway::deletion_protection),
    write!("UpdateNatGatewayNatType", actions::nat_gateway::update_nat_gateway_nat_type),
    read!("ListEnhanhcedNatGatewayAvailableZones", actions::nat_gateway::list_enhanhced_nat_gateway_available_zones),
    write!("AllocateEipAddress", actions::eip::allocate_eip_address),
    write!("AssociateEipAddress", actions::eip::associate_eip_address),
    write!("UnassociateEipAddress", actions::eip::unassociate_eip_address),
    write!("ReleaseEipAddress", actions::eip::release_eip_address),
    read!("DescribeEipAddresses", actions::eip::describe_eip_addresses),
    write!("ModifyEipAddressAttribute", actions::eip::modify_eip_address_attribute),
    write!("CreateForwardEntry", actions::forward_entry::create_forward_entry),
    write!("ModifyForwardEntry", actions::forward_entry::modify_forward_entry),
    read!("DescribeForwardTableEntries", actions::forward_entry::describe_forward_table_entries),
    write!("DeleteForwardEntry", actions::forward_entry::delete_forward_entry),
    write!("CreateSnatEntry", actions::snat_entry::create_snat_entry),
    write!("ModifySnatEntry", actions::snat_entry::modify_snat_entry),
    read!("DescribeSnatTableEntries", actions::snat_entry::describe_snat_table_entries),
    write!("DeleteSnatEntry", actions::snat_entry::delete_snat_entry),
    write!("CreateBandwidthPackage", actions::bandwidth_package::create_bandwidth_package),
    read!("DescribeBandwidthPackages", actions::bandwidth_package::describe_bandwidth_packages),
    write!("ModifyBandwidthPackageAttribute", actions::bandwidth_package::modify_bandwidth_package_attribute),
    write!("ModifyBandwidthPackageSpec", actions::bandwidth_package::modify_bandwidth_package_spec),
    write!("AddBandwidthPackageIps", actions::bandwidth_package::add_bandwidth_package_ips),
    write!("RemoveBandwidthPackageIps", actions::bandwidth_package::remove_bandwidth_package_ips),
    write!("DeleteBandwidthPackage", actions::bandwidth_package::delete_bandwidth_package),
    write!("TagResources", actions::tag::tag_resources),
    write!("UnTagResources", actions::tag::untag_resources),
    read!("ListTagResources", actions::tag::list_tag_resources),
];

pub fn find(name: &str) -> Option<&'static ActionDef> {
    static INDEX: OnceLock<HashMap<&'static str, &'static ActionDef>> = OnceLock::new();
    INDEX.get_or_init(|| ACTIONS.iter().map(|a| (a.name, a)).collect()).get(name).copied()
}

/// Runs an action against an account (no journal: memory-only writes, reads, and replay).
pub fn execute(def: &ActionDef, account: &Account, params: &Params, ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    match def.run {
        Runner::Read(f) => {
            {
                let st = account.state.read();
                if !st.needs_settle(ctx.now) {
                    return f(params, ctx, &st);
                }
            }
            let mut st = account.state.write();
            st.settle(ctx.now);
            f(params, ctx, &st)
        }
        Runner::Write(f) => {
            let mut st = account.state.write();
            write_locked(def, f, &mut st, params, ctx).map(|(reply, _)| reply)
        }
    }
}

/// A write, with the account's write lock held: due transitions, the ClientToken, the handler.
/// Returns the reply and whether the state changed (a ClientToken's remembered reply did not).
fn write_locked(
    def: &ActionDef,
    f: fn(&Params, &Ctx<'_>, &mut AccountState) -> Result<Reply, ApiError>,
    st: &mut AccountState,
    params: &Params,
    ctx: &Ctx<'_>,
) -> Result<(Reply, bool), ApiError> {
    st.settle(ctx.now);
    let token = params.opt("ClientToken");
    if let Some(token) = token {
        if let Some(seen) = st.tokens.get(def.name, token) {
            return if seen.fingerprint == params.fingerprint() {
                Ok((seen.reply.as_object().map(Reply::from_map).unwrap_or_default(), false))
            } else {
                Err(ApiError::IdempotentParameterMismatch)
            };
        }
    }
    // A refused request leaves the state as it was (invariant 2); the id generator and the
    // creation counter are put back explicitly, so that a refusal never shifts later ids (replay
    // only sees the writes that succeeded).
    let (ids, seq) = (st.ids.clone(), st.seq);
    let reply = match f(params, ctx, st) {
        Ok(r) => r,
        Err(e) => {
            st.ids = ids;
            st.seq = seq;
            return Err(e);
        }
    };
    if let Some(token) = token {
        let entry = TokenEntry { fingerprint: params.fingerprint(), reply: Value::Object(reply.to_map()) };
        st.tokens.insert(def.name, token, entry);
    }
    Ok((reply, true))
}

/// What a write came to: the reply, and the journal seq the answer must wait for (with a data
/// directory, when the state changed).
#[derive(Debug)]
pub struct Written {
    pub reply: Reply,
    pub seq: Option<u64>,
}

/// How a write reaches the journal: the running emulator, and whether the handler takes the
/// current settings (a live request) or keeps the context's (init data runs with no delays; the
/// record then says so).
#[derive(Clone, Copy)]
pub struct Recording<'a> {
    pub app: &'a App,
    pub live_settings: bool,
}

/// Runs an action; with a data directory a successful write is journaled before the locks are
/// released. The global order of writes is taken first, then the account's lock; the clock (and,
/// for a live request, the settings) is read once both are held, so that writes see
/// non-decreasing times and replay sees exactly what the handler saw. Reads and memory-only
/// writes run as [`execute`] does.
pub fn execute_write(
    def: &ActionDef,
    account: &Account,
    params: &Params,
    ctx: &Ctx<'_>,
    rec: Recording<'_>,
) -> Result<Written, ApiError> {
    let app = rec.app;
    let (Runner::Write(f), Some(disk)) = (def.run, app.persist.disk()) else {
        return execute(def, account, params, ctx).map(|reply| Written { reply, seq: None });
    };
    // A record must fit the journal (only a --max-body-bytes far above the default gets here).
    const MAX_PARAM_BYTES: usize = 32 << 20;
    if params.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > MAX_PARAM_BYTES {
        return Err(ApiError::BodyTooLarge { limit: MAX_PARAM_BYTES });
    }
    let _order = app.persist.order();
    disk.check()?;
    // An account replaced by an import or a snapshot restore since this request authenticated.
    if !app.store.account(&account.access_key_id).is_some_and(|a| std::ptr::eq(&*a, account)) {
        return Err(ApiError::InvalidAccessKeyIdNotFound);
    }
    let mut st = account.state.write();
    let settings = *app.settings.read();
    let mut ctx = *ctx;
    ctx.now = app.clock.now_ms();
    if rec.live_settings {
        ctx.delays = settings.delays;
        ctx.quotas = settings.quotas;
    }
    let guard = FailOnPanic(Some(disk));
    let (reply, changed) = write_locked(def, f, &mut st, params, &ctx)?;
    let seq = if changed {
        Some(disk.append_action(&account.access_key_id, def.name, params, &ctx, &settings)?)
    } else {
        None
    };
    drop(guard);
    Ok(Written { reply, seq })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_and_found() {
        let mut names: Vec<_> = ACTIONS.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ACTIONS.len());
        assert!(find("DescribeVpcs").is_some());
        assert!(find("describeVpcs").is_none(), "action names are case-sensitive");
    }
}
