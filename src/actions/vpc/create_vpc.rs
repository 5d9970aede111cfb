//! CreateVpc (REAL-SERVICE §8.2): a VPC with its vRouter and system route table, `Pending` until
//! the configured delay has passed.

use serde::Serialize;

use crate::actions::dry_run;
use crate::error::ApiError;
use crate::model::vpc::parse_cidr;
use crate::model::{valid_description_1_256, valid_name_1_128, Vpc, VpcStatus};
use crate::params::{Params, Tag};
use crate::store::{AccountState, Ctx, Due};

pub const DEFAULT_CIDR: &str = "172.16.0.0/12";

pub struct Request {
    region_id: String,
    cidr: ipnet::Ipv4Net,
    name: String,
    description: String,
    user_cidrs: Vec<String>,
    enable_ipv6: bool,
    dns_hostname: bool,
    resource_group_id: Option<String>,
    tags: Vec<Tag>,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let cidr = parse_cidr(p.opt("CidrBlock").unwrap_or(DEFAULT_CIDR), 8, 28).ok_or(ApiError::InvalidVpcCidrBlock)?;
    let name = p.opt_string("VpcName").unwrap_or_default();
    if !name.is_empty() && !valid_name_1_128(&name) {
        return Err(ApiError::InvalidVpcNameMalformed);
    }
    let description = p.opt_string("Description").unwrap_or_default();
    if !description.is_empty() && !valid_description_1_256(&description) {
        return Err(ApiError::InvalidVpcDescriptionMalformed);
    }
    let user_cidrs: Vec<String> = p
        .opt("UserCidr")
        .map(|s| s.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect())
        .unwrap_or_default();
    if user_cidrs.len() > 3 {
        return Err(ApiError::invalid("UserCidr", "Specified UserCidr number is greater than 3."));
    }
    for c in &user_cidrs {
        if parse_cidr(c, 8, 28).is_none() {
            return Err(ApiError::invalid("UserCidr", "Specified UserCidr invalid format."));
        }
    }
    Ok(Request {
        region_id,
        cidr,
        name,
        description,
        user_cidrs,
        enable_ipv6: p.bool_or("EnableIpv6", false)?,
        dns_hostname: p.bool_or("EnableDnsHostname", false)?,
        resource_group_id: p.opt_string("ResourceGroupId"),
        tags: p.tags("Tag")?,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub vpc_id: String,
    #[serde(rename = "VRouterId")]
    pub vrouter_id: String,
    pub route_table_id: String,
    pub resource_group_id: String,
}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region = ctx.region(&req.region_id)?;
    let count = st.region(&req.region_id)?.vpcs.len();
    if count >= ctx.quotas.vpcs_per_region {
        return Err(ApiError::QuotaExceededVpc { limit: ctx.quotas.vpcs_per_region });
    }
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let id = st.ids.resource_id("vpc", &region.id_code);
    let vrouter_id = st.ids.resource_id("vrt", &region.id_code);
    let route_table_id = st.ids.resource_id("vtb", &region.id_code);
    let resource_group_id = req.resource_group_id.unwrap_or_else(|| st.resource_group_id.clone());
    let seq = st.next_seq();
    let delay = ctx.delays.vpc_create_ms;
    let vpc = Vpc {
        id: id.clone(),
        region_id: req.region_id.clone(),
        name: req.name,
        description: req.description,
        cidr: req.cidr,
        user_cidrs: req.user_cidrs,
        is_default: false,
        status: if delay == 0 { VpcStatus::Available } else { VpcStatus::Pending },
        created_ms: ctx.now,
        vrouter_id: vrouter_id.clone(),
        route_table_id: route_table_id.clone(),
        resource_group_id: resource_group_id.clone(),
        tags: req.tags,
        enable_ipv6: req.enable_ipv6,
        dns_hostname: req.dns_hostname,
        routes: vec![],
        seq,
    };
    st.region_mut(&req.region_id)?.vpcs.insert(id.clone(), vpc);
    if delay > 0 {
        st.timers.schedule(ctx.now + delay, Due::VpcAvailable { region: req.region_id, id: id.clone() });
    }
    Ok(Response { vpc_id: id, vrouter_id, route_table_id, resource_group_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    fn run(st: &mut AccountState, pairs: &[(&str, &str)]) -> Result<Response, ApiError> {
        handle(st, &ctx(), parse(&params(pairs))?)
    }

    #[test]
    fn creates_with_defaults() {
        let mut st = state();
        let r = run(&mut st, &[("RegionId", "cn-hangzhou"), ("VpcName", "a"), ("Tag.1.Key", "env")]).unwrap();
        assert!(
            r.vpc_id.starts_with("vpc-bp1") && r.vrouter_id.starts_with("vrt-") && r.route_table_id.starts_with("vtb-")
        );
        let v = &st.regions["cn-hangzhou"].vpcs[&r.vpc_id];
        assert_eq!(v.cidr.to_string(), DEFAULT_CIDR);
        assert_eq!(v.status, VpcStatus::Available);
        assert_eq!(v.tags.len(), 1);
    }

    #[test]
    fn pending_until_the_delay_passes() {
        let mut st = state();
        let r =
            handle(&mut st, &ctx_with_delay(1000), parse(&params(&[("RegionId", "cn-hangzhou")])).unwrap()).unwrap();
        assert_eq!(st.regions["cn-hangzhou"].vpcs[&r.vpc_id].status, VpcStatus::Pending);
        st.settle(NOW + 999);
        assert_eq!(st.regions["cn-hangzhou"].vpcs[&r.vpc_id].status, VpcStatus::Pending);
        st.settle(NOW + 1000);
        assert_eq!(st.regions["cn-hangzhou"].vpcs[&r.vpc_id].status, VpcStatus::Available);
    }

    #[test]
    fn refusals_change_nothing() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "MissingRegionId"),
            (&[("RegionId", "nowhere")], "InvalidRegionId.NotFound"),
            (&[("RegionId", "cn-hangzhou"), ("CidrBlock", "10.0.0.0/30")], "InvalidParameter"),
            (&[("RegionId", "cn-hangzhou"), ("CidrBlock", "100.64.0.0/16")], "InvalidParameter"),
            (&[("RegionId", "cn-hangzhou"), ("CidrBlock", "bogus")], "InvalidParameter"),
            (&[("RegionId", "cn-hangzhou"), ("VpcName", "http://x")], "InvalidVpcName.Malformed"),
            (&[("RegionId", "cn-hangzhou"), ("Description", "https://x")], "InvalidVpcDiscription.Malformed"),
            (&[("RegionId", "cn-hangzhou"), ("UserCidr", "a,b")], "InvalidParameter"),
            (&[("RegionId", "cn-hangzhou"), ("Tag.1.Key", "acs:x")], "InvalidTagKey"),
            (&[("RegionId", "cn-hangzhou"), ("DryRun", "true")], "DryRunOperation"),
            (&[("RegionId", "cn-hangzhou"), ("DryRun", "perhaps")], "InvalidParameter"),
        ];
        for (pairs, code) in cases {
            let mut st = state();
            let before = serde_json::to_value(&st.regions).unwrap();
            assert_eq!(run(&mut st, pairs).err().map(|e| e.code()).as_deref(), Some(*code), "{pairs:?}");
            assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
        }
    }

    #[test]
    fn quota() {
        let mut st = state();
        for _ in 1..ctx().quotas.vpcs_per_region {
            run(&mut st, &[("RegionId", "cn-beijing")]).unwrap();
        }
        assert_eq!(run(&mut st, &[("RegionId", "cn-beijing")]).err().unwrap().code(), "QuotaExceeded.Vpc");
    }
}
