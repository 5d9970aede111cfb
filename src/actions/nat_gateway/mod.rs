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

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::error::ApiError;
use crate::model::{NatGateway, NatStatus};
use crate::store::{AccountState, RegionState};

/// One public IP of a gateway, as `IpLists.IpList[]` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpListItem<'a> {
    pub allocation_id: &'a str,
    /// Serialized as its dotted text.
    pub ip_address: Ipv4Addr,
    pub using_status: &'static str,
    pub snat_entry_enabled: bool,
    pub private_ip_address: &'static str,
}

/// The public IPs of a gateway (bandwidth-package IPs, then EIPs in binding order), each with
/// what uses it:
/// `idle`, `UsedBySnatTable` or `UsedByForwardTable`.
pub fn ip_list<'a>(rs: &'a RegionState, gw: &NatGateway) -> Vec<IpListItem<'a>> {
    let packages = rs.packages_of(&gw.id);
    let package_ips =
        packages.into_iter().flat_map(|p| p.ips.iter()).map(|i| ip_item(rs, &gw.id, &i.allocation_id, i.ip));
    package_ips.chain(rs.eips_of(&gw.id).into_iter().map(|e| ip_item(rs, &gw.id, &e.id, e.ip))).collect()
}

pub fn using_status(rs: &RegionState, nat_gateway_id: &str, ip: &str) -> (&'static str, bool) {
    let (snat, dnat) = rs.ip_used(nat_gateway_id, ip);
    let status = if snat {
        "UsedBySnatTable"
    } else if dnat {
        "UsedByForwardTable"
    } else {
        "idle"
    };
    (status, snat)
}

fn ip_item<'a>(rs: &RegionState, nat_gateway_id: &str, allocation_id: &'a str, ip: Ipv4Addr) -> IpListItem<'a> {
    let (status, snat) = using_status(rs, nat_gateway_id, &ip.to_string());
    IpListItem { allocation_id, ip_address: ip, using_status: status, snat_entry_enabled: snat, private_ip_address: "" }
}

/// `{"TagKey":…,"TagValue":…}` tags, as DescribeNatGateways writes them.
#[derive(Debug, Serialize)]
pub struct NatTags<'a> {
    #[serde(rename = "Tag")]
    pub tag: Vec<NatTag<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatTag<'a> {
    pub tag_key: &'a str,
    pub tag_value: &'a str,
}

impl<'a> NatTags<'a> {
    pub fn of(tags: &'a [crate::params::Tag]) -> Self {
        NatTags { tag: tags.iter().map(|t| NatTag { tag_key: &t.key, tag_value: &t.value }).collect() }
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
