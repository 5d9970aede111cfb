//! CreateNatGateway (ACTIONS.md §2.1, REAL-SERVICE §5.1–5.2): every parameter of the 2019
//! reference and of the current API. The gateway starts `Creating` and becomes `Available` after the
//! configured delay; it gets a DNAT (`ftb-`) and an SNAT (`stb-`) table, a FULLNAT table (`fulltb-`)
//! when it is a VPC (intranet) gateway, a private IP and an ENI in its vSwitch, and an Internet
//! gateway adds a 0.0.0.0/0 route to its VPC unless one exists.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::{json_object, json_str};
use crate::clock::Millis;
use crate::error::ApiError;
use crate::model::nat_gateway::{
    canonical, valid_nat_name, AccessMode, AVAILABILITY_MODES, EIP_BIND_MODES, INSTANCE_CHARGE_TYPES,
    INTERNET_CHARGE_TYPES, NAT_TYPES, NETWORK_TYPES, SPECS,
};
use crate::model::{NatGateway, NatStatus, RouteEntry, VSwitch, VSwitchStatus, VpcStatus};
use crate::params::{has_url_prefix, Params, Tag};
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    vpc_id: String,
    vswitch_id: Option<String>,
    name: Option<String>,
    description: String,
    spec: Option<&'static str>,
    nat_type: &'static str,
    network_type: &'static str,
    instance_charge_type: &'static str,
    internet_charge_type: &'static str,
    duration_months: Option<u64>,
    eip_bind_mode: &'static str,
    icmp_reply_enabled: bool,
    private_link_enabled: bool,
    security_protection_enabled: bool,
    access_mode: Option<AccessMode>,
    nat_ip: Option<Ipv4Addr>,
    ipv4_prefix: Option<ipnet::Ipv4Net>,
    availability_mode: Option<&'static str>,
    tags: Vec<Tag>,
    packages: Vec<PackageSpec>,
}

/// `BandwidthPackage.N.*` (2019 reference, legacy accounts only): packages created with the gateway.
pub struct PackageSpec {
    bandwidth: u32,
    ip_count: usize,
    zone: Option<String>,
}

