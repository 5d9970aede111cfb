//! ReleaseEipAddress (REAL-SERVICE §7, §8.1): only an `Available`, pay-as-you-go EIP without
//! deletion protection. The address goes back to the shared pool; the account may take the same
//! EIP back with AllocateEipAddress `InstanceId` for seven days.

use serde::Serialize;

use super::find_eip;
use crate::error::ApiError;
use crate::model::EipStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: Option<String>,
    allocation_id: String,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request { region_id: p.opt_string("RegionId"), allocation_id: p.required_string("AllocationId")? })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Some(r) = &req.region_id {
        ctx.region(r)?;
    }
    let eip = find_eip(st, req.region_id.as_deref(), &req.allocation_id)?;
    if eip.deletion_protection {
        return Err(ApiError::DeletionProtectionOn { id: eip.id.clone() });
    }
    if eip.status != EipStatus::Available {
        return Err(ApiError::IncorrectEipStatus { status: eip.status.as_str() });
    }
    if eip.instance_charge_type == "PrePaid" {
        return Err(ApiError::ChargeTypeIsPrepaid);
    }
    let region_id = eip.region_id.clone();
    let rs = st.region_mut(&region_id)?;
    if let Some(e) = rs.eips.remove(&req.allocation_id) {
        rs.released_eips.push((e.id.clone(), e.ip, ctx.now));
        if rs.released_eips.len() > 100 {
            rs.released_eips.remove(0);
        }
        if let Some(pool) = ctx.pools.lock().get_mut(&region_id) {
            pool.give_back(e.ip);
        }
    }
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::eip::allocate_eip_address;
    use crate::actions::eip::associate_eip_address::tests::{associate, gateway_and_eip};
    use crate::actions::testing::*;

    #[test]
    fn releases_and_can_take_back() {
        let mut st = state();
        let (gw, eip) = gateway_and_eip(&mut st, "us-west-1", &[]);
        let ip = st.regions["us-west-1"].eips[&eip].ip;
        let run =
            |st: &mut AccountState, pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(st, &ctx(), q));
        associate(&mut st, &eip, &gw, 0).unwrap();
        assert_eq!(run(&mut st, &[("AllocationId", &eip)]).err().unwrap().code(), "IncorrectEipStatus");
        st.regions.get_mut("us-west-1").unwrap().eips.get_mut(&eip).unwrap().status = EipStatus::Available;
        st.regions.get_mut("us-west-1").unwrap().eips.get_mut(&eip).unwrap().binding = None;
        st.regions.get_mut("us-west-1").unwrap().eips.get_mut(&eip).unwrap().deletion_protection = true;
        assert_eq!(
            run(&mut st, &[("AllocationId", &eip)]).err().unwrap().code(),
            "InvalidOperation.DeletionProtection"
        );
        st.regions.get_mut("us-west-1").unwrap().eips.get_mut(&eip).unwrap().deletion_protection = false;
        let charge = st.regions["us-west-1"].eips[&eip].instance_charge_type.clone();
        st.regions.get_mut("us-west-1").unwrap().eips.get_mut(&eip).unwrap().instance_charge_type = "PrePaid".into();
        assert_eq!(run(&mut st, &[("AllocationId", &eip)]).err().unwrap().code(), "Forbidden.ChargeTypeIsPrepaid");
        assert_eq!(st.regions["us-west-1"].eips[&eip].status, EipStatus::Available, "a refusal changes nothing");
        st.regions.get_mut("us-west-1").unwrap().eips.get_mut(&eip).unwrap().instance_charge_type = charge;
        run(&mut st, &[("RegionId", "us-west-1"), ("AllocationId", &eip)]).unwrap();
        assert!(st.regions["us-west-1"].eips.is_empty());
        assert_eq!(run(&mut st, &[("AllocationId", &eip)]).err().unwrap().code(), "InvalidAllocationId.NotFound");
        let p = params(&[("RegionId", "us-west-1"), ("InstanceId", &eip)]);
        let back = allocate_eip_address::handle(&mut st, &ctx(), allocate_eip_address::parse(&p).unwrap()).unwrap();
        assert_eq!((back.allocation_id, back.eip_address), (eip.clone(), ip.to_string()));
    }
}
