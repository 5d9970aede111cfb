//! DeleteVpc (REAL-SERVICE §8.2, §7): refused while the VPC is not Available or still holds NAT
//! gateways or vSwitches (the message names them). `RegionId` is optional in the current API: without it the
//! VPC is looked up in every region.

use serde::Serialize;

use crate::actions::dry_run;
use crate::error::ApiError;
use crate::model::VpcStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: Option<String>,
    vpc_id: String,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    p.opt_bool("ForceDelete")?;
    Ok(Request { region_id: p.opt_string("RegionId"), vpc_id: p.required_string("VpcId")?, dry_run: dry_run(p)? })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Some(r) = &req.region_id {
        ctx.region(r)?;
    }
    let vpc = st.find_vpc(req.region_id.as_deref(), &req.vpc_id)?;
    if vpc.status != VpcStatus::Available {
        return Err(ApiError::IncorrectVpcStatus);
    }
    let region_id = vpc.region_id.clone();
    let region = st.region(&region_id)?;
    let gateways = region.nat_gateways_of_vpc(&vpc.id);
    if !gateways.is_empty() {
        let ids: Vec<&str> = gateways.iter().map(|g| g.id.as_str()).collect();
        return Err(ApiError::DependencyViolationNatGateway { nat_gateway_ids: ids.join(", ") });
    }
    let vsw = super::vswitch_ids(region, vpc);
    if !vsw.is_empty() {
        return Err(ApiError::DependencyViolationVSwitch { vswitch_ids: vsw.join(", ") });
    }
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    st.region_mut(&region_id)?.vpcs.remove(&req.vpc_id);
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;
    use crate::actions::vpc::create_vpc;

    #[test]
    fn deletes_an_empty_vpc_with_or_without_region() {
        for region in [Some("cn-hangzhou"), None] {
            let mut st = state();
            let p = params(&[("RegionId", "cn-hangzhou")]);
            let id = create_vpc::handle(&mut st, &ctx(), create_vpc::parse(&p).unwrap()).unwrap().vpc_id;
            let mut pairs = vec![("VpcId", id.as_str())];
            if let Some(r) = region {
                pairs.push(("RegionId", r));
            }
            handle(&mut st, &ctx(), parse(&params(&pairs)).unwrap()).unwrap();
            assert!(!st.regions["cn-hangzhou"].vpcs.contains_key(&id));
        }
    }

    #[test]
    fn refusals() {
        let mut st = state();
        let default = default_vpc(&st, "cn-hangzhou");
        let p = params(&[("RegionId", "cn-hangzhou")]);
        let pending =
            create_vpc::handle(&mut st, &ctx_with_delay(5000), create_vpc::parse(&p).unwrap()).unwrap().vpc_id;
        let before = serde_json::to_value(&st.regions).unwrap();
        for (pairs, code) in [
            (vec![("RegionId", "cn-hangzhou")], "MissingVpcId"),
            (vec![("VpcId", "vpc-nope")], "InvalidVpcId.NotFound"),
            (vec![("RegionId", "nowhere"), ("VpcId", default.as_str())], "InvalidRegionId.NotFound"),
            (vec![("VpcId", default.as_str())], "DependencyViolation.VSwitch"),
            (vec![("VpcId", pending.as_str())], "IncorrectVpcStatus"),
        ] {
            let e = parse(&params(&pairs)).and_then(|q| handle(&mut st, &ctx(), q)).err();
            let e = e.unwrap_or_else(|| panic!("{pairs:?} succeeded"));
            assert_eq!(e.code(), code, "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
        let e = handle(&mut st, &ctx(), parse(&params(&[("VpcId", &default)])).unwrap()).err().unwrap();
        assert!(e.message().contains("vsw-"), "names the blocking vSwitches: {}", e.message());
    }
}
