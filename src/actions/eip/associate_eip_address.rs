//! AssociateEipAddress (REAL-SERVICE §7, §8.1) with `InstanceType=Nat`: the EIP must be Available,
//! the gateway an Available Internet gateway of the same region with room for another EIP (20, or
//! 50 in `EipBindMode=NAT`). The EIP goes `Associating` → `InUse`; the gateway's `IpLists` shows it
//! at once. Other instance types (ECS, CLB, ENI, HaVip, IpAddress) are not modelled: their ids are
//! never found, as the real service answers for an instance that does not exist.

use serde::Serialize;

use super::find_eip;
use crate::error::ApiError;
use crate::model::{EipBinding, EipStatus, NatStatus};
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub const INSTANCE_TYPES: &[&str] = &["Nat", "SlbInstance", "EcsInstance", "NetworkInterface", "HaVip", "IpAddress"];

pub struct Request {
    region_id: Option<String>,
    allocation_id: String,
    instance_id: String,
    instance_type: &'static str,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let allocation_id = p.required_string("AllocationId")?;
    let instance_id = p.required_string("InstanceId")?;
    let instance_type = match p.opt("InstanceType") {
        None => "EcsInstance",
        Some(t) => INSTANCE_TYPES
            .iter()
            .copied()
            .find(|x| x.eq_ignore_ascii_case(t))
            .ok_or(ApiError::InvalidInstanceTypeValueNotSupported)?,
    };
    if let Some(m) = p.opt("Mode") {
        if !["NAT", "MULTI_BINDED", "BINDED"].iter().any(|x| x.eq_ignore_ascii_case(m)) {
            return Err(ApiError::invalid("Mode", "valid values are NAT, MULTI_BINDED, BINDED."));
        }
    }
    Ok(Request { region_id: p.opt_string("RegionId"), allocation_id, instance_id, instance_type })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Some(r) = &req.region_id {
        ctx.region(r)?;
    }
    let eip = find_eip(st, req.region_id.as_deref(), &req.allocation_id)?;
    if req.instance_type != "Nat" {
        return Err(ApiError::InvalidInstanIdNotFound);
    }
    let region_id = eip.region_id.clone();
    let rs = st.region(&region_id)?;
    let Some(gw) = rs.nat_gateways.get(&req.instance_id) else {
        let elsewhere = st.regions.values().any(|r| r.nat_gateways.contains_key(&req.instance_id));
        return Err(if elsewhere { ApiError::InvalidParameterMismatch } else { ApiError::InvalidInstanIdNotFound });
    };
    if eip.bound_to(&gw.id) && eip.status != EipStatus::Unassociating {
        return Err(ApiError::InvalidAssociationDuplicated);
    }
    if eip.status != EipStatus::Available {
        return Err(ApiError::IncorrectEipStatus { status: eip.status.as_str() });
    }
    if gw.status != NatStatus::Available {
        return Err(ApiError::IncorrectStatusNatGateway { status: gw.status.as_str(), not_found: false });
    }
    if !gw.is_internet() {
        return Err(ApiError::EipCanNotBindNatgw { reason: "A VPC NAT gateway (NetworkType=intranet) takes no EIP." });
    }
    if !rs.packages_of(&gw.id).is_empty() {
        return Err(ApiError::EipCanNotBindNatgw {
            reason: "The gateway has NAT bandwidth packages; delete them before associating EIPs.",
        });
    }
    let limit = if gw.eip_bind_mode == "NAT" {
        ctx.quotas.eips_per_nat_gateway_nat_mode
    } else {
        ctx.quotas.eips_per_nat_gateway
    };
    if rs.eips_of(&gw.id).len() >= limit {
        return Err(ApiError::QuotaExceededNumberOfEip { limit });
    }
    let binding = EipBinding {
        instance_id: gw.id.clone(),
        instance_type: "Nat".into(),
        vpc_id: gw.vpc_id.clone(),
        bound_ms: ctx.now,
    };
    if let Some(e) = st.region_mut(&region_id)?.eips.get_mut(&req.allocation_id) {
        e.binding = Some(binding);
        e.status = EipStatus::Associating;
    }
    st.after(ctx.now, ctx.delays.eip_associate_ms, Due::EipInUse { region: region_id, id: req.allocation_id });
    Ok(Response {})
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::actions::eip::allocate_eip_address;
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;

