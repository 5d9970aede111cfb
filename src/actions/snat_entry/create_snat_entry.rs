//! CreateSnatEntry (ACTIONS.md §2.10, REAL-SERVICE §5.1, R3, R4, R7, R8): the source is either a
//! vSwitch of the gateway's VPC (one entry per vSwitch) or a CIDR block inside the VPC (no second
//! entry for the same block; nested blocks are allowed, the most specific wins); `SnatIp` lists up
//! to 64 InUse EIPs of this gateway (or the NAT IP of a VPC NAT gateway). At most 40 entries per
//! table. The entry is `Pending` until the configured delay has passed.

use serde::Serialize;

use super::{check_ips, gateway_for_change, parse_snat_ips, source_cidr, table_busy, valid_name};
use crate::actions::dry_run;
use crate::error::ApiError;
use crate::model::{EntryStatus, SnatEntry};
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub enum Source {
    VSwitch(String),
    Cidr(ipnet::Ipv4Net),
}

pub struct Request {
    region_id: String,
    table_id: String,
    source: Source,
    snat_ips: Option<String>,
    name: String,
    eip_affinity: u8,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let table_id = p.required_string("SnatTableId")?;
    let source = match (p.opt("SourceVSwitchId"), p.opt("SourceCIDR")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::SnatInvalidParameter("Give SourceVSwitchId or SourceCIDR, not both."))
        }
        (Some(v), None) => Source::VSwitch(v.to_owned()),
        (None, Some(c)) => Source::Cidr(
            c.trim()
                .parse::<ipnet::Ipv4Net>()
                .ok()
                .filter(|n| n.network() == n.addr())
                .ok_or(ApiError::SnatInvalidParameter("SourceCIDR is not a CIDR block such as 10.1.1.0/24."))?,
        ),
        (None, None) => return Err(ApiError::MissingMandatory("SourceVSwitchId or SourceCIDR")),
    };
    if p.opt("NetworkInterfaceId").is_some() {
        if p.opt("SnatIp").is_some() {
            return Err(ApiError::SnatInvalidParameter("SnatIp and NetworkInterfaceId exclude each other."));
        }
        return Err(ApiError::InvalidNetworkInterfaceIdNotFound);
    }
    let name = p.opt_string("SnatEntryName").unwrap_or_default();
    if !name.is_empty() && !valid_name(&name) {
        return Err(ApiError::InvalidNameMalformed);
    }
    Ok(Request {
        region_id,
        table_id,
        source,
        snat_ips: p.opt_string("SnatIp"),
        name,
        eip_affinity: p.opt_int("EipAffinity", 0, 1)?.unwrap_or(0) as u8,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub snat_entry_id: String,
}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region = ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let gw = gateway_for_change(rs, &req.table_id)?;
    if ctx.delays.entry_table_lock {
        if let Some(busy) = table_busy(rs, gw) {
            return Err(ApiError::IncorretSnatEntryStatus { detail: format!("Entry {busy} is Pending.") });
        }
    }
    let vpc = rs.vpcs.get(&gw.vpc_id).ok_or(ApiError::InvalidVpcIdNotFound)?;
    let (vswitch_id, cidr) = match &req.source {
        Source::VSwitch(id) => {
            let v = rs.vswitches.get(id).filter(|v| v.vpc_id == gw.vpc_id).ok_or(ApiError::InvalidVSwitchIdNotFound)?;
            if let Some(e) = rs.snat_entries_of(&gw.id).into_iter().find(|e| e.source_vswitch_id == *id) {
                return Err(ApiError::SourceVSwitchIdDuplicated { entry: e.id.clone() });
            }
            (id.clone(), v.cidr)
        }
        Source::Cidr(c) => {
            if !vpc.cidr.contains(c) {
                return Err(ApiError::SnatInvalidParameter("SourceCIDR must lie inside the VPC's CIDR block."));
            }
            (String::new(), *c)
        }
    };
    if let Some(e) = rs.snat_entries_of(&gw.id).into_iter().find(|e| source_cidr(rs, e) == Some(cidr)) {
        return Err(ApiError::SnatCidrConflict { entry: format!("{} ({cidr})", e.id) });
    }
    let ips = match &req.snat_ips {
        Some(raw) => parse_snat_ips(raw, ctx.quotas.snat_ips_per_entry)?,
        None if gw.is_internet() => return Err(ApiError::missing("SnatIp")),
        None => vec![gw.private_ip.map(|ip| ip.to_string()).unwrap_or_default()],
    };
    check_ips(rs, gw, &ips)?;
    if rs.snat_entries.group_len(&gw.id) >= ctx.quotas.snat_entries_per_table {
        return Err(ApiError::SnatEntryCountLimited { limit: ctx.quotas.snat_entries_per_table });
    }
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let gateway_id = gw.id.clone();
    let id = st.ids.resource_id("snat", &region.id_code);
    let seq = st.next_seq();
    let entry = SnatEntry {
        id: id.clone(),
        table_id: req.table_id,
        nat_gateway_id: gateway_id,
        name: req.name,
        source_vswitch_id: vswitch_id,
        source_cidr: match req.source {
            Source::Cidr(c) => c.to_string(),
            Source::VSwitch(_) => String::new(),
        },
        snat_ips: ips,
        eip_affinity: req.eip_affinity,
        network_interface_id: String::new(),
        status: EntryStatus::Pending,
        created_ms: ctx.now,
        seq,
    };
    st.region_mut(&req.region_id)?.snat_entries.insert(id.clone(), entry);
    st.after(ctx.now, ctx.delays.entry_pending_ms, Due::SnatAvailable { region: req.region_id, id: id.clone() });
    Ok(Response { snat_entry_id: id })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::actions::eip::associate_eip_address::tests::{associate, gateway_and_eip};
    use crate::actions::forward_entry::create_forward_entry::tests::{create as create_dnat, world_with_eip};
    use crate::actions::testing::*;

    pub fn create(st: &mut AccountState, pairs: &[(&str, &str)], delay: u64) -> Result<Response, ApiError> {
        let mut all = vec![("RegionId", "cn-hangzhou")];
        all.extend_from_slice(pairs);
        parse(&params(&all)).and_then(|q| handle(st, &ctx_with_delay(delay), q))
    }

    pub fn default_vswitches(st: &AccountState) -> Vec<String> {
        let vpc = default_vpc(st, "cn-hangzhou");
        let mut v: Vec<_> = st.regions["cn-hangzhou"].vswitches.values().filter(|s| s.vpc_id == vpc).collect();
        v.sort_by_key(|s| s.seq);
        v.into_iter().map(|s| s.id.clone()).collect()
    }

    #[test]
    fn creates_by_vswitch_and_by_cidr() {
        let mut st = state();
        let (gw, _, stb, ip) = world_with_eip(&mut st);
        let vsw = default_vswitches(&st);
        let a = create(
            &mut st,
            &[("SnatTableId", &stb), ("SourceVSwitchId", &vsw[0]), ("SnatIp", &ip), ("SnatEntryName", "ab")],
            100,
        )
        .unwrap();
        let e = &st.regions["cn-hangzhou"].snat_entries[&a.snat_entry_id];
        assert_eq!((e.status, e.snat_ips.clone()), (EntryStatus::Pending, vec![ip.clone()]));
        create(&mut st, &[("SnatTableId", &stb), ("SourceCIDR", "172.16.16.128/25"), ("SnatIp", &ip)], 0).unwrap();
        create(
            &mut st,
            &[("SnatTableId", &stb), ("SourceCIDR", "172.16.0.0/12"), ("SnatIp", &ip), ("EipAffinity", "1")],
            0,
        )
        .unwrap();
        assert_eq!(
            crate::actions::nat_gateway::using_status(&st.regions["cn-hangzhou"], &gw, &ip),
            ("UsedBySnatTable", true)
        );
    }

    #[test]
    fn refusals_change_nothing() {
        let mut st = state();
        let (gw, ftb, stb, ip) = world_with_eip(&mut st);
        let vsw = default_vswitches(&st);
        create(&mut st, &[("SnatTableId", &stb), ("SourceVSwitchId", &vsw[0]), ("SnatIp", &ip)], 0).unwrap();
        // A second EIP used by DNAT.
        let (_, dnat_eip) = gateway_and_eip(&mut st, "cn-hangzhou", &[]);
        associate(&mut st, &dnat_eip, &gw, 0).unwrap();
        let dnat_ip = st.regions["cn-hangzhou"].eips[&dnat_eip].ip.to_string();
        create_dnat(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &dnat_ip),
                ("ExternalPort", "80"),
                ("InternalIp", "172.16.0.10"),
                ("InternalPort", "80"),
                ("IpProtocol", "tcp"),
            ],
            0,
        )
        .unwrap();
        let before = serde_json::to_value(&st.regions).unwrap();
        let two = format!("{ip},{dnat_ip}");
        let many = (1..=65).map(|i| format!("47.96.9.{i}")).collect::<Vec<_>>().join(",");
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("SourceVSwitchId", &vsw[1]), ("SnatIp", &ip)], "MissingSnatTableId"),
            (
                vec![("SnatTableId", "stb-none"), ("SourceVSwitchId", &vsw[1]), ("SnatIp", &ip)],
                "InvalidSnatTableId.NotFound",
            ),
            (vec![("SnatTableId", &stb), ("SnatIp", &ip)], "MissingParameter"),
            (
                vec![
                    ("SnatTableId", &stb),
                    ("SourceVSwitchId", &vsw[1]),
                    ("SourceCIDR", "172.16.0.0/24"),
                    ("SnatIp", &ip),
                ],
                "INVALID_PARAMETER",
            ),
            (vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[1])], "MissingSnatIp"),
            (
                vec![("SnatTableId", &stb), ("SourceVSwitchId", "vsw-none"), ("SnatIp", &ip)],
                "InvalidVSwitchId.NotFound",
            ),
            (
                vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[0]), ("SnatIp", &ip)],
                "Forbidden.SourceVSwitchId.Duplicated",
            ),
            (
                vec![("SnatTableId", &stb), ("SourceCIDR", "172.16.0.0/20"), ("SnatIp", &ip)],
                "OperationUnsupported.CidrConflict",
            ),
            (vec![("SnatTableId", &stb), ("SourceCIDR", "10.0.0.0/8"), ("SnatIp", &ip)], "INVALID_PARAMETER"),
            (vec![("SnatTableId", &stb), ("SourceCIDR", "nonsense"), ("SnatIp", &ip)], "INVALID_PARAMETER"),
            (vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[1]), ("SnatIp", "1.2.3")], "InvalidSnatIp.Malformed"),
            (
                vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[1]), ("SnatIp", "8.8.8.8")],
                "InvalidSnatIp.NotFound",
            ),
            (
                vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[1]), ("SnatIp", &two)],
                "Forbidden.IpUsedInForwardTable",
            ),
            (
                vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[1]), ("SnatIp", &many)],
                "SNAT_IP_POOL_COUNT_TOO_MANY",
            ),
            (
                vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[1]), ("SnatIp", &ip), ("EipAffinity", "2")],
                "InvalidParameter",
            ),
            (
                vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[1]), ("SnatIp", &ip), ("SnatEntryName", "9x")],
                "InvalidParameter.Name.Malformed",
            ),
            (
                vec![("SnatTableId", &stb), ("SourceVSwitchId", &vsw[1]), ("NetworkInterfaceId", "eni-x")],
                "InvalidNetworkInterfaceId.NotFound",
            ),
        ];
        for (pairs, code) in cases {
            assert_eq!(create(&mut st, &pairs, 0).err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
    }
}
