//! GetNatGatewayAttribute (REAL-SERVICE §8.3): one gateway, with its tables, IPs, billing and
//! deletion protection. Unknown id → 404 `InvalidNatGatewayId.NotFound`.

use serde::Serialize;

use super::describe_nat_gateways::{private_info, AccessModeView, PrivateInfo};
use super::{ip_list, IpListItem};
use crate::clock::format_iso;
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    nat_gateway_id: String,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request { region_id: p.required_string("RegionId")?, nat_gateway_id: p.required_string("NatGatewayId")? })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response<'a> {
    pub nat_gateway_id: String,
    pub region_id: String,
    pub vpc_id: String,
    pub name: String,
    pub description: String,
    pub status: &'static str,
    pub business_status: &'static str,
    pub nat_type: String,
    pub network_type: String,
    pub creation_time: String,
    pub expired_time: String,
    pub resource_group_id: String,
    pub ecs_metric_enabled: bool,
    pub enable_session_log: bool,
    pub private_link_enabled: bool,
    pub private_link_mode: String,
    pub availability_mode: String,
    pub access_mode: AccessModeView<'a>,
    pub billing_config: BillingConfig,
    pub deletion_protection_info: DeletionProtectionInfo,
    pub forward_table: ForwardTable,
    pub snat_table: SnatTable,
    pub full_nat_table: FullNatTable,
    pub ip_list: Vec<IpListItem<'a>>,
    pub private_info: PrivateInfo<'a>,
    pub log_delivery: LogDeliveryView,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BillingConfig {
    pub auto_pay: String,
    pub instance_charge_type: String,
    pub internet_charge_type: String,
    pub spec: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletionProtectionInfo {
    pub enabled: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardTable {
    pub forward_table_id: String,
    pub forward_entry_count: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnatTable {
    pub snat_table_id: String,
    pub snat_entry_count: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FullNatTable {
    pub full_nat_table_id: String,
    pub full_nat_entry_count: usize,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogDeliveryView {
    pub log_delivery_type: String,
    pub log_destination: String,
    pub delivery_status: String,
    pub deliver_logs_error_message: String,
}

pub fn handle<'a>(st: &'a AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response<'a>, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let g = rs.nat_gateways.get(&req.nat_gateway_id).ok_or(ApiError::InvalidNatGatewayIdNotFound)?;
    let deps = rs.nat_dependents(&g.id);
    Ok(Response {
        nat_gateway_id: g.id.clone(),
        region_id: g.region_id.clone(),
        vpc_id: g.vpc_id.clone(),
        name: g.name.clone(),
        description: g.description.clone(),
        status: g.status.as_str(),
        business_status: "Normal",
        nat_type: g.nat_type.clone(),
        network_type: g.network_type.clone(),
        creation_time: format_iso(g.created_ms),
        expired_time: g.expired_ms.map(format_iso).unwrap_or_default(),
        resource_group_id: g.resource_group_id.clone(),
        ecs_metric_enabled: false,
        enable_session_log: g.enable_session_log,
        private_link_enabled: g.private_link_enabled,
        private_link_mode: if g.private_link_enabled { "FullNat".into() } else { String::new() },
        availability_mode: g.availability_mode.clone(),
        access_mode: AccessModeView::of(g),
        billing_config: BillingConfig {
            auto_pay: "false".into(),
            instance_charge_type: g.instance_charge_type.clone(),
            internet_charge_type: g.internet_charge_type.clone(),
            spec: g.spec.clone(),
        },
        deletion_protection_info: DeletionProtectionInfo { enabled: g.deletion_protection },
        forward_table: ForwardTable {
            forward_table_id: g.forward_table_id.clone(),
            forward_entry_count: deps.forward_entries.len(),
        },
        snat_table: SnatTable { snat_table_id: g.snat_table_id.clone(), snat_entry_count: deps.snat_entries.len() },
        full_nat_table: FullNatTable {
            full_nat_table_id: g.full_nat_table_id.clone().unwrap_or_default(),
            full_nat_entry_count: 0,
        },
        ip_list: ip_list(rs, g),
        private_info: private_info(g),
        log_delivery: g
            .log_delivery
            .as_ref()
            .map(|l| LogDeliveryView {
                log_delivery_type: l.log_delivery_type.clone(),
                log_destination: l.log_destination.clone(),
                delivery_status: "Success".into(),
                deliver_logs_error_message: String::new(),
            })
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;

    #[test]
    fn cases() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc), ("NetworkType", "intranet")]);
        let id =
            create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        let run = |pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(&st, &ctx(), q));
        let r = run(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id)]).unwrap();
        assert_eq!((r.status, r.network_type.as_str()), ("Available", "intranet"));
        assert!(r.full_nat_table.full_nat_table_id.starts_with("fulltb-"));
        assert_eq!(r.billing_config.internet_charge_type, "PayByLcu");
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["IpList"].is_array(), "IpList is a bare array here");
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", "ngw-x")]).err().unwrap().status(), 404);
        assert_eq!(run(&[("RegionId", "cn-hangzhou")]).err().unwrap().code(), "MissingNatGatewayId");
    }
}
