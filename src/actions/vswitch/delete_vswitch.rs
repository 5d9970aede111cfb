//! DeleteVSwitch (REAL-SERVICE §8.2, §7): refused while Pending or while a NAT gateway sits in it
//! (`DependencyViolation.EnhancedNatgw`, which Terraform retries; the message names the gateways).

use serde::Serialize;

use crate::actions::dry_run;
use crate::error::ApiError;
use crate::model::VSwitchStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: Option<String>,
    vswitch_id: String,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.opt_string("RegionId"),
        vswitch_id: p.required_string("VSwitchId")?,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Some(r) = &req.region_id {
        ctx.region(r)?;
    }
    let v = st.find_vswitch(req.region_id.as_deref(), &req.vswitch_id)?;
    if v.status != VSwitchStatus::Available {
        return Err(ApiError::IncorrectVSwitchStatus);
    }
    let users: Vec<&str> = st
        .region(&v.region_id)?
        .nat_gateways
        .values()
        .filter(|g| g.vswitch_id == v.id)
        .map(|g| g.id.as_str())
        .collect();
    if !users.is_empty() {
        return Err(ApiError::DependencyViolationEnhancedNatgw { nat_gateway_ids: users.join(", ") });
    }
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let region_id = v.region_id.clone();
    st.region_mut(&region_id)?.vswitches.remove(&req.vswitch_id);
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;
    use crate::actions::vswitch::create_vswitch;

    #[test]
    fn deletes_and_refuses() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let p = params(&[("VpcId", &vpc), ("ZoneId", "cn-hangzhou-h"), ("CidrBlock", "172.20.0.0/24")]);
        let pending = create_vswitch::handle(&mut st, &ctx_with_delay(100), create_vswitch::parse(&p).unwrap())
            .unwrap()
            .vswitch_id;
        let run =
            |st: &mut AccountState, pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(st, &ctx(), q));
        assert_eq!(run(&mut st, &[("VSwitchId", &pending)]).err().unwrap().code(), "IncorrectVSwitchStatus");
        assert_eq!(run(&mut st, &[("VSwitchId", "vsw-x")]).err().unwrap().code(), "InvalidVSwitchId.NotFound");
        assert_eq!(run(&mut st, &[]).err().unwrap().code(), "MissingVSwitchId");
        st.settle(NOW + 100);
        run(&mut st, &[("RegionId", "cn-hangzhou"), ("VSwitchId", &pending)]).unwrap();
        assert!(!st.regions["cn-hangzhou"].vswitches.contains_key(&pending));
    }
}
