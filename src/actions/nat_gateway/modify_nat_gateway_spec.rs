//! ModifyNatGatewaySpec (ACTIONS.md §2.3): Small, Middle, Large (and XLarge.1, which Create and
//! Terraform accept). The same spec again is `NATGW_MODIFY_SPEC_SAME`; a change moves the gateway
//! to `Modifying` → `Available`.

use serde::Serialize;

use super::available_for_change;
use crate::error::ApiError;
use crate::model::nat_gateway::{canonical, SPECS};
use crate::model::NatStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    nat_gateway_id: String,
    spec: &'static str,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let nat_gateway_id = p.required_string("NatGatewayId")?;
    let spec = canonical(p.required("Spec")?, SPECS).ok_or(ApiError::InvalidSpecValueNotSupported)?;
    p.opt_bool("AutoPay")?;
    Ok(Request { region_id, nat_gateway_id, spec })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let gw = available_for_change(st, &req.region_id, &req.nat_gateway_id, |status| {
        ApiError::IncorrectStatusNatGateway { status, not_found: false }
    })?;
    if gw.spec == req.spec {
        return Err(ApiError::NatgwModifySpecSame);
    }
    gw.spec = req.spec.to_owned();
    gw.status = NatStatus::Modifying;
    st.after(ctx.now, ctx.delays.nat_modify_ms, Due::NatAvailable { region: req.region_id, id: req.nat_gateway_id });
    Ok(Response {})
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
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc), ("Spec", "Small")]);
        let id =
            create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        let run = |st: &mut AccountState, pairs: &[(&str, &str)]| {
            parse(&params(pairs)).and_then(|q| handle(st, &ctx_with_delay(50), q))
        };
        let i = id.as_str();
        assert_eq!(
            run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("Spec", "Small")]).err().unwrap().code(),
            "NATGW_MODIFY_SPEC_SAME"
        );
        assert_eq!(
            run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("Spec", "Tiny")]).err().unwrap().code(),
            "InvalidParameter.Spec.ValueNotSupported"
        );
        assert_eq!(
            run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", i)]).err().unwrap().code(),
            "MissingSpec"
        );
        assert_eq!(
            run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", "ngw-q"), ("Spec", "Large")])
                .err()
                .unwrap()
                .status(),
            404
        );
        run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("Spec", "middle")]).unwrap();
        let gw = &st.regions["cn-hangzhou"].nat_gateways[&id];
        assert_eq!((gw.spec.as_str(), gw.status), ("Middle", NatStatus::Modifying));
        let e = run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("Spec", "Large")]).err().unwrap();
        assert_eq!((e.code().as_ref(), e.status()), ("IncorrectStatus.NatGateway", 400));
        st.settle(NOW + 50);
        run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("Spec", "Large")]).unwrap();
    }
}
