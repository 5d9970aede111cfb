//! UpdateNatGatewayNatType (REAL-SERVICE §8.3, §4.3): upgrades a standard (`Normal`) gateway to
//! `Enhanced` in a vSwitch of its VPC; the gateway goes `Converting` → `Available`.

use serde::Serialize;

use super::create_nat_gateway::pick_private_ip;
use crate::actions::dry_run;
use crate::error::ApiError;
use crate::model::{NatStatus, VSwitchStatus};
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    nat_gateway_id: String,
    vswitch_id: String,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let nat_gateway_id = p.required_string("NatGatewayId")?;
    if !p.required("NatType")?.eq_ignore_ascii_case("Enhanced") {
        return Err(ApiError::invalid("NatType", "the only valid value is Enhanced."));
    }
    Ok(Request { region_id, nat_gateway_id, vswitch_id: p.required_string("VSwitchId")?, dry_run: dry_run(p)? })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let gw = rs.nat_gateways.get(&req.nat_gateway_id).ok_or(ApiError::NatgwNotExist)?;
    if gw.nat_type == "Enhanced" {
        return Err(ApiError::NatConvertUnsupported);
    }
    if gw.status != NatStatus::Available {
        return Err(ApiError::IncorrectStatusNatGateway { status: gw.status.as_str(), not_found: false });
    }
    if !rs.nat_dependents(&gw.id).bandwidth_packages.is_empty() {
        return Err(ApiError::NatGwBindWithBandwidthPackage);
    }
    let vsw = rs.vswitches.get(&req.vswitch_id).ok_or(ApiError::VswNotExist)?;
    if vsw.vpc_id != gw.vpc_id {
        return Err(ApiError::VswNotBelongToVpc);
    }
    if vsw.status != VSwitchStatus::Available {
        return Err(ApiError::VswitchStatusError);
    }
    let ip = pick_private_ip(vsw, None)?;
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let zone = vsw.zone_id.clone();
    let code = ctx.region(&req.region_id)?.id_code.clone();
    let eni = format!("eni-{}", &st.ids.resource_id("x", &code)[2..22]);
    let rs = st.region_mut(&req.region_id)?;
    if let Some(v) = rs.vswitches.get_mut(&req.vswitch_id) {
        v.take_ip(ip);
    }
    if let Some(g) = rs.nat_gateways.get_mut(&req.nat_gateway_id) {
        g.nat_type = "Enhanced".into();
        g.vswitch_id = req.vswitch_id.clone();
        g.zone_id = zone;
        g.private_ip = Some(ip);
        g.eni_id = eni;
        g.status = NatStatus::Converting;
    }
    st.after(ctx.now, ctx.delays.nat_modify_ms, Due::NatAvailable { region: req.region_id, id: req.nat_gateway_id });
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;

    #[test]
    fn converts_a_normal_gateway() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let vsw = st.regions["cn-hangzhou"].vswitches.values().find(|v| v.vpc_id == vpc).unwrap().id.clone();
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc), ("NatType", "Normal")]);
        let normal =
            create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc)]);
        let enhanced =
            create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        let run = |st: &mut AccountState, id: &str, vsw: &str| {
            parse(&params(&[
                ("RegionId", "cn-hangzhou"),
                ("NatGatewayId", id),
                ("NatType", "Enhanced"),
                ("VSwitchId", vsw),
            ]))
            .and_then(|q| handle(st, &ctx_with_delay(10), q))
        };
        assert_eq!(run(&mut st, &enhanced, &vsw).err().unwrap().code(), "OperationUnsupported.NatConvert");
        assert_eq!(run(&mut st, "ngw-none", &vsw).err().unwrap().code(), "NATGW_NOT_EXIST");
        assert_eq!(run(&mut st, &normal, "vsw-none").err().unwrap().code(), "OperationFailed.VswNotExist");
        run(&mut st, &normal, &vsw).unwrap();
        let g = &st.regions["cn-hangzhou"].nat_gateways[&normal];
        assert_eq!((g.nat_type.as_str(), g.status), ("Enhanced", NatStatus::Converting));
        st.settle(NOW + 10);
        assert_eq!(st.regions["cn-hangzhou"].nat_gateways[&normal].status, NatStatus::Available);
    }
}
