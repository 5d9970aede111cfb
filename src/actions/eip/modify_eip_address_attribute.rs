//! ModifyEipAddressAttribute: name, description and bandwidth of an EIP.

use serde::Serialize;

use super::{check_bandwidth, check_text, find_eip};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: Option<String>,
    allocation_id: String,
    name: Option<String>,
    description: Option<String>,
    bandwidth: Option<String>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let name = p.opt_string("Name");
    if let Some(n) = &name {
        check_text("Name", n, 128)?;
    }
    let description = p.opt_string("Description");
    if let Some(d) = &description {
        check_text("Description", d, 256)?;
    }
    Ok(Request {
        region_id: p.opt_string("RegionId"),
        allocation_id: p.required_string("AllocationId")?,
        name,
        description,
        bandwidth: p.opt_string("Bandwidth"),
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Some(r) = &req.region_id {
        ctx.region(r)?;
    }
    let eip = find_eip(st, req.region_id.as_deref(), &req.allocation_id)?;
    let bandwidth = match &req.bandwidth {
        Some(b) => Some(check_bandwidth(b, &eip.internet_charge_type)?),
        None => None,
    };
    let region_id = eip.region_id.clone();
    if let Some(e) = st.region_mut(&region_id)?.eips.get_mut(&req.allocation_id) {
        if let Some(n) = req.name {
            e.name = n;
        }
        if let Some(d) = req.description {
            e.description = d;
        }
        if let Some(b) = bandwidth {
            e.bandwidth = b;
        }
    }
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::eip::associate_eip_address::tests::gateway_and_eip;
    use crate::actions::testing::*;

    #[test]
    fn modifies() {
        let mut st = state();
        let (_, eip) = gateway_and_eip(&mut st, "ap-southeast-1", &[]);
        let run =
            |st: &mut AccountState, pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(st, &ctx(), q));
        run(&mut st, &[("AllocationId", &eip), ("Name", "web"), ("Bandwidth", "50")]).unwrap();
        let e = &st.regions["ap-southeast-1"].eips[&eip];
        assert_eq!((e.name.as_str(), e.bandwidth), ("web", 50));
        assert_eq!(
            run(&mut st, &[("AllocationId", &eip), ("Bandwidth", "9999")]).err().unwrap().code(),
            "InvalidParameter"
        );
        assert_eq!(run(&mut st, &[("AllocationId", "eip-x")]).err().unwrap().code(), "InvalidAllocationId.NotFound");
    }
}
