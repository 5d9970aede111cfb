//! DescribeVpcs (REAL-SERVICE §8.2): filters, paging (default 10, max 50), newest first.

use serde::Serialize;

use super::{creation_time, vswitch_ids};
use crate::actions::{dry_run, has_tags, page, KeyValueTags};
use crate::error::ApiError;
use crate::params::{Paging, Params, Tag};
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    vpc_ids: Option<Vec<String>>,
    vpc_name: Option<String>,
    is_default: Option<bool>,
    resource_group_id: Option<String>,
    dhcp_options_set_id: Option<String>,
    enable_ipv6: Option<bool>,
    vpc_owner_id: Option<i64>,
    tags: Vec<Tag>,
    paging: Paging,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let vpc_ids =
        p.opt("VpcId").map(|s| s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect::<Vec<_>>());
    if vpc_ids.as_ref().is_some_and(|v| v.len() > 20) {
        return Err(ApiError::InvalidVpcIdNumber);
    }
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        vpc_ids,
        vpc_name: p.opt_string("VpcName"),
        is_default: p.opt_bool("IsDefault")?,
        resource_group_id: p.opt_string("ResourceGroupId"),
        dhcp_options_set_id: p.opt_string("DhcpOptionsSetId"),
        enable_ipv6: p.opt_bool("EnableIpv6")?,
        vpc_owner_id: p.opt_int("VpcOwnerId", 0, i64::MAX)?,
        tags: p.tags("Tag")?,
        paging: p.paging(50)?,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub total_count: usize,
    pub page_number: usize,
    pub page_size: usize,
    pub vpcs: Vpcs,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpcs {
    pub vpc: Vec<VpcOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcOut {
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
    pub resource_group_id: String,
    pub owner_id: u64,
    pub cen_status: &'static str,
    pub dhcp_options_set_id: String,
    pub dhcp_options_set_status: String,
    pub dns_hostname_status: &'static str,
    pub enabled_ipv6: bool,
    #[serde(rename = "VSwitchIds")]
    pub vswitch_ids: VSwitchIds,
    pub user_cidrs: UserCidrs,
    pub nat_gateway_ids: NatGatewayIds,
    pub router_table_ids: RouterTableIds,
    pub secondary_cidr_blocks: SecondaryCidrBlocks,
    pub ipv6_cidr_blocks: Ipv6CidrBlocks,
    pub tags: KeyValueTags,
}

#[derive(Debug, Serialize)]
pub struct VSwitchIds {
    #[serde(rename = "VSwitchId")]
    pub ids: Vec<String>,
}
#[derive(Debug, Serialize)]
pub struct UserCidrs {
    #[serde(rename = "UserCidr")]
    pub cidrs: Vec<String>,
}
#[derive(Debug, Serialize)]
pub struct NatGatewayIds {
    #[serde(rename = "NatGatewayIds")]
    pub ids: Vec<String>,
}
#[derive(Debug, Serialize)]
pub struct RouterTableIds {
    #[serde(rename = "RouterTableIds")]
    pub ids: Vec<String>,
}
#[derive(Debug, Serialize)]
pub struct SecondaryCidrBlocks {
    #[serde(rename = "SecondaryCidrBlock")]
    pub cidrs: Vec<String>,
}
#[derive(Debug, Serialize)]
pub struct Ipv6CidrBlocks {
    #[serde(rename = "Ipv6CidrBlock")]
    pub blocks: Vec<serde_json::Value>,
}

pub fn handle(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let region = st.region(&req.region_id)?;
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let vpcs: Vec<_> = region
        .vpcs
        .in_order()
        .rev()
        .filter(|v| req.vpc_ids.as_ref().is_none_or(|ids| ids.contains(&v.id)))
        .filter(|v| req.vpc_name.as_ref().is_none_or(|n| &v.name == n))
        .filter(|v| req.is_default.is_none_or(|d| v.is_default == d))
        .filter(|v| req.resource_group_id.as_ref().is_none_or(|g| &v.resource_group_id == g))
        .filter(|v| req.enable_ipv6.is_none_or(|e| v.enable_ipv6 == e))
        .filter(|_| req.vpc_owner_id.is_none_or(|o| o as u64 == st.owner_id))
        .filter(|_| req.dhcp_options_set_id.is_none())
        .filter(|v| has_tags(&v.tags, &req.tags))
        .collect();
    let (total, vpcs) = page(vpcs, req.paging);
    let vpc = vpcs
        .into_iter()
        .map(|v| VpcOut {
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
            resource_group_id: v.resource_group_id.clone(),
            owner_id: st.owner_id,
            cen_status: "Detached",
            dhcp_options_set_id: String::new(),
            dhcp_options_set_status: String::new(),
            dns_hostname_status: if v.dns_hostname { "ENABLED" } else { "DISABLED" },
            enabled_ipv6: v.enable_ipv6,
            vswitch_ids: VSwitchIds { ids: vswitch_ids(region, v) },
            user_cidrs: UserCidrs { cidrs: v.user_cidrs.clone() },
            nat_gateway_ids: NatGatewayIds {
                ids: region.nat_gateways_of_vpc(&v.id).iter().map(|g| g.id.clone()).collect(),
            },
            router_table_ids: RouterTableIds { ids: vec![v.route_table_id.clone()] },
            secondary_cidr_blocks: SecondaryCidrBlocks { cidrs: vec![] },
            ipv6_cidr_blocks: Ipv6CidrBlocks { blocks: vec![] },
            tags: KeyValueTags::of(&v.tags),
        })
        .collect();
    Ok(Response { total_count: total, page_number: req.paging.number, page_size: req.paging.size, vpcs: Vpcs { vpc } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;
    use crate::actions::vpc::create_vpc;

    fn run(st: &AccountState, pairs: &[(&str, &str)]) -> Result<Response, ApiError> {
        handle(st, &ctx(), parse(&params(pairs))?)
    }

    #[test]
    fn filters_and_pages() {
        let mut st = state();
        let mut ids = vec![];
        for i in 0..5 {
            let name = format!("v{i}");
            let p = params(&[
                ("RegionId", "cn-shanghai"),
                ("VpcName", &name),
                ("Tag.1.Key", "k"),
                ("Tag.1.Value", if i % 2 == 0 { "even" } else { "odd" }),
            ]);
            ids.push(create_vpc::handle(&mut st, &ctx(), create_vpc::parse(&p).unwrap()).unwrap().vpc_id);
        }
        let all = run(&st, &[("RegionId", "cn-shanghai")]).unwrap();
        assert_eq!(all.total_count, 6);
        assert_eq!(all.vpcs.vpc[0].vpc_id, ids[4], "newest first");
        let page2 = run(&st, &[("RegionId", "cn-shanghai"), ("PageSize", "4"), ("PageNumber", "2")]).unwrap();
        assert_eq!((page2.total_count, page2.vpcs.vpc.len()), (6, 2));
        let past = run(&st, &[("RegionId", "cn-shanghai"), ("PageNumber", "99")]).unwrap();
        assert!(past.vpcs.vpc.is_empty());
        assert_eq!(run(&st, &[("RegionId", "cn-shanghai"), ("IsDefault", "true")]).unwrap().total_count, 1);
        assert_eq!(run(&st, &[("RegionId", "cn-shanghai"), ("VpcName", "v3")]).unwrap().vpcs.vpc[0].vpc_id, ids[3]);
        let two = format!("{},{}", ids[0], ids[1]);
        assert_eq!(run(&st, &[("RegionId", "cn-shanghai"), ("VpcId", &two)]).unwrap().total_count, 2);
        assert_eq!(
            run(&st, &[("RegionId", "cn-shanghai"), ("Tag.1.Key", "k"), ("Tag.1.Value", "even")]).unwrap().total_count,
            3
        );
        assert_eq!(run(&st, &[("RegionId", "cn-shanghai"), ("VpcId", "vpc-nope")]).unwrap().total_count, 0);
    }

    #[test]
    fn refusals() {
        let st = state();
        let many = (0..21).map(|i| format!("vpc-{i}")).collect::<Vec<_>>().join(",");
        for (pairs, code) in [
            (vec![], "MissingRegionId"),
            (vec![("RegionId", "x")], "InvalidRegionId.NotFound"),
            (vec![("RegionId", "cn-hangzhou"), ("PageSize", "51")], "InvalidParameter"),
            (vec![("RegionId", "cn-hangzhou"), ("VpcId", many.as_str())], "InvalidVpcIdNumber.NotSupported"),
            (vec![("RegionId", "cn-hangzhou"), ("DryRun", "true")], "DryRunOperation"),
        ] {
            assert_eq!(run(&st, &pairs).err().unwrap().code(), code, "{pairs:?}");
        }
    }
}
