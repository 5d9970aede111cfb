//! Tag actions (TagResources, UnTagResources, ListTagResources) over the resource types the
//! emulator models: VPC, VSWITCH, NATGATEWAY and EIP. `ResourceType` is
//! case-insensitive, as the real API documents.

pub mod list_tag_resources;
pub mod tag_resources;
pub mod untag_resources;

use crate::error::ApiError;
use crate::params::{Params, Tag};
use crate::store::RegionState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Vpc,
    VSwitch,
    NatGateway,
    Eip,
}

impl Kind {
    pub fn parse(p: &Params) -> Result<Kind, ApiError> {
        let t = p.required("ResourceType")?;
        match t.to_ascii_uppercase().as_str() {
            "VPC" => Ok(Kind::Vpc),
            "VSWITCH" => Ok(Kind::VSwitch),
            "NATGATEWAY" => Ok(Kind::NatGateway),
            "EIP" => Ok(Kind::Eip),
            _ => Err(ApiError::invalid(
                "ResourceType",
                "the emulator supports VPC, VSWITCH, NATGATEWAY and EIP (case-insensitive).",
            )),
        }
    }

    /// The type as ListTagResources writes it (`ALIYUN::VPC::NATGATEWAY`).
    pub fn qualified(self) -> &'static str {
        match self {
            Kind::Vpc => "ALIYUN::VPC::VPC",
            Kind::VSwitch => "ALIYUN::VPC::VSWITCH",
            Kind::NatGateway => "ALIYUN::VPC::NATGATEWAY",
            Kind::Eip => "ALIYUN::VPC::EIP",
        }
    }
}

/// `ResourceId.N`, 1 to 50 ids.
pub fn resource_ids(p: &Params, required: bool) -> Result<Vec<String>, ApiError> {
    let ids = p.list("ResourceId")?;
    if required && ids.is_empty() {
        return Err(ApiError::missing("ResourceId"));
    }
    if ids.len() > 50 {
        return Err(ApiError::invalid("ResourceId.N", "at most 50 resource ids."));
    }
    Ok(ids)
}

pub fn tags_mut<'a>(rs: &'a mut RegionState, kind: Kind, id: &str) -> Option<&'a mut Vec<Tag>> {
    match kind {
        Kind::Vpc => rs.vpcs.get_mut(id).map(|r| &mut r.tags),
        Kind::VSwitch => rs.vswitches.get_mut(id).map(|r| &mut r.tags),
        Kind::NatGateway => rs.nat_gateways.get_mut(id).map(|r| &mut r.tags),
        Kind::Eip => rs.eips.get_mut(id).map(|r| &mut r.tags),
    }
}

/// Every resource of a kind with its tags, in creation order.
pub fn all_tagged(rs: &RegionState, kind: Kind) -> Vec<(&str, &[Tag])> {
    let mut v: Vec<(u64, &str, &[Tag])> = match kind {
        Kind::Vpc => rs.vpcs.values().map(|r| (r.seq, r.id.as_str(), r.tags.as_slice())).collect(),
        Kind::VSwitch => rs.vswitches.values().map(|r| (r.seq, r.id.as_str(), r.tags.as_slice())).collect(),
        Kind::NatGateway => rs.nat_gateways.values().map(|r| (r.seq, r.id.as_str(), r.tags.as_slice())).collect(),
        Kind::Eip => rs.eips.values().map(|r| (r.seq, r.id.as_str(), r.tags.as_slice())).collect(),
    };
    v.sort_by_key(|(seq, _, _)| *seq);
    v.into_iter().map(|(_, id, t)| (id, t)).collect()
}
