//! DescribeNatGateways (ACTIONS.md §2.4, REAL-SERVICE §5.2): every filter of both eras, paging
//! (default 10, max 50, a page past the end is empty), newest first, every response field with its
//! wrapper present even when empty. An unknown NatGatewayId gives an empty list (REAL-SERVICE §4.3).

use std::net::Ipv4Addr;

use serde::Serialize;

use super::create_nat_gateway::{BandwidthPackageIds, ForwardTableIds, FullNatTableIds, SnatTableIds};
use super::{ip_list, IpListItem, NatTags};
use crate::actions::{dry_run, has_tags, page, page_of};
use crate::clock::format_iso;
use crate::dispatch::Reply;
use crate::error::ApiError;
use crate::model::{NatGateway, NatStatus};
use crate::params::{Paging, Params, Tag};
use crate::store::{AccountState, Ctx, RegionState};

pub struct Request {
    region_id: String,
    nat_gateway_id: Option<String>,
    vpc_id: Option<String>,
    name: Option<String>,
    status: Option<NatStatus>,
    spec: Option<String>,
    nat_type: Option<String>,
    network_type: Option<String>,
    instance_charge_type: Option<String>,
    resource_group_id: Option<String>,
    zone_id: Option<String>,
    availability_mode: Option<String>,
    tags: Vec<Tag>,
    paging: Paging,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let status = match p.opt("Status") {
        None => None,
        Some(s) => Some(NatStatus::parse(s).ok_or_else(|| {
            ApiError::invalid("Status", "valid values are Creating, Available, Modifying, Deleting, Converting.")
        })?),
    };
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        nat_gateway_id: p.opt_string("NatGatewayId"),
        vpc_id: p.opt_string("VpcId"),
        name: p.opt_string("Name"),
        status,
        spec: p.opt_string("Spec"),
        nat_type: p.opt_string("NatType"),
        network_type: p.opt_string("NetworkType"),
        instance_charge_type: p.opt_string("InstanceChargeType"),
        resource_group_id: p.opt_string("ResourceGroupId"),
        zone_id: p.opt_string("ZoneId"),
        availability_mode: p.opt_string("AvailabilityMode"),
        tags: p.tags("Tag")?,
        paging: p.paging(50)?,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response<'a> {
    pub total_count: usize,
    pub page_number: usize,
    pub page_size: usize,
    pub nat_gateways: NatGateways<'a>,
}

#[derive(Debug, Serialize)]
pub struct NatGateways<'a> {
    #[serde(rename = "NatGateway")]
    pub items: Vec<NatGatewayView<'a>>,
}

/// One gateway, borrowing from the state (a page of 50 copies no strings).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatGatewayView<'a> {
    pub nat_gateway_id: &'a str,
    pub region_id: &'a str,
    pub vpc_id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub status: &'static str,
    pub business_status: &'static str,
    pub nat_type: &'a str,
    pub network_type: &'a str,
    pub spec: &'a str,
    pub instance_charge_type: &'a str,
    pub internet_charge_type: &'a str,
    pub auto_pay: bool,
    pub expired_time: String,
    pub creation_time: String,
    pub resource_group_id: &'a str,
    pub deletion_protection: bool,
    pub ecs_metric_enabled: bool,
    pub icmp_reply_enabled: bool,
    pub eip_bind_mode: &'a str,
    pub security_protection_enabled: bool,
    pub private_link_enabled: bool,
    pub private_link_mode: &'static str,
    pub enable_session_log: &'static str,
    pub availability_mode: &'a str,
    pub access_mode: AccessModeView<'a>,
    pub forward_table_ids: ForwardTableIds<&'a str>,
    pub snat_table_ids: SnatTableIds<&'a str>,
    pub full_nat_table_ids: FullNatTableIds<&'a str>,
    pub bandwidth_package_ids: BandwidthPackageIds<&'a str>,
    pub ip_lists: IpLists<'a>,
    pub ip_prefix_list: IpPrefixList<'a>,
    pub nat_gateway_private_info: PrivateInfo<'a>,
    pub tags: NatTags<'a>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessModeView<'a> {
    pub mode_value: &'a str,
    pub tunnel_type: &'a str,
}

impl<'a> AccessModeView<'a> {
    pub fn of(g: &'a NatGateway) -> Self {
        g.access_mode
            .as_ref()
            .map(|a| AccessModeView { mode_value: &a.mode_value, tunnel_type: &a.tunnel_type })
            .unwrap_or_default()
    }
}

#[derive(Debug, Serialize)]
pub struct IpLists<'a> {
    #[serde(rename = "IpList")]
    pub items: Vec<IpListItem<'a>>,
}

