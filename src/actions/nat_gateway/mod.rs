//! NAT gateway actions and the gateway views they share.
pub mod create_nat_gateway;
pub mod delete_nat_gateway;
pub mod deletion_protection;
pub mod describe_nat_gateways;
pub mod get_nat_gateway_attribute;
pub mod list_enhanhced_nat_gateway_available_zones;
pub mod modify_nat_gateway_attribute;
pub mod modify_nat_gateway_spec;
pub mod update_nat_gateway_nat_type;

use serde::Serialize;

use crate::error::ApiError;
use crate::model::{NatGateway, NatStatus};
use crate::store::{AccountState, RegionState};

/// One public IP of a gateway, as `IpLists.IpList[]` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpListItem {
    pub allocation_id: String,
    pub ip_address: String,
    pub using_status: String,
    pub snat_entry_enabled: bool,
    pub private_ip_address: String,
}

/// The public IPs of a gateway (bandwidth-package IPs, then EIPs in binding order), each with
/// what uses it:
/// `idle`, `UsedBySnatTable` or `UsedByForwardTable`.
pub fn ip_list(rs: &RegionState, gw: &NatGateway) -> Vec<IpListItem> {
    let packages = rs.packages_of(&gw.id);
    let package_ips =
        packages.iter().flat_map(|p| p.ips.iter()).map(|i| ip_item(rs, &gw.id, &i.allocation_id, &i.ip.to_string()));
    package_ips.chain(rs.eips_of(&gw.id).into_iter().map(|e| ip_item(rs, &gw.id, &e.id, &e.ip.to_string()))).collect()
}

pub fn using_status(rs: &RegionState, nat_gateway_id: &str, ip: &str) -> (&'static str, bool) {
    let (snat, dnat) = rs.ip_users(nat_gateway_id, ip);
    let status = if !snat.is_empty() {
        "UsedBySnatTable"
    } else if !dnat.is_empty() {
        "UsedByForwardTable"
    } else {
        "idle"
    };
    (status, !snat.is_empty())
}

fn ip_item(rs: &RegionState, nat_gateway_id: &str, allocation_id: &str, ip: &str) -> IpListItem {
    let (status, snat) = using_status(rs, nat_gateway_id, ip);
    IpListItem {
        allocation_id: allocation_id.to_owned(),
        ip_address: ip.to_owned(),
        using_status: status.to_owned(),
        snat_entry_enabled: snat,
        private_ip_address: String::new(),
    }
}

/// `{"TagKey":…,"TagValue":…}` tags, as DescribeNatGateways writes them.
#[derive(Debug, Serialize)]
pub struct NatTags {
    #[serde(rename = "Tag")]
    pub tag: Vec<NatTag>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatTag {
    pub tag_key: String,
    pub tag_value: String,
}

impl NatTags {
    pub fn of(tags: &[crate::params::Tag]) -> Self {
        NatTags { tag: tags.iter().map(|t| NatTag { tag_key: t.key.clone(), tag_value: t.value.clone() }).collect() }
    }
}

/// The gateway for a change: it must exist and be Available.
pub fn available_for_change<'a>(
    st: &'a mut AccountState,
    region: &str,
    id: &str,
    err: fn(&'static str) -> ApiError,
) -> Result<&'a mut NatGateway, ApiError> {
    let gw = st.nat_gateway_mut(region, id)?;
    if gw.status != NatStatus::Available {
        return Err(err(gw.status.as_str()));
    }
    Ok(gw)
}

/// Parses a JSON object parameter (`AccessMode`, `LogDelivery`): the SDKs send compact JSON,
/// py-core `json.dumps` with spaces; both are JSON.
pub fn json_object(name: &str, raw: &str) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        _ => Err(ApiError::invalid(name, "expected a JSON object.")),
    }
}

pub fn json_str(m: &serde_json::Map<String, serde_json::Value>, key: &str) -> Option<String> {
    m.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}
