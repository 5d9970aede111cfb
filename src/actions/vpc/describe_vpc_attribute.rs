//! DescribeVpcAttribute (REAL-SERVICE §8.2). An unknown id is a 404 `InvalidVpcId.NotFound`
//! (documented; Terraform also reads it as "gone").

use serde::Serialize;

use super::describe_vpcs::{Ipv6CidrBlocks, SecondaryCidrBlocks, UserCidrs, VSwitchIds};
use super::{creation_time, vswitch_ids};
use crate::actions::{dry_run, KeyValueTags};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    vpc_id: String,
    is_default: Option<bool>,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        vpc_id: p.required_string("VpcId")?,
        is_default: p.opt_bool("IsDefault")?,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub vpc_id: String,
    pub region_id: String,
    pub status: &'static str,
    pub vpc_name: String,
    pub creation_time: String,
    pub cidr_block: String,
    pub ipv6_cidr_block: String,
    #[serde(rename = "VRouterId")]
    pub vrouter_id: String,
    pub description: String,
    pub is_default: bool,
    pub classic_link_enabled: bool,
    pub resource_group_id: String,
    pub owner_id: u64,
    pub dhcp_options_set_id: String,
    pub dhcp_options_set_status: String,
    pub dns_hostname_status: &'static str,
    pub enabled_ipv6: bool,
    pub support_ipv4_gateway: bool,
    pub ipv4_gateway_id: String,
    #[serde(rename = "VSwitchIds")]
    pub vswitch_ids: VSwitchIds,
    pub user_cidrs: UserCidrs,
    pub secondary_cidr_blocks: SecondaryCidrBlocks,
    pub ipv6_cidr_blocks: Ipv6CidrBlocks,
    pub associated_cens: AssociatedCens,
    pub cloud_resources: CloudResources,
    pub tags: KeyValueTags,
}

#[derive(Debug, Serialize)]
pub struct AssociatedCens {
    #[serde(rename = "AssociatedCen")]
    pub cens: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct CloudResources {
    #[serde(rename = "CloudResourceSetType")]
    pub sets: Vec<CloudResource>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CloudResource {
    pub resource_type: &'static str,
    pub resource_count: usize,
}

pub fn handle(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let region = st.region(&req.region_id)?;
    let v = region.vpcs.get(&req.vpc_id).ok_or(ApiError::InvalidVpcIdNotFound)?;
    if req.is_default.is_some_and(|d| d != v.is_default) {
        return Err(ApiError::InvalidVpcIdNotFound);
    }
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let vsw = vswitch_ids(region, v);
    let mut sets = vec![];
    if !vsw.is_empty() {
        sets.push(CloudResource { resource_type: "VSwitch", resource_count: vsw.len() });
    }
    Ok(Response {
        vpc_id: v.id.clone(),
        region_id: v.region_id.clone(),
        status: v.status.as_str(),
        vpc_name: v.name.clone(),
        creation_time: creation_time(v),
        cidr_block: v.cidr.to_string(),
        ipv6_cidr_block: String::new(),
        vrouter_id: v.vrouter_id.clone(),
        description: v.description.clone(),
        is_default: v.is_default,
        classic_link_enabled: false,
        resource_group_id: v.resource_group_id.clone(),
        owner_id: st.owner_id,
        dhcp_options_set_id: String::new(),
        dhcp_options_set_status: String::new(),
        dns_hostname_status: if v.dns_hostname { "ENABLED" } else { "DISABLED" },
        enabled_ipv6: v.enable_ipv6,
        support_ipv4_gateway: false,
        ipv4_gateway_id: String::new(),
        vswitch_ids: VSwitchIds { ids: vsw },
        user_cidrs: UserCidrs { cidrs: v.user_cidrs.clone() },
        secondary_cidr_blocks: SecondaryCidrBlocks { cidrs: vec![] },
        ipv6_cidr_blocks: Ipv6CidrBlocks { blocks: vec![] },
        associated_cens: AssociatedCens { cens: vec![] },
        cloud_resources: CloudResources { sets },
        tags: KeyValueTags::of(&v.tags),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    #[test]
    fn cases() {
        let st = state();
        let id = default_vpc(&st, "cn-hangzhou");
        let run = |pairs: &[(&str, &str)]| handle(&st, &ctx(), parse(&params(pairs))?);
        let r = run(&[("RegionId", "cn-hangzhou"), ("VpcId", &id)]).unwrap();
        assert_eq!((r.status, r.is_default, r.vswitch_ids.ids.len()), ("Available", true, 4));
        for (pairs, code, status) in [
            (vec![("RegionId", "cn-hangzhou")], "MissingVpcId", 400),
            (vec![("VpcId", id.as_str())], "MissingRegionId", 400),
            (vec![("RegionId", "cn-hangzhou"), ("VpcId", "vpc-missing")], "InvalidVpcId.NotFound", 404),
            (vec![("RegionId", "cn-beijing"), ("VpcId", id.as_str())], "InvalidVpcId.NotFound", 404),
            (vec![("RegionId", "cn-hangzhou"), ("VpcId", id.as_str()), ("DryRun", "True")], "DryRunOperation", 400),
        ] {
            let e = run(&pairs).err().unwrap();
            assert_eq!((e.code().as_ref(), e.status()), (code, status), "{pairs:?}");
        }
    }
}
