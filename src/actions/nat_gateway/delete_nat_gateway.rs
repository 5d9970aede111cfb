//! DeleteNatGateway (ACTIONS.md §2.5, REAL-SERVICE §5.1, §7): refused while deletion protection is
//! on, while the gateway is not Available, or — without `Force` — while bandwidth packages, EIPs,
//! SNAT or DNAT entries depend on it (the message names them). `Force=true` detaches them. The
//! gateway goes `Deleting` → gone; then its private IP and its 0.0.0.0/0 route are released.

use serde::Serialize;

use crate::error::{ApiError, NatDependency};
use crate::model::NatStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    nat_gateway_id: String,
    force: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        nat_gateway_id: p.required_string("NatGatewayId")?,
        force: p.bool_or("Force", false)?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let gw = st.nat_gateway(&req.region_id, &req.nat_gateway_id)?;
    if gw.deletion_protection {
        return Err(ApiError::DeletionProtectionOn { id: gw.id.clone() });
    }
    if gw.status != NatStatus::Available {
        return Err(ApiError::IncorrectStatusNatGateway { status: gw.status.as_str(), not_found: true });
    }
    let rs = st.region(&req.region_id)?;
    let deps = rs.nat_dependents(&req.nat_gateway_id);
    if !req.force {
        let blockers = [
            (NatDependency::BandwidthPackages, &deps.bandwidth_packages),
            (NatDependency::Eips, &deps.eips),
            (NatDependency::SnatEntry, &deps.snat_entries),
            (NatDependency::ForwardEntry, &deps.forward_entries),
        ];
        if let Some((kind, ids)) = blockers.into_iter().find(|(_, ids)| !ids.is_empty()) {
            return Err(ApiError::NatDependency { kind, ids: ids.join(", ") });
        }
    }
    let rs = st.region_mut(&req.region_id)?;
    if !deps.is_empty() {
        let freed = rs.release_nat_dependents(&req.nat_gateway_id);
        crate::actions::bandwidth_package::give_back(ctx, &req.region_id, freed);
    }
    if let Some(g) = rs.nat_gateways.get_mut(&req.nat_gateway_id) {
        g.status = NatStatus::Deleting;
    }
    st.after(ctx.now, ctx.delays.nat_delete_ms, Due::NatGone { region: req.region_id, id: req.nat_gateway_id });
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;

    #[test]
    fn deletes_after_the_delay_and_releases_ip_and_route() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc)]);
        let id =
            create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        let run = |st: &mut AccountState, pairs: &[(&str, &str)]| {
            parse(&params(pairs)).and_then(|q| handle(st, &ctx_with_delay(200), q))
        };
        run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id)]).unwrap();
        assert_eq!(st.regions["cn-hangzhou"].nat_gateways[&id].status, NatStatus::Deleting);
        let e = run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id)]).err().unwrap();
        assert_eq!((e.code().as_ref(), e.status()), ("IncorrectStatus.NatGateway", 404));
        st.settle(NOW + 200);
        let rs = &st.regions["cn-hangzhou"];
        assert!(!rs.nat_gateways.contains_key(&id));
        assert!(rs.vpcs[&vpc].routes.is_empty());
        assert!(rs.vswitches.values().all(|v| v.used_ips.is_empty()));
        let e = run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id)]).err().unwrap();
        assert_eq!((e.code().as_ref(), e.status()), ("InvalidNatGatewayId.NotFound", 404));
    }

    #[test]
    fn deletion_protection_blocks() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc)]);
        let id =
            create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        st.regions.get_mut("cn-hangzhou").unwrap().nat_gateways.get_mut(&id).unwrap().deletion_protection = true;
        let e = parse(&params(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id), ("Force", "true")]))
            .and_then(|q| handle(&mut st, &ctx(), q))
            .err()
            .unwrap();
        assert_eq!(e.code(), "InvalidOperation.DeletionProtection");
        assert!(e.message().contains(&id));
        assert_eq!(
            parse(&params(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id), ("Force", "sure")]))
                .err()
                .unwrap()
                .code(),
            "InvalidParameter"
        );
    }
}

#[cfg(test)]
mod dependency_tests {
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;
    use crate::actions::vpc::delete_vpc;
    use crate::actions::vswitch::delete_vswitch;

    /// The VPC and the vSwitch of a gateway cannot go while it exists; the error names it.
    #[test]
    fn vpc_and_vswitch_wait_for_the_gateway() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc)]);
        let r = create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap();
        let vsw = st.regions["cn-hangzhou"].nat_gateways[&r.nat_gateway_id].vswitch_id.clone();
        let e =
            delete_vpc::handle(&mut st, &ctx(), delete_vpc::parse(&params(&[("VpcId", &vpc)])).unwrap()).err().unwrap();
        assert_eq!(e.code(), "DependencyViolation.NatGateway");
        assert!(e.message().contains(&r.nat_gateway_id));
        let e =
            delete_vswitch::handle(&mut st, &ctx(), delete_vswitch::parse(&params(&[("VSwitchId", &vsw)])).unwrap())
                .err()
                .unwrap();
        assert_eq!(e.code(), "DependencyViolation.EnhancedNatgw");
        assert!(e.message().contains(&r.nat_gateway_id));
    }
}
