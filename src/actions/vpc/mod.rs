//! VPC actions and the VPC view they share.
pub mod create_vpc;
pub mod delete_vpc;
pub mod describe_vpc_attribute;
pub mod describe_vpcs;

use crate::clock::format_iso;
use crate::model::Vpc;
use crate::store::RegionState;

/// The vSwitch ids of a VPC, oldest first.
pub fn vswitch_ids(region: &RegionState, vpc: &Vpc) -> Vec<String> {
    let mut v: Vec<_> = region.vswitches.values().filter(|s| s.vpc_id == vpc.id).collect();
    v.sort_by_key(|s| s.seq);
    v.into_iter().map(|s| s.id.clone()).collect()
}

pub fn creation_time(vpc: &Vpc) -> String {
    format_iso(vpc.created_ms)
}
