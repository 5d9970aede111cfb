//! vSwitch actions and the vSwitch view they share.
pub mod create_vswitch;
pub mod delete_vswitch;
pub mod describe_vswitch_attributes;
pub mod describe_vswitches;

use serde::Serialize;

use crate::actions::KeyValueTags;
use crate::clock::format_iso;
use crate::model::VSwitch;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    pub route_table_id: String,
    pub route_table_type: &'static str,
}

/// The fields DescribeVSwitches and DescribeVSwitchAttributes share.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VSwitchOut {
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
    pub vpc_id: String,
    pub status: &'static str,
    pub cidr_block: String,
    pub ipv6_cidr_block: String,
    pub zone_id: String,
    pub available_ip_address_count: u64,
    pub description: String,
    #[serde(rename = "VSwitchName")]
    pub vswitch_name: String,
    pub creation_time: String,
    pub is_default: bool,
    pub enabled_ipv6: bool,
    pub resource_group_id: String,
    pub network_acl_id: String,
    pub owner_id: u64,
    pub share_type: String,
    pub route_table: RouteTable,
    pub tags: KeyValueTags,
}

pub fn view(v: &VSwitch, owner_id: u64) -> VSwitchOut {
    VSwitchOut {
        vswitch_id: v.id.clone(),
        vpc_id: v.vpc_id.clone(),
        status: v.status.as_str(),
        cidr_block: v.cidr.to_string(),
        ipv6_cidr_block: String::new(),
        zone_id: v.zone_id.clone(),
        available_ip_address_count: v.available_ip_count(),
        description: v.description.clone(),
        vswitch_name: v.name.clone(),
        creation_time: format_iso(v.created_ms),
        is_default: v.is_default,
        enabled_ipv6: false,
        resource_group_id: v.resource_group_id.clone(),
        network_acl_id: String::new(),
        owner_id,
        share_type: String::new(),
        route_table: RouteTable { route_table_id: v.route_table_id.clone(), route_table_type: "System" },
        tags: KeyValueTags::of(&v.tags),
    }
}