#[derive(Debug, Serialize)]
pub struct IpPrefixList<'a> {
    #[serde(rename = "IpPrefixList")]
    pub items: Vec<IpPrefix<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPrefix<'a> {
    pub ip_prefix: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrivateInfo<'a> {
    pub vswitch_id: &'a str,
    pub iz_no: &'a str,
    /// The gateway's private address, or "" (a standard gateway without a vSwitch).
    #[serde(serialize_with = "ip_or_empty")]
    pub private_ip_address: Option<Ipv4Addr>,
    pub eni_instance_id: &'a str,
    pub eni_type: &'static str,
    pub max_bandwidth: u32,
    pub max_session_establish_rate: u32,
    pub max_session_quota: u32,
}

fn ip_or_empty<S: serde::Serializer>(ip: &Option<Ipv4Addr>, s: S) -> Result<S::Ok, S::Error> {
    match ip {
        Some(ip) => s.collect_str(ip),
        None => s.serialize_str(""),
    }
}

pub fn private_info(g: &NatGateway) -> PrivateInfo<'_> {
    PrivateInfo {
        vswitch_id: &g.vswitch_id,
        iz_no: &g.zone_id,
        private_ip_address: g.private_ip,
        eni_instance_id: &g.eni_id,
        eni_type: if g.vswitch_id.is_empty() { "" } else { "Secondary" },
        max_bandwidth: if g.vswitch_id.is_empty() { 0 } else { 5120 },
        max_session_establish_rate: 0,
        max_session_quota: 0,
    }
}

pub fn view<'a>(rs: &'a RegionState, g: &'a NatGateway) -> NatGatewayView<'a> {
    NatGatewayView {
        nat_gateway_id: &g.id,
        region_id: &g.region_id,
        vpc_id: &g.vpc_id,
        name: &g.name,
        description: &g.description,
        status: g.status.as_str(),
        business_status: "Normal",
        nat_type: &g.nat_type,
        network_type: &g.network_type,
        spec: &g.spec,
        instance_charge_type: &g.instance_charge_type,
        internet_charge_type: &g.internet_charge_type,
        auto_pay: false,
        expired_time: g.expired_ms.map(format_iso).unwrap_or_default(),
        creation_time: format_iso(g.created_ms),
        resource_group_id: &g.resource_group_id,
        deletion_protection: g.deletion_protection,
        ecs_metric_enabled: false,
        icmp_reply_enabled: g.icmp_reply_enabled,
        eip_bind_mode: &g.eip_bind_mode,
        security_protection_enabled: g.security_protection_enabled,
        private_link_enabled: g.private_link_enabled,
        private_link_mode: if g.private_link_enabled { "FullNat" } else { "" },
        enable_session_log: if g.enable_session_log { "true" } else { "false" },
        availability_mode: &g.availability_mode,
        access_mode: AccessModeView::of(g),
        forward_table_ids: ForwardTableIds { ids: vec![&g.forward_table_id] },
        snat_table_ids: SnatTableIds { ids: vec![&g.snat_table_id] },
        full_nat_table_ids: FullNatTableIds { ids: g.full_nat_table_id.iter().map(String::as_str).collect() },
        bandwidth_package_ids: BandwidthPackageIds {
            ids: rs.bandwidth_packages.group(&g.id).map(|p| p.id.as_str()).collect(),
        },
        ip_lists: IpLists { items: ip_list(rs, g) },
        ip_prefix_list: IpPrefixList { items: g.ipv4_prefix.iter().map(|p| IpPrefix { ip_prefix: p }).collect() },
        nat_gateway_private_info: private_info(g),
        tags: NatTags::of(&g.tags),
    }
}

fn eq_ci(a: &Option<String>, b: &str) -> bool {
    a.as_ref().is_none_or(|x| x.eq_ignore_ascii_case(b))
}

/// The gateways of the answer's page, and how many match in all.
type Selection<'a> = (&'a RegionState, usize, Vec<&'a NatGateway>);

