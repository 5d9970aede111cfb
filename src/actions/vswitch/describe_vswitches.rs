//! DescribeVSwitches (REAL-SERVICE §8.2): RegionId or VpcId, filters, paging (max 50), newest first.

use serde::Serialize;

use super::{view, VSwitchOut};
use crate::actions::{dry_run, has_tags, page};
use crate::error::ApiError;
use crate::params::{Paging, Params, Tag};
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: Option<String>,
    vpc_id: Option<String>,
    vswitch_ids: Option<Vec<String>>,
    zone_id: Option<String>,
    name: Option<String>,
    is_default: Option<bool>,
    resource_group_id: Option<String>,
    route_table_id: Option<String>,
    owner_id: Option<i64>,
    tags: Vec<Tag>,
    paging: Paging,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.opt_string("RegionId");
    let vpc_id = p.opt_string("VpcId");
    if region_id.is_none() && vpc_id.is_none() {
        return Err(ApiError::missing("RegionId"));
    }
    p.opt_bool("EnableIpv6")?;
    Ok(Request {
        region_id,
        vpc_id,
        vswitch_ids: p
            .opt("VSwitchId")
            .map(|s| s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect()),
        zone_id: p.opt_string("ZoneId"),
        name: p.opt_string("VSwitchName"),
        is_default: p.opt_bool("IsDefault")?,
        resource_group_id: p.opt_string("ResourceGroupId"),
        route_table_id: p.opt_string("RouteTableId"),
        owner_id: p.opt_int("VSwitchOwnerId", 0, i64::MAX)?,
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
    #[serde(rename = "VSwitches")]
    pub vswitches: VSwitches,
}

#[derive(Debug, Serialize)]
pub struct VSwitches {
    #[serde(rename = "VSwitch")]
    pub vswitch: Vec<VSwitchOut>,
}

pub fn handle(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region_id = match (&req.region_id, &req.vpc_id) {
        (Some(r), _) => {
            ctx.region(r)?;
            r.clone()
        }
        (None, Some(vpc)) => match st.find_vpc(None, vpc) {
            Ok(v) => v.region_id.clone(),
            Err(_) => {
                let paging = req.paging;
                let empty = VSwitches { vswitch: vec![] };
                return Ok(Response {
                    total_count: 0,
                    page_number: paging.number,
                    page_size: paging.size,
                    vswitches: empty,
                });
            }
        },
        (None, None) => return Err(ApiError::missing("RegionId")),
    };
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let region = st.region(&region_id)?;
    let items: Vec<_> = region
        .vswitches
        .in_order()
        .rev()
        .filter(|v| req.vpc_id.as_ref().is_none_or(|x| &v.vpc_id == x))
        .filter(|v| req.vswitch_ids.as_ref().is_none_or(|ids| ids.contains(&v.id)))
        .filter(|v| req.zone_id.as_ref().is_none_or(|z| &v.zone_id == z))
        .filter(|v| req.name.as_ref().is_none_or(|n| &v.name == n))
        .filter(|v| req.is_default.is_none_or(|d| v.is_default == d))
        .filter(|v| req.resource_group_id.as_ref().is_none_or(|g| &v.resource_group_id == g))
        .filter(|v| req.route_table_id.as_ref().is_none_or(|t| &v.route_table_id == t))
        .filter(|_| req.owner_id.is_none_or(|o| o as u64 == st.owner_id))
        .filter(|v| has_tags(&v.tags, &req.tags))
        .collect();
    let (total, items) = page(items, req.paging);
    Ok(Response {
        total_count: total,
        page_number: req.paging.number,
        page_size: req.paging.size,
        vswitches: VSwitches { vswitch: items.into_iter().map(|v| view(v, st.owner_id)).collect() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    #[test]
    fn filters() {
        let st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let run = |pairs: &[(&str, &str)]| handle(&st, &ctx(), parse(&params(pairs))?);
        assert_eq!(run(&[("RegionId", "cn-hangzhou")]).unwrap().total_count, 4);
        assert_eq!(run(&[("VpcId", &vpc)]).unwrap().total_count, 4, "VpcId alone finds the region");
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("ZoneId", "cn-hangzhou-j")]).unwrap().total_count, 1);
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("PageSize", "3")]).unwrap().vswitches.vswitch.len(), 3);
        assert_eq!(run(&[("VpcId", "vpc-unknown")]).unwrap().total_count, 0);
        assert_eq!(run(&[]).err().unwrap().code(), "MissingRegionId");
        assert_eq!(run(&[("RegionId", "x")]).err().unwrap().code(), "InvalidRegionId.NotFound");
    }
}
