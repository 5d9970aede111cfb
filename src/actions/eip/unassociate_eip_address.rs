//! UnassociateEipAddress (REAL-SERVICE §7, §8.1): only an `InUse` EIP; refused while SNAT or DNAT
//! entries of the gateway use the address (the message names them) unless `Force=true`, which
//! deletes the DNAT entries on it and takes it out of SNAT entries (an SNAT entry left without an
//! address is deleted). The EIP goes `Unassociating` → `Available`.

use serde::Serialize;

use super::find_eip;
use crate::error::ApiError;
use crate::model::EipStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: Option<String>,
    allocation_id: String,
    instance_id: Option<String>,
    instance_type: Option<&'static str>,
    force: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let instance_type = match p.opt("InstanceType") {
        None => None,
        Some(t) => Some(
            super::associate_eip_address::INSTANCE_TYPES
                .iter()
                .copied()
                .find(|x| x.eq_ignore_ascii_case(t))
                .ok_or(ApiError::InvalidInstanceTypeValueNotSupported)?,
        ),
    };
    Ok(Request {
        region_id: p.opt_string("RegionId"),
        allocation_id: p.required_string("AllocationId")?,
        instance_id: p.opt_string("InstanceId"),
        instance_type,
        force: p.bool_or("Force", false)?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Some(r) = &req.region_id {
        ctx.region(r)?;
    }
    let eip = find_eip(st, req.region_id.as_deref(), &req.allocation_id)?;
    let Some(binding) = eip.binding.clone() else {
        return Err(ApiError::IncorrectEipStatus { status: eip.status.as_str() });
    };
    if req.instance_id.as_ref().is_some_and(|i| *i != binding.instance_id)
        || req.instance_type.is_some_and(|t| t != binding.instance_type)
    {
        return Err(ApiError::InvalidBindInstanceNotFound);
    }
    if eip.status != EipStatus::InUse {
        return Err(ApiError::IncorrectEipStatus { status: eip.status.as_str() });
    }
    let region_id = eip.region_id.clone();
    let ip = eip.ip.to_string();
    let (snat, dnat) = st.region(&region_id)?.ip_users(&binding.instance_id, &ip);
    if !req.force {
        if !snat.is_empty() {
            return Err(ApiError::IpUsedBySnatTable { entries: snat.join(", ") });
        }
        if !dnat.is_empty() {
            return Err(ApiError::IpUsedByForwardEntry { entries: dnat.join(", ") });
        }
    }
    let rs = st.region_mut(&region_id)?;
    for id in &dnat {
        rs.forward_entries.remove(id);
    }
    for id in &snat {
        if let Some(e) = rs.snat_entries.get_mut(id) {
            e.snat_ips.retain(|s| *s != ip);
            if e.snat_ips.is_empty() {
                rs.snat_entries.remove(id);
            }
        }
    }
    if let Some(e) = rs.eips.get_mut(&req.allocation_id) {
        e.status = EipStatus::Unassociating;
    }
    st.after(ctx.now, ctx.delays.eip_unassociate_ms, Due::EipUnbound { region: region_id, id: req.allocation_id });
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::eip::associate_eip_address::tests::{associate, gateway_and_eip};
    use crate::actions::testing::*;

    fn run(st: &mut AccountState, pairs: &[(&str, &str)], delay: u64) -> Result<Response, ApiError> {
        parse(&params(pairs)).and_then(|q| handle(st, &ctx_with_delay(delay), q))
    }

    #[test]
    fn unassociates_through_unassociating() {
        let mut st = state();
        let (gw, eip) = gateway_and_eip(&mut st, "cn-hangzhou", &[]);
        assert_eq!(run(&mut st, &[("AllocationId", &eip)], 0).err().unwrap().code(), "IncorrectEipStatus");
        associate(&mut st, &eip, &gw, 100).unwrap();
        assert_eq!(
            run(&mut st, &[("AllocationId", &eip)], 0).err().unwrap().code(),
            "IncorrectEipStatus",
            "still Associating"
        );
        st.settle(NOW + 100);
        assert_eq!(
            run(&mut st, &[("AllocationId", &eip), ("InstanceId", "ngw-other")], 0).err().unwrap().code(),
            "InvalidBindInstance.NotFound"
        );
        run(&mut st, &[("AllocationId", &eip), ("InstanceId", &gw), ("InstanceType", "Nat")], 100).unwrap();
        assert_eq!(st.regions["cn-hangzhou"].eips[&eip].status, EipStatus::Unassociating);
        st.settle(NOW + 100);
        let e = &st.regions["cn-hangzhou"].eips[&eip];
        assert_eq!((e.status, e.binding.is_none()), (EipStatus::Available, true));
    }
}