fn select<'a>(st: &'a AccountState, ctx: &Ctx<'_>, req: &Request) -> Result<Selection<'a>, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let unfiltered = req.vpc_id.is_none()
        && req.name.is_none()
        && req.status.is_none()
        && req.spec.is_none()
        && req.nat_type.is_none()
        && req.network_type.is_none()
        && req.instance_charge_type.is_none()
        && req.resource_group_id.is_none()
        && req.zone_id.is_none()
        && req.availability_mode.is_none()
        && req.tags.is_empty();
    let (total, items) = match &req.nat_gateway_id {
        None if unfiltered => page_of(rs.nat_gateways.in_order().rev(), rs.nat_gateways.len(), req.paging),
        _ => {
            let matches = |g: &&NatGateway| {
                req.nat_gateway_id.as_ref().is_none_or(|id| &g.id == id)
                    && req.vpc_id.as_ref().is_none_or(|v| &g.vpc_id == v)
                    && req.name.as_ref().is_none_or(|n| &g.name == n)
                    && req.status.is_none_or(|s| g.status == s)
                    && eq_ci(&req.spec, &g.spec)
                    && eq_ci(&req.nat_type, &g.nat_type)
                    && eq_ci(&req.network_type, &g.network_type)
                    && eq_ci(&req.instance_charge_type, &g.instance_charge_type)
                    && req.resource_group_id.as_ref().is_none_or(|r| &g.resource_group_id == r)
                    && req.zone_id.as_ref().is_none_or(|z| &g.zone_id == z)
                    && eq_ci(&req.availability_mode, &g.availability_mode)
                    && has_tags(&g.tags, &req.tags)
            };
            let items: Vec<&NatGateway> = match (&req.nat_gateway_id, &req.vpc_id) {
                (Some(id), _) => rs.nat_gateways.get(id).into_iter().filter(matches).collect(),
                (None, Some(vpc)) => rs.nat_gateways.group(vpc).rev().filter(matches).collect(),
                (None, None) => rs.nat_gateways.in_order().rev().filter(matches).collect(),
            };
            page(items, req.paging)
        }
    };
    Ok((rs, total, items))
}

/// The answer as typed views.
pub fn handle<'a>(st: &'a AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response<'a>, ApiError> {
    let (rs, total, items) = select(st, ctx, &req)?;
    Ok(Response {
        total_count: total,
        page_number: req.paging.number,
        page_size: req.paging.size,
        nat_gateways: NatGateways { items: items.into_iter().map(|g| view(rs, g)).collect() },
    })
}

