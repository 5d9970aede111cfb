//! DeletionProtection (REAL-SERVICE §8.3): `Type=NATGW` flips a gateway's protection (reported by
//! DescribeNatGateways and GetNatGatewayAttribute; it blocks DeleteNatGateway), `Type=EIP` an EIP's
//! (DescribeEipAddresses; it blocks ReleaseEipAddress). `CBWP` (shared bandwidth) is not modelled,
//! so such ids are never found.

use serde::Serialize;

use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    instance_id: String,
    enable: bool,
    kind: &'static str,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let instance_id = p.required_string("InstanceId")?;
    let enable = p.opt_bool("ProtectionEnable")?.ok_or(ApiError::missing("ProtectionEnable"))?;
    let kind = p.one_of("Type", &["EIP", "CBWP", "NATGW"])?.ok_or(ApiError::missing("Type"))?;
    Ok(Request { region_id, instance_id, enable, kind })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let flag: &mut bool = match req.kind {
        "NATGW" => {
            let gw = st
                .region_mut(&req.region_id)?
                .nat_gateways
                .get_mut(&req.instance_id)
                .ok_or(ApiError::DeletionProtectionResourceNotExist)?;
            &mut gw.deletion_protection
        }
        "EIP" => {
            let eip = st
                .region_mut(&req.region_id)?
                .eips
                .get_mut(&req.instance_id)
                .ok_or(ApiError::DeletionProtectionResourceNotExist)?;
            &mut eip.deletion_protection
        }
        _ => return Err(ApiError::DeletionProtectionResourceNotExist),
    };
    match (*flag, req.enable) {
        (true, true) => Err(ApiError::DeletionProtectionAlreadyEnabled),
        (false, false) => Err(ApiError::DeletionProtectionNotExist),
        _ => {
            *flag = req.enable;
            Ok(Response {})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;

    #[test]
    fn cases() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc)]);
        let id =
            create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        let run =
            |st: &mut AccountState, pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(st, &ctx(), q));
        let i = id.as_str();
        let base = [("RegionId", "cn-hangzhou"), ("InstanceId", i), ("Type", "NATGW")];
        let with = |v: &'static str| {
            let mut x = base.to_vec();
            x.push(("ProtectionEnable", v));
            x
        };
        assert_eq!(run(&mut st, &with("false")).err().unwrap().code(), "DeletionProtection.NotExist");
        run(&mut st, &with("true")).unwrap();
        assert!(st.regions["cn-hangzhou"].nat_gateways[&id].deletion_protection);
        assert_eq!(run(&mut st, &with("true")).err().unwrap().code(), "DeletionProtection.AlreadyEnabled");
        run(&mut st, &with("false")).unwrap();
        assert_eq!(run(&mut st, &base).err().unwrap().code(), "MissingProtectionEnable");
        let e = run(
            &mut st,
            &[("RegionId", "cn-hangzhou"), ("InstanceId", "ngw-x"), ("Type", "NATGW"), ("ProtectionEnable", "true")],
        );
        assert_eq!(e.err().unwrap().code(), "DeletionProtection.ResourceNotExist");
        let e = run(
            &mut st,
            &[("RegionId", "cn-hangzhou"), ("InstanceId", i), ("Type", "ECS"), ("ProtectionEnable", "true")],
        );
        assert_eq!(e.err().unwrap().code(), "InvalidParameter");
    }
}
