//! DescribeSnatTableEntries (ACTIONS.md §2.12, REAL-SERVICE §5.2): by SnatTableId and/or
//! NatGatewayId, every filter, paging (default 10, max 50), oldest first. `EipAffinity` is a string
//! and `SourceCIDR` of a vSwitch entry is the vSwitch's CIDR (Terraform reads both).

use serde::Serialize;

use super::source_cidr;
use crate::actions::{page, page_of};
use crate::error::ApiError;
use crate::model::SnatEntry;
use crate::params::{Paging, Params};
use crate::store::{AccountState, Ctx, RegionState};

pub struct Request {
    region_id: String,
    table_id: Option<String>,
    nat_gateway_id: Option<String>,
    entry_id: Option<String>,
    snat_ip: Option<String>,
    source_cidr: Option<String>,
    source_vswitch_id: Option<String>,
    name: Option<String>,
    network_interface_ids: Vec<String>,
    paging: Paging,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let table_id = p.opt_string("SnatTableId");
    let nat_gateway_id = p.opt_string("NatGatewayId");
    if table_id.is_none() && nat_gateway_id.is_none() {
        return Err(ApiError::MissingMandatory("SnatTableId or NatGatewayId"));
    }
    Ok(Request {
        region_id,
        table_id,
        nat_gateway_id,
        entry_id: p.opt_string("SnatEntryId"),
        snat_ip: p.opt_string("SnatIp"),
        source_cidr: p.opt_string("SourceCIDR"),
        source_vswitch_id: p.opt_string("SourceVSwitchId"),
        name: p.opt_string("SnatEntryName"),
        network_interface_ids: p.list("NetworkInterfaceIds")?,
        paging: p.paging(50)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub total_count: usize,
    pub page_number: usize,
    pub page_size: usize,
    pub snat_table_entries: SnatTableEntries,
}

#[derive(Debug, Serialize)]
pub struct SnatTableEntries {
    #[serde(rename = "SnatTableEntry")]
    pub items: Vec<SnatEntryView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnatEntryView {
    pub snat_entry_id: String,
    pub snat_table_id: String,
    pub snat_entry_name: String,
    pub nat_gateway_id: String,
    pub snat_ip: String,
    #[serde(rename = "SourceCIDR")]
    pub source_cidr: String,
    pub source_v_switch_id: String,
    pub eip_affinity: String,
    pub network_interface_id: String,
    pub status: &'static str,
}

pub fn view(rs: &RegionState, e: &SnatEntry) -> SnatEntryView {
    SnatEntryView {
        snat_entry_id: e.id.clone(),
        snat_table_id: e.table_id.clone(),
        snat_entry_name: e.name.clone(),
        nat_gateway_id: e.nat_gateway_id.clone(),
        snat_ip: e.snat_ips.join(","),
        source_cidr: source_cidr(rs, e).map(|c| c.to_string()).unwrap_or_default(),
        source_v_switch_id: e.source_vswitch_id.clone(),
        eip_affinity: e.eip_affinity.to_string(),
        network_interface_id: e.network_interface_id.clone(),
        status: e.status.as_str(),
    }
}

pub fn handle(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let gw = match (&req.table_id, &req.nat_gateway_id) {
        (Some(t), _) => rs.gateway_of_snat_table(t).ok_or(ApiError::InvalidSnatTableIdNotFound)?,
        (None, Some(g)) => rs.nat_gateways.get(g).ok_or(ApiError::InvalidNatGatewayIdNotFound)?,
        (None, None) => return Err(ApiError::MissingMandatory("SnatTableId or NatGatewayId")),
    };
    let other_gateway = req.nat_gateway_id.as_ref().is_some_and(|g| *g != gw.id);
    let unfiltered = req.entry_id.is_none()
        && req.snat_ip.is_none()
        && req.source_cidr.is_none()
        && req.source_vswitch_id.is_none()
        && req.name.is_none()
        && req.network_interface_ids.is_empty();
    let (total, items) = if other_gateway {
        (0, vec![])
    } else if unfiltered {
        page_of(rs.snat_entries.group(&gw.id), rs.snat_entries.group_len(&gw.id), req.paging)
    } else {
        let items: Vec<&SnatEntry> = rs
            .snat_entries
            .group(&gw.id)
            .filter(|e| {
                req.entry_id.as_ref().is_none_or(|i| &e.id == i)
                    && req.snat_ip.as_ref().is_none_or(|ip| e.snat_ips.contains(ip))
                    && req.source_cidr.as_ref().is_none_or(|c| source_cidr(rs, e).is_some_and(|s| s.to_string() == *c))
                    && req.source_vswitch_id.as_ref().is_none_or(|v| &e.source_vswitch_id == v)
                    && req.name.as_ref().is_none_or(|n| &e.name == n)
                    && (req.network_interface_ids.is_empty()
                        || req.network_interface_ids.contains(&e.network_interface_id))
            })
            .collect();
        page(items, req.paging)
    };
    Ok(Response {
        total_count: total,
        page_number: req.paging.number,
        page_size: req.paging.size,
        snat_table_entries: SnatTableEntries { items: items.into_iter().map(|e| view(rs, e)).collect() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::forward_entry::create_forward_entry::tests::world_with_eip;
    use crate::actions::snat_entry::create_snat_entry::tests::{create, default_vswitches};
    use crate::actions::testing::*;

    #[test]
    fn shapes_and_filters() {
        let mut st = state();
        let (gw, _, stb, ip) = world_with_eip(&mut st);
        let vsw = default_vswitches(&st);
        create(&mut st, &[("SnatTableId", &stb), ("SourceVSwitchId", &vsw[0]), ("SnatIp", &ip)], 0).unwrap();
        create(
            &mut st,
            &[("SnatTableId", &stb), ("SourceCIDR", "172.16.32.0/24"), ("SnatIp", &ip), ("EipAffinity", "1")],
            0,
        )
        .unwrap();
        let run = |pairs: &[(&str, &str)]| {
            let mut all = vec![("RegionId", "cn-hangzhou")];
            all.extend_from_slice(pairs);
            parse(&params(&all)).and_then(|q| handle(&st, &ctx(), q))
        };
        let all = run(&[("NatGatewayId", &gw)]).unwrap();
        assert_eq!(all.total_count, 2);
        let json = serde_json::to_value(&all).unwrap();
        let first = &json["SnatTableEntries"]["SnatTableEntry"][0];
        assert_eq!(first["SourceCIDR"], "172.16.0.0/20", "a vSwitch entry shows the vSwitch's CIDR");
        assert_eq!(first["SourceVSwitchId"], vsw[0].as_str());
        assert_eq!(json["SnatTableEntries"]["SnatTableEntry"][1]["EipAffinity"], "1");
        assert_eq!(run(&[("SnatTableId", &stb), ("SourceCIDR", "172.16.32.0/24")]).unwrap().total_count, 1);
        assert_eq!(run(&[("SnatTableId", &stb), ("SnatEntryId", "snat-none")]).unwrap().total_count, 0);
        assert_eq!(run(&[]).err().unwrap().code(), "MissingParameter");
        assert_eq!(run(&[("SnatTableId", "stb-x")]).err().unwrap().code(), "InvalidSnatTableId.NotFound");
    }
}