    /// A gateway (Available) and an EIP in `region`.
    pub fn gateway_and_eip(st: &mut AccountState, region: &str, extra: &[(&str, &str)]) -> (String, String) {
        let vpc = default_vpc(st, region);
        let mut pairs = vec![("RegionId", region), ("VpcId", vpc.as_str())];
        pairs.extend_from_slice(extra);
        let p = params(&pairs);
        let gw = create_nat_gateway::handle(st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        let p = params(&[("RegionId", region)]);
        let eip =
            allocate_eip_address::handle(st, &ctx(), allocate_eip_address::parse(&p).unwrap()).unwrap().allocation_id;
        (gw, eip)
    }

    pub fn associate(st: &mut AccountState, eip: &str, gw: &str, delay: u64) -> Result<Response, ApiError> {
        parse(&params(&[("AllocationId", eip), ("InstanceId", gw), ("InstanceType", "Nat")]))
            .and_then(|q| handle(st, &ctx_with_delay(delay), q))
    }

    #[test]
    fn associates_through_associating() {
        let mut st = state();
        let (gw, eip) = gateway_and_eip(&mut st, "cn-hangzhou", &[]);
        associate(&mut st, &eip, &gw, 500).unwrap();
        let e = &st.regions["cn-hangzhou"].eips[&eip];
        assert_eq!((e.status, e.binding.as_ref().unwrap().instance_id.as_str()), (EipStatus::Associating, gw.as_str()));
        assert_eq!(st.regions["cn-hangzhou"].nat_dependents(&gw).eips, vec![eip.clone()]);
        assert_eq!(associate(&mut st, &eip, &gw, 0).err().unwrap().code(), "InvalidAssociation.Duplicated");
        st.settle(NOW + 500);
        assert_eq!(st.regions["cn-hangzhou"].eips[&eip].status, EipStatus::InUse);
    }

    #[test]
    fn refusals_change_nothing() {
        let mut st = state();
        let (gw, eip) = gateway_and_eip(&mut st, "cn-hangzhou", &[]);
        let (intranet, _) = gateway_and_eip(&mut st, "cn-hangzhou", &[("NetworkType", "intranet")]);
        let (other_region_gw, _) = gateway_and_eip(&mut st, "cn-beijing", &[]);
        let before = serde_json::to_value(&st.regions).unwrap();
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("InstanceId", &gw), ("InstanceType", "Nat")], "MissingAllocationId"),
            (vec![("AllocationId", &eip), ("InstanceType", "Nat")], "MissingInstanceId"),
            (
                vec![("AllocationId", "eip-none"), ("InstanceId", &gw), ("InstanceType", "Nat")],
                "InvalidAllocationId.NotFound",
            ),
            (vec![("AllocationId", &eip), ("InstanceId", &gw)], "InvalidInstanId.NotFound"),
            (
                vec![("AllocationId", &eip), ("InstanceId", &gw), ("InstanceType", "Router")],
                "InvalidInstanceType.ValueNotSupported",
            ),
            (
                vec![("AllocationId", &eip), ("InstanceId", "ngw-none"), ("InstanceType", "Nat")],
                "InvalidInstanId.NotFound",
            ),
            (
                vec![("AllocationId", &eip), ("InstanceId", &other_region_gw), ("InstanceType", "Nat")],
                "InvalidParameter.Mismatch",
            ),
            (
                vec![("AllocationId", &eip), ("InstanceId", &intranet), ("InstanceType", "Nat")],
                "Forbidden.EipCanNotBindGatgw",
            ),
            (
                vec![("RegionId", "cn-beijing"), ("AllocationId", &eip), ("InstanceId", &gw), ("InstanceType", "Nat")],
                "InvalidAllocationId.NotFound",
            ),
        ];
        for (pairs, code) in cases {
            let r = parse(&params(&pairs)).and_then(|q| handle(&mut st, &ctx(), q));
            assert_eq!(r.err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
    }

    #[test]
    fn quota_per_gateway_and_busy_states() {
        let mut st = state();
        let (gw, first) = gateway_and_eip(&mut st, "cn-shanghai", &[]);
        associate(&mut st, &first, &gw, 0).unwrap();
        let q = Quotas { eips_per_nat_gateway: 1, ..Quotas::default() };
        let (_, second) = gateway_and_eip(&mut st, "cn-shanghai", &[]);
        let c = Ctx { quotas: q, ..ctx() };
        let r = parse(&params(&[("AllocationId", &second), ("InstanceId", &gw), ("InstanceType", "Nat")]))
            .and_then(|x| handle(&mut st, &c, x));
        assert_eq!(r.err().unwrap().code(), "QuotaExceeded.NumberOfEip");
        let (creating, third) = {
            let vpc = default_vpc(&st, "cn-shanghai");
            let p = params(&[("RegionId", "cn-shanghai"), ("VpcId", &vpc)]);
            let g = create_nat_gateway::handle(&mut st, &ctx_with_delay(100), create_nat_gateway::parse(&p).unwrap())
                .unwrap()
                .nat_gateway_id;
            (g, second.clone())
        };
        assert_eq!(associate(&mut st, &third, &creating, 0).err().unwrap().code(), "IncorrectStatus.NatGateway");
        assert_eq!(associate(&mut st, &first, &creating, 0).err().unwrap().code(), "IncorrectEipStatus");
    }

    use crate::store::Quotas;
}