fn parse_packages(p: &Params) -> Result<Vec<PackageSpec>, ApiError> {
    use crate::actions::bandwidth_package::{bandwidth, ip_count, MAX_PACKAGES_PER_GATEWAY};
    let mut ns: Vec<u32> = p
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("BandwidthPackage.")?.split_once('.').map(|(n, _)| n.to_owned()))
        .map(|n| {
            n.parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ApiError::invalid("BandwidthPackage.N", "N starts at 1."))
        })
        .collect::<Result<_, _>>()?;
    ns.sort_unstable();
    ns.dedup();
    if ns.len() > MAX_PACKAGES_PER_GATEWAY {
        return Err(ApiError::QuotaExceededBandwidthPackageCount { limit: MAX_PACKAGES_PER_GATEWAY });
    }
    let mut out = Vec::new();
    for n in ns {
        let get = |f: &str| p.opt(&format!("BandwidthPackage.{n}.{f}"));
        for (k, _) in p.iter().filter(|(k, _)| k.starts_with(&format!("BandwidthPackage.{n}."))) {
            let field = &k[format!("BandwidthPackage.{n}.").len()..];
            if !["Bandwidth", "IpCount", "Zone", "ISP"].contains(&field) {
                return Err(ApiError::invalid(k, "fields are Bandwidth, IpCount, Zone, ISP."));
            }
        }
        if get("ISP").is_some_and(|i| i != "BGP") {
            return Err(ApiError::BandwidthPackageIspNotSupported);
        }
        let ip_count = ip_count(get("IpCount").ok_or(ApiError::MissingMandatory("BandwidthPackage.N.IpCount"))?)?;
        let bandwidth =
            bandwidth(get("Bandwidth").ok_or(ApiError::MissingMandatory("BandwidthPackage.N.Bandwidth"))?, 5000)?;
        out.push(PackageSpec { bandwidth, ip_count, zone: get("Zone").map(str::to_owned) });
    }
    Ok(out)
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let vpc_id = p.required_string("VpcId")?;
    let name = p.opt_string("Name");
    if name.as_deref().is_some_and(|n| !valid_nat_name(n)) {
        return Err(ApiError::InvalidNameMalformed);
    }
    let description = p.opt_string("Description").unwrap_or_default();
    let dlen = description.chars().count();
    if !description.is_empty() && (!(2..=256).contains(&dlen) || has_url_prefix(&description)) {
        return Err(ApiError::InvalidDescriptionMalformed);
    }
    let spec = match p.opt("Spec") {
        None => None,
        Some(s) => Some(canonical(s, SPECS).ok_or(ApiError::InvalidSpecValueNotSupported)?),
    };
    let instance_charge_type = p.one_of("InstanceChargeType", INSTANCE_CHARGE_TYPES)?.unwrap_or("PostPaid");
    // A Spec (the 2019 reference's way) means pay-by-spec unless the caller says otherwise.
    let internet_charge_type = p
        .one_of("InternetChargeType", INTERNET_CHARGE_TYPES)?
        .unwrap_or(if spec.is_some() || instance_charge_type == "PrePaid" { "PayBySpec" } else { "PayByLcu" });
    if instance_charge_type == "PrePaid" && internet_charge_type == "PayByLcu" {
        return Err(ApiError::PrePaidPayByLcu);
    }
    let duration_months = if instance_charge_type == "PrePaid" {
        let cycle = p.one_of("PricingCycle", &["Month", "Year"])?.unwrap_or("Month");
        let d = p.opt_int("Duration", 1, if cycle == "Year" { 3 } else { 9 })?.unwrap_or(1) as u64;
        Some(if cycle == "Year" { d * 12 } else { d })
    } else {
        None
    };
    p.opt_bool("AutoPay")?;
    let private_link_enabled = p.bool_or("PrivateLinkEnabled", false)?;
    let access_mode = match p.opt("AccessMode") {
        None => None,
        Some(raw) => {
            let m = json_object("AccessMode", raw)?;
            let mode_value = json_str(&m, "ModeValue")
                .and_then(|v| canonical(&v, &["route", "tunnel"]))
                .ok_or_else(|| ApiError::invalid("AccessMode", "ModeValue must be route or tunnel."))?;
            let tunnel_type = match json_str(&m, "TunnelType") {
                None => String::new(),
                Some(t) if t.eq_ignore_ascii_case("geneve") => "geneve".into(),
                Some(_) => return Err(ApiError::invalid("AccessMode", "TunnelType must be geneve.")),
            };
            if !private_link_enabled {
                return Err(ApiError::invalid("AccessMode", "it requires PrivateLinkEnabled=true."));
            }
            Some(AccessMode { mode_value: mode_value.to_owned(), tunnel_type })
        }
    };
    let nat_ip = match p.opt("NatIp") {
        None => None,
        Some(s) => Some(s.parse::<Ipv4Addr>().map_err(|_| ApiError::invalid("NatIp", "expected an IPv4 address."))?),
    };
    let ipv4_prefix = match p.opt("Ipv4Prefix") {
        None => None,
        Some(s) => Some(
            s.parse::<ipnet::Ipv4Net>()
                .ok()
                .filter(|n| n.network() == n.addr())
                .ok_or_else(|| ApiError::invalid("Ipv4Prefix", "expected a CIDR block such as 192.168.0.0/28."))?,
        ),
    };
    Ok(Request {
        region_id,
        vpc_id,
        vswitch_id: p.opt_string("VSwitchId"),
        name,
        description,
        spec,
        nat_type: p.one_of("NatType", NAT_TYPES)?.unwrap_or("Enhanced"),
        network_type: p.one_of("NetworkType", NETWORK_TYPES)?.unwrap_or("internet"),
        instance_charge_type,
        internet_charge_type,
        duration_months,
        eip_bind_mode: p.one_of("EipBindMode", EIP_BIND_MODES)?.unwrap_or("MULTI_BINDED"),
        icmp_reply_enabled: p.bool_or("IcmpReplyEnabled", true)?,
        private_link_enabled,
        security_protection_enabled: p.bool_or("SecurityProtectionEnabled", false)?,
        access_mode,
        nat_ip,
        ipv4_prefix,
        availability_mode: p.one_of("AvailabilityMode", AVAILABILITY_MODES)?,
        tags: p.tags("Tag")?,
        packages: parse_packages(p)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub nat_gateway_id: String,
    pub forward_table_ids: ForwardTableIds,
    pub snat_table_ids: SnatTableIds,
    pub full_nat_table_ids: FullNatTableIds,
    pub bandwidth_package_ids: BandwidthPackageIds,
}

#[derive(Debug, Serialize)]
pub struct ForwardTableIds<S = String> {
    #[serde(rename = "ForwardTableId")]
    pub ids: Vec<S>,
}
#[derive(Debug, Serialize)]
pub struct SnatTableIds<S = String> {
    #[serde(rename = "SnatTableId")]
    pub ids: Vec<S>,
}
#[derive(Debug, Serialize)]
pub struct FullNatTableIds<S = String> {
    #[serde(rename = "FullNatTableId")]
    pub ids: Vec<S>,
}
#[derive(Debug, Serialize)]
pub struct BandwidthPackageIds<S = String> {
    #[serde(rename = "BandwidthPackageId")]
    pub ids: Vec<S>,
}

/// A private address of the vSwitch that nothing uses: `wanted`, or the lowest free one (the first
/// address and the last three of a vSwitch are reserved).
pub fn pick_private_ip(vsw: &VSwitch, wanted: Option<Ipv4Addr>) -> Result<Ipv4Addr, ApiError> {
    let (first, last) = vsw.usable_range();
    let usable = |ip: Ipv4Addr| {
        let n = u32::from(ip);
        n >= first && n <= last && !vsw.used_ips.contains(&ip)
    };
    match wanted {
        Some(ip) if usable(ip) => Ok(ip),
        Some(_) => Err(ApiError::invalid("NatIp", "it must be a free address of the vSwitch's CIDR block.")),
        None => vsw.used_ips.lowest_free(first, last).ok_or(ApiError::ZoneNoAvailableIp),
    }
}

fn months_later(from: Millis, months: u64) -> Millis {
    from + months * 30 * 24 * 3600 * 1000
}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region = ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let vpc = rs.vpcs.get(&req.vpc_id).ok_or(ApiError::InvalidVpcIdNotFound)?;
    if vpc.status != VpcStatus::Available {
        return Err(ApiError::VpcStatusError);
    }
    // The vSwitch: the one given, or (2019 reference, which has no VSwitchId) the VPC's oldest
    // Available vSwitch. A standard (Normal) gateway may have none.
    let vswitch = match &req.vswitch_id {
        Some(id) => {
            let v = rs.vswitches.get(id).ok_or(ApiError::InvalidVSwitchIdNotFound)?;
            if v.vpc_id != vpc.id {
                return Err(ApiError::VswNotBelongToVpc);
            }
            if v.status != VSwitchStatus::Available {
                return Err(ApiError::VswitchStatusError);
            }
            Some(v)
        }
        None => {
            let mut candidates: Vec<&VSwitch> =
                rs.vswitches.values().filter(|v| v.vpc_id == vpc.id && v.status == VSwitchStatus::Available).collect();
            candidates.sort_by_key(|v| v.seq);
            match candidates.first() {
                Some(v) => Some(*v),
                None if req.nat_type == "Normal" => None,
                None => return Err(ApiError::MissingMandatory("VSwitchId")),
            }
        }
    };
    let in_vpc = rs.nat_gateways.group_len(&vpc.id);
    if in_vpc >= ctx.quotas.nat_gateways_per_vpc {
        return Err(ApiError::EnhancedQuotaExceed { limit: ctx.quotas.nat_gateways_per_vpc });
    }
    let private_ip = match vswitch {
        Some(v) => Some(pick_private_ip(v, req.nat_ip)?),
        None if req.nat_ip.is_some() => return Err(ApiError::MissingMandatory("VSwitchId")),
        None => None,
    };
    if let (Some(prefix), Some(v)) = (req.ipv4_prefix, vswitch) {
        if !v.cidr.contains(&prefix) {
            return Err(ApiError::invalid("Ipv4Prefix", "it must lie inside the vSwitch's CIDR block."));
        }
    }
    let (vswitch_id, zone_id) = vswitch.map(|v| (v.id.clone(), v.zone_id.clone())).unwrap_or_default();
    if !req.packages.is_empty() {
        crate::actions::bandwidth_package::ensure_allowed(st)?;
        if req.network_type != "internet" {
            return Err(ApiError::invalid(
                "BandwidthPackage.N",
                "a VPC (intranet) NAT gateway takes no bandwidth package.",
            ));
        }
        for pk in &req.packages {
            if pk.zone.as_ref().is_some_and(|z| region.zone(z).is_none()) {
                return Err(ApiError::InvalidZoneIdForPackage);
            }
        }
    }
    // The last fallible step: every package address from the shared pool, all or none.
    let package_addresses: Vec<Vec<Ipv4Addr>> = if req.packages.is_empty() {
        vec![]
    } else {
        let wanted: usize = req.packages.iter().map(|p| p.ip_count).sum();
        let mut pools = ctx.pools.lock();
        let pool = pools.get_mut(&req.region_id).ok_or(ApiError::ZoneNoAvailableIp)?;
        if pool.free() < wanted as u64 {
            return Err(ApiError::ZoneNoAvailableIp);
        }
        req.packages.iter().map(|pk| (0..pk.ip_count).filter_map(|_| pool.take(None)).collect()).collect()
    };
    let has_vswitch = vswitch.is_some();
    let resource_group_id = vpc.resource_group_id.clone();
    let has_default_route = vpc.routes.iter().any(|r| r.destination == "0.0.0.0/0");

    // Every check passed: allocate and insert.
    let code = &region.id_code;
    let id = st.ids.resource_id("ngw", code);
    let forward_table_id = st.ids.resource_id("ftb", code);
    let snat_table_id = st.ids.resource_id("stb", code);
    let full_nat_table_id = (req.network_type == "intranet").then(|| st.ids.resource_id("fulltb", code));
    let eni_id = if has_vswitch { format!("eni-{}", &st.ids.resource_id("x", code)[2..22]) } else { String::new() };
    let seq = st.next_seq();
    let internet = req.network_type == "internet";
    let zone_for_packages = zone_id.clone();
    let gw = NatGateway {
        id: id.clone(),
        region_id: req.region_id.clone(),
        vpc_id: req.vpc_id.clone(),
        vswitch_id: vswitch_id.clone(),
        zone_id,
        name: req.name.unwrap_or_else(|| id.clone()),
        description: req.description,
        spec: match (req.internet_charge_type, req.spec) {
            ("PayBySpec", s) => s.unwrap_or("Small").to_owned(),
            (_, s) => s.unwrap_or("").to_owned(),
        },
        nat_type: req.nat_type.to_owned(),
        network_type: req.network_type.to_owned(),
        instance_charge_type: req.instance_charge_type.to_owned(),
        internet_charge_type: req.internet_charge_type.to_owned(),
        status: NatStatus::Creating,
        created_ms: ctx.now,
        expired_ms: req.duration_months.map(|m| months_later(ctx.now, m)),
        forward_table_id: forward_table_id.clone(),
        snat_table_id: snat_table_id.clone(),
        full_nat_table_id: full_nat_table_id.clone(),
        private_ip,
        eni_id,
        eip_bind_mode: req.eip_bind_mode.to_owned(),
        icmp_reply_enabled: req.icmp_reply_enabled,
        private_link_enabled: req.private_link_enabled,
        security_protection_enabled: req.security_protection_enabled,
        access_mode: req.access_mode,
        enable_session_log: false,
        log_delivery: None,
        availability_mode: req.availability_mode.unwrap_or("").to_owned(),
        ipv4_prefix: req.ipv4_prefix.map(|p| p.to_string()),
        deletion_protection: false,
        resource_group_id,
        tags: req.tags,
        seq,
    };
    let rs = st.region_mut(&req.region_id)?;
    if let (Some(ip), Some(v)) = (private_ip, rs.vswitches.get_mut(&vswitch_id)) {
        v.take_ip(ip);
    }
    if internet && !has_default_route {
        if let Some(v) = rs.vpcs.get_mut(&req.vpc_id) {
            v.routes.push(RouteEntry {
                destination: "0.0.0.0/0".into(),
                next_hop_type: "NatGateway".into(),
                next_hop_id: id.clone(),
            });
        }
    }
    rs.nat_gateways.insert(id.clone(), gw);
    let mut package_ids = Vec::new();
    let default_zone = if zone_for_packages.is_empty() { region.zones[0].zone_id.clone() } else { zone_for_packages };
    for (pk, addresses) in req.packages.into_iter().zip(package_addresses) {
        let ips = addresses
            .into_iter()
            .map(|ip| crate::model::PackageIp { allocation_id: st.ids.resource_id("nateip", code), ip })
            .collect();
        let pid = st.ids.resource_id("bwp", code);
        let seq = st.next_seq();
        let package = crate::model::BandwidthPackage {
            id: pid.clone(),
            region_id: req.region_id.clone(),
            nat_gateway_id: id.clone(),
            name: String::new(),
            description: String::new(),
            zone_id: pk.zone.unwrap_or_else(|| default_zone.clone()),
            bandwidth: pk.bandwidth,
            isp: "BGP".into(),
            internet_charge_type: "PayByTraffic".into(),
            created_ms: ctx.now,
            ips,
            seq,
        };
        st.region_mut(&req.region_id)?.bandwidth_packages.insert(pid.clone(), package);
        package_ids.push(pid);
    }
    st.after(ctx.now, ctx.delays.nat_create_ms, Due::NatAvailable { region: req.region_id, id: id.clone() });
    Ok(Response {
        nat_gateway_id: id,
        forward_table_ids: ForwardTableIds { ids: vec![forward_table_id] },
        snat_table_ids: SnatTableIds { ids: vec![snat_table_id] },
        full_nat_table_ids: FullNatTableIds { ids: full_nat_table_id.into_iter().collect() },
        bandwidth_package_ids: BandwidthPackageIds { ids: package_ids },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    fn default_vsw(st: &AccountState, region: &str) -> (String, String) {
        let vpc = default_vpc(st, region);
        let mut v: Vec<_> = st.regions[region].vswitches.values().filter(|s| s.vpc_id == vpc).collect();
        v.sort_by_key(|s| s.seq);
        (vpc, v[0].id.clone())
    }

    fn run(st: &mut AccountState, pairs: &[(&str, &str)]) -> Result<Response, ApiError> {
        parse(&params(pairs)).and_then(|q| handle(st, &ctx_with_delay(1000), q))
    }

    #[test]
    fn creates_an_internet_gateway() {
        let mut st = state();
        let (vpc, vsw) = default_vsw(&st, "cn-hangzhou");
        let r = run(&mut st, &[("RegionId", "cn-hangzhou"), ("VpcId", &vpc), ("VSwitchId", &vsw), ("Name", "gw-one")])
            .unwrap();
        assert!(r.nat_gateway_id.starts_with("ngw-bp1") && r.nat_gateway_id.len() == 25);
        assert!(r.forward_table_ids.ids[0].starts_with("ftb-") && r.snat_table_ids.ids[0].starts_with("stb-"));
        assert!(r.full_nat_table_ids.ids.is_empty());
        let rs = &st.regions["cn-hangzhou"];
        let gw = &rs.nat_gateways[&r.nat_gateway_id];
        assert_eq!(
            (gw.status, gw.nat_type.as_str(), gw.internet_charge_type.as_str()),
            (NatStatus::Creating, "Enhanced", "PayByLcu")
        );
        assert_eq!(gw.private_ip, Some(Ipv4Addr::new(172, 16, 0, 1)));
        assert!(rs.vswitches[&vsw].used_ips.contains(&Ipv4Addr::new(172, 16, 0, 1)));
        assert_eq!(rs.vpcs[&vpc].routes[0].next_hop_id, r.nat_gateway_id);
        st.settle(NOW + 1000);
        assert_eq!(st.regions["cn-hangzhou"].nat_gateways[&r.nat_gateway_id].status, NatStatus::Available);
    }

    #[test]
    fn reference_style_and_intranet() {
        let mut st = state();
        let (vpc, _) = default_vsw(&st, "cn-hangzhou");
        // 2019: RegionId + VpcId (+ Spec) only.
        let r = run(&mut st, &[("RegionId", "cn-hangzhou"), ("VpcId", &vpc), ("Spec", "small")]).unwrap();
        let gw = &st.regions["cn-hangzhou"].nat_gateways[&r.nat_gateway_id];
        assert_eq!((gw.spec.as_str(), gw.internet_charge_type.as_str()), ("Small", "PayBySpec"));
        assert_eq!(gw.name, r.nat_gateway_id, "the name defaults to the id");
        let r = run(
            &mut st,
            &[("RegionId", "cn-hangzhou"), ("VpcId", &vpc), ("NetworkType", "intranet"), ("NatIp", "172.16.0.9")],
        )
        .unwrap();
        assert!(r.full_nat_table_ids.ids[0].starts_with("fulltb-"));
        let gw = &st.regions["cn-hangzhou"].nat_gateways[&r.nat_gateway_id];
        assert_eq!(gw.private_ip, Some(Ipv4Addr::new(172, 16, 0, 9)));
        assert_eq!(st.regions["cn-hangzhou"].vpcs[&vpc].routes.len(), 1, "intranet gateways add no default route");
    }

    #[test]
    fn refusals_change_nothing() {
        let mut st = state();
        let (vpc, vsw) = default_vsw(&st, "cn-hangzhou");
        let (other_vpc, other_vsw) = default_vsw(&st, "cn-shanghai");
        let _ = other_vpc;
        let v = vpc.as_str();
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("VpcId", v)], "MissingRegionId"),
            (vec![("RegionId", "cn-hangzhou")], "MissingVpcId"),
            (vec![("RegionId", "xx"), ("VpcId", v)], "InvalidRegionId.NotFound"),
            (vec![("RegionId", "cn-hangzhou"), ("VpcId", "vpc-none")], "InvalidVpcId.NotFound"),
            (vec![("RegionId", "cn-hangzhou"), ("VpcId", v), ("VSwitchId", "vsw-none")], "InvalidVSwitchId.NotFound"),
            (vec![("RegionId", "cn-hangzhou"), ("VpcId", v), ("Name", "1bad")], "InvalidParameter.Name.Malformed"),
            (
                vec![("RegionId", "cn-hangzhou"), ("VpcId", v), ("Description", "http://x")],
                "InvalidParameter.Description.Malformed",
            ),
            (
                vec![("RegionId", "cn-hangzhou"), ("VpcId", v), ("Spec", "Huge")],
                "InvalidParameter.Spec.ValueNotSupported",
            ),
            (vec![("RegionId", "cn-hangzhou"), ("VpcId", v), ("NetworkType", "dark")], "InvalidParameter"),
            (
                vec![
                    ("RegionId", "cn-hangzhou"),
                    ("VpcId", v),
                    ("InstanceChargeType", "PrePaid"),
                    ("InternetChargeType", "PayByLcu"),
                ],
                "OperationUnsupported.PrePaidPyByLcu",
            ),
            (
                vec![("RegionId", "cn-hangzhou"), ("VpcId", v), ("AccessMode", "{\"ModeValue\":\"route\"}")],
                "InvalidParameter",
            ),
            (
                vec![
                    ("RegionId", "cn-hangzhou"),
                    ("VpcId", v),
                    ("AccessMode", "not json"),
                    ("PrivateLinkEnabled", "true"),
                ],
                "InvalidParameter",
            ),
            (
                vec![("RegionId", "cn-hangzhou"), ("VpcId", v), ("VSwitchId", &vsw), ("NatIp", "10.9.9.9")],
                "InvalidParameter",
            ),
            (vec![("RegionId", "cn-hangzhou"), ("VpcId", v), ("IcmpReplyEnabled", "maybe")], "InvalidParameter"),
        ];
        let before = serde_json::to_value(&st.regions).unwrap();
        for (pairs, code) in cases {
            assert_eq!(run(&mut st, &pairs).err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
        // A vSwitch of another VPC in the same region.
        let vpc2 = {
            let p = params(&[("RegionId", "cn-shanghai"), ("CidrBlock", "10.0.0.0/16")]);
            crate::actions::vpc::create_vpc::handle(
                &mut st,
                &ctx(),
                crate::actions::vpc::create_vpc::parse(&p).unwrap(),
            )
            .unwrap()
            .vpc_id
        };
        let e =
            run(&mut st, &[("RegionId", "cn-shanghai"), ("VpcId", &vpc2), ("VSwitchId", &other_vsw)]).err().unwrap();
        assert_eq!(e.code(), "OperationFailed.VswNotBelongToVpc");
        let e = run(&mut st, &[("RegionId", "cn-shanghai"), ("VpcId", &vpc2)]).err().unwrap();
        assert_eq!(e.code(), "MissingParameter", "an Enhanced gateway needs a vSwitch");
    }

    #[test]
    fn quota_per_vpc() {
        let mut st = state();
        let (vpc, _) = default_vsw(&st, "cn-beijing");
        for _ in 0..5 {
            run(&mut st, &[("RegionId", "cn-beijing"), ("VpcId", &vpc)]).unwrap();
        }
        assert_eq!(
            run(&mut st, &[("RegionId", "cn-beijing"), ("VpcId", &vpc)]).err().unwrap().code(),
            "OperationFailed.EnhancedQuotaExceed"
        );
    }

    #[test]
    fn a_pending_vpc_or_vswitch_refuses() {
        use crate::actions::vpc::create_vpc;
        use crate::actions::vswitch::create_vswitch;
        let mut st = state();
        let p = params(&[("RegionId", "cn-hangzhou"), ("CidrBlock", "10.0.0.0/16")]);
        let vpc = create_vpc::handle(&mut st, &ctx_with_delay(1000), create_vpc::parse(&p).unwrap()).unwrap().vpc_id;
        let before = serde_json::to_value(&st.regions).unwrap();
        let e = run(&mut st, &[("RegionId", "cn-hangzhou"), ("VpcId", &vpc)]).err().unwrap();
        assert_eq!(e.code(), "VpcStatusError");
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
        st.settle(NOW + 1000);
        let p = params(&[("VpcId", vpc.as_str()), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.1.0/24")]);
        let vsw = create_vswitch::handle(&mut st, &ctx_with_delay(1000), create_vswitch::parse(&p).unwrap())
            .unwrap()
            .vswitch_id;
        let before = serde_json::to_value(&st.regions).unwrap();
        let e = run(&mut st, &[("RegionId", "cn-hangzhou"), ("VpcId", &vpc), ("VSwitchId", &vsw)]).err().unwrap();
        assert_eq!(e.code(), "VswitchStatusError");
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
        st.settle(NOW + 1000);
        run(&mut st, &[("RegionId", "cn-hangzhou"), ("VpcId", &vpc), ("VSwitchId", &vsw)]).unwrap();
    }
}
