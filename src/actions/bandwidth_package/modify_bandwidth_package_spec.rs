//! ModifyBandwidthPackageSpec (ACTIONS.md §2.17): the bandwidth, 5–1000 Mbit/s. The reference
//! spells the parameter `BandWidth`; both spellings are accepted.

use serde::Serialize;

use super::{bandwidth, ensure_allowed, package};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    package_id: String,
    bandwidth: u32,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let package_id = p.required_string("BandwidthPackageId")?;
    let raw = p.opt("Bandwidth").or(p.opt("BandWidth")).ok_or(ApiError::missing("Bandwidth"))?;
    Ok(Request { region_id, package_id, bandwidth: bandwidth(raw, 1000)? })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    ensure_allowed(st)?;
    package(st, &req.region_id, &req.package_id)?;
    if let Some(p) = st.region_mut(&req.region_id)?.bandwidth_packages.get_mut(&req.package_id) {
        p.bandwidth = req.bandwidth;
    }
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::bandwidth_package::testing::gateway_with_package;
    use crate::actions::testing::*;

    #[test]
    fn modifies() {
        let mut st = state();
        let (_, pkg) = gateway_with_package(&mut st, "1");
        let run = |st: &mut AccountState, pairs: &[(&str, &str)]| {
            let mut all = vec![("RegionId", "cn-hangzhou"), ("BandwidthPackageId", pkg.as_str())];
            all.extend_from_slice(pairs);
            parse(&params(&all)).and_then(|q| handle(st, &ctx(), q))
        };
        run(&mut st, &[("BandWidth", "200")]).unwrap();
        assert_eq!(st.regions["cn-hangzhou"].bandwidth_packages[&pkg].bandwidth, 200);
        let e = run(&mut st, &[("Bandwidth", "1001")]).err().unwrap();
        assert_eq!((e.code().as_ref(), e.status()), ("InvalidBandwidth.ValueNotSupported", 404));
        assert_eq!(run(&mut st, &[]).err().unwrap().code(), "MissingBandwidth");
    }
}