/// The answer as the API writes it (what `ACTIONS` runs): the same bytes as [`handle`]'s response,
/// with each gateway's view taken from the account's [`ViewCache`](crate::store::ViewCache) when
/// it was rendered since the account last changed (paging through a large unchanged list, or
/// polling it, renders each gateway once).
pub fn reply(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Reply, ApiError> {
    let (rs, total, items) = select(st, ctx, &req)?;
    let mut out = Vec::with_capacity(64 + items.len() * 1400);
    out.extend_from_slice(b"{\"TotalCount\":");
    out.extend_from_slice(total.to_string().as_bytes());
    out.extend_from_slice(b",\"PageNumber\":");
    out.extend_from_slice(req.paging.number.to_string().as_bytes());
    out.extend_from_slice(b",\"PageSize\":");
    out.extend_from_slice(req.paging.size.to_string().as_bytes());
    out.extend_from_slice(b",\"NatGateways\":{\"NatGateway\":[");
    for (i, g) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let fragment = rs.views.get_or_render(&g.id, || {
            let mut v = Vec::with_capacity(1400);
            crate::json::write(&mut v, &view(rs, g)).map(|()| v)
        });
        out.extend_from_slice(&fragment.map_err(|e| ApiError::InternalError(e.to_string()))?);
    }
    out.extend_from_slice(b"]}}");
    Reply::from_object_bytes(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;

    fn create(st: &mut AccountState, extra: &[(&str, &str)]) -> String {
        let vpc = default_vpc(st, "cn-hangzhou");
        let mut pairs = vec![("RegionId", "cn-hangzhou"), ("VpcId", vpc.as_str())];
        pairs.extend_from_slice(extra);
        let p = params(&pairs);
        create_nat_gateway::handle(st, &ctx_with_delay(1000), create_nat_gateway::parse(&p).unwrap())
            .unwrap()
            .nat_gateway_id
    }

    #[test]
    fn filters_paging_and_shape() {
        let mut st = state();
        let a = create(&mut st, &[("Name", "alpha"), ("Tag.1.Key", "env"), ("Tag.1.Value", "dev")]);
        let b = create(&mut st, &[("NetworkType", "intranet")]);
        st.settle(NOW + 1000);
        let c = create(&mut st, &[]);
        let run = |pairs: &[(&str, &str)]| handle(&st, &ctx(), parse(&params(pairs)).unwrap()).unwrap();
        let all = run(&[("RegionId", "cn-hangzhou")]);
        assert_eq!(all.total_count, 3);
        assert_eq!(all.nat_gateways.items[0].nat_gateway_id, c, "newest first");
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", &a)]).nat_gateways.items[0].name, "alpha");
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", "ngw-nope")]).total_count, 0);
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("Status", "Creating")]).nat_gateways.items[0].nat_gateway_id, c);
        assert_eq!(
            run(&[("RegionId", "cn-hangzhou"), ("NetworkType", "intranet")]).nat_gateways.items[0].nat_gateway_id,
            b
        );
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("Tag.1.Key", "env")]).total_count, 1);
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("Name", "alpha")]).total_count, 1);
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("ZoneId", "cn-hangzhou-h")]).total_count, 3);
        assert_eq!(
            run(&[("RegionId", "cn-hangzhou"), ("PageSize", "2"), ("PageNumber", "2")]).nat_gateways.items.len(),
            1
        );
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("PageNumber", "5")]).nat_gateways.items.len(), 0);
        assert_eq!(run(&[("RegionId", "cn-shanghai")]).total_count, 0);
        let json = serde_json::to_value(run(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", &a)])).unwrap();
        let g = &json["NatGateways"]["NatGateway"][0];
        assert_eq!(g["NatGatewayPrivateInfo"]["VswitchId"].as_str().map(|s| s.starts_with("vsw-")), Some(true));
        assert_eq!(g["IpLists"]["IpList"], serde_json::json!([]));
        assert_eq!(g["Tags"]["Tag"][0]["TagKey"], "env");
        assert_eq!(g["InstanceChargeType"], "PostPaid");
        assert_eq!(g["FullNatTableIds"]["FullNatTableId"], serde_json::json!([]));
    }

    #[test]
    fn cached_reply_is_the_typed_answer_and_follows_every_change() {
        use crate::store::StateLock;
        let mut st = state();
        let a = create(&mut st, &[("Name", "alpha"), ("Tag.1.Key", "env"), ("Tag.1.Value", "dev")]);
        create(&mut st, &[("NetworkType", "intranet")]);
        let lock = StateLock::new(st);
        let requests: &[&[(&str, &str)]] = &[
            &[("RegionId", "cn-hangzhou")],
            &[("RegionId", "cn-hangzhou"), ("NatGatewayId", &a)],
            &[("RegionId", "cn-hangzhou"), ("PageSize", "1"), ("PageNumber", "2")],
            &[("RegionId", "cn-hangzhou"), ("NatGatewayId", "ngw-nope")],
        ];
        let check = |lock: &StateLock| {
            let st = lock.read();
            for pairs in requests {
                let typed = Reply::of(&handle(&st, &ctx(), parse(&params(pairs)).unwrap()).unwrap()).unwrap();
                for _ in 0..2 {
                    let cached = reply(&st, &ctx(), parse(&params(pairs)).unwrap()).unwrap();
                    assert_eq!(cached, typed, "{pairs:?}");
                }
            }
            assert_eq!(st.regions["cn-hangzhou"].views.len(), 2, "each gateway rendered once");
        };
        check(&lock);
        // A change through the lock empties the cache: the next answer shows it.
        lock.write().region_mut("cn-hangzhou").unwrap().nat_gateways.get_mut(&a).unwrap().name = "renamed".into();
        assert!(lock.read().regions.values().all(|rs| rs.views.is_empty()));
        check(&lock);
        let st = lock.read();
        let body = reply(&st, &ctx(), parse(&params(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", &a)])).unwrap());
        assert!(body.unwrap().to_map()["NatGateways"].to_string().contains("renamed"));
        drop(st);
        // An imported state may repeat an id in another region: each region answers its own.
        {
            let mut st = lock.write();
            let mut twin = st.regions["cn-hangzhou"].nat_gateways[a.as_str()].clone();
            twin.region_id = "cn-shanghai".into();
            st.region_mut("cn-shanghai").unwrap().nat_gateways.insert(a.clone(), twin);
        }
        let st = lock.read();
        for region in ["cn-hangzhou", "cn-shanghai", "cn-hangzhou"] {
            let pairs = [("RegionId", region), ("NatGatewayId", a.as_str())];
            let typed = Reply::of(&handle(&st, &ctx(), parse(&params(&pairs)).unwrap()).unwrap()).unwrap();
            assert_eq!(reply(&st, &ctx(), parse(&params(&pairs)).unwrap()).unwrap(), typed, "{region}");
        }
    }

    #[test]
    fn refusals() {
        let st = state();
        for (pairs, code) in [
            (vec![], "MissingRegionId"),
            (vec![("RegionId", "nowhere")], "InvalidRegionId.NotFound"),
            (vec![("RegionId", "cn-hangzhou"), ("PageSize", "51")], "InvalidParameter"),
            (vec![("RegionId", "cn-hangzhou"), ("Status", "Sleeping")], "InvalidParameter"),
            (vec![("RegionId", "cn-hangzhou"), ("DryRun", "true")], "DryRunOperation"),
        ] {
            let r = parse(&params(&pairs)).and_then(|q| handle(&st, &ctx(), q));
            assert_eq!(r.err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
    }
}
