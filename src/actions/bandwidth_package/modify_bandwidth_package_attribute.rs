//! ModifyBandwidthPackageAttribute (ACTIONS.md §2.16): name and description.

use serde::Serialize;

use super::{ensure_allowed, package};
use crate::error::ApiError;
use crate::model::bandwidth_package::{valid_package_description, valid_package_name};
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    package_id: String,
    name: Option<String>,
    description: Option<String>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let name = p.opt_string("Name");
    if name.as_deref().is_some_and(|n| !valid_package_name(n, true)) {
        return Err(ApiError::InvalidNameMalformed);
    }
    let description = p.opt_string("Description");
    if description.as_deref().is_some_and(|d| !valid_package_description(d)) {
        return Err(ApiError::InvalidDescriptionMalformed);
    }
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        package_id: p.required_string("BandwidthPackageId")?,
        name,
        description,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    ensure_allowed(st)?;
    package(st, &req.region_id, &req.package_id)?;
    if let Some(p) = st.region_mut(&req.region_id)?.bandwidth_packages.get_mut(&req.package_id) {
        if let Some(n) = req.name {
            p.name = n;
        }
        if let Some(d) = req.description {
            p.description = d;
        }
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
            let mut all = vec![("RegionId", "cn-hangzhou")];
            all.extend_from_slice(pairs);
            parse(&params(&all)).and_then(|q| handle(st, &ctx(), q))
        };
        run(&mut st, &[("BandwidthPackageId", &pkg), ("Name", "pkg.one"), ("Description", "Shared")]).unwrap();
        assert_eq!(st.regions["cn-hangzhou"].bandwidth_packages[&pkg].name, "pkg.one");
        assert_eq!(
            run(&mut st, &[("BandwidthPackageId", "bwp-x")]).err().unwrap().code(),
            "InvalidBandwidthPackageId.NotFound"
        );
        assert_eq!(
            run(&mut st, &[("BandwidthPackageId", &pkg), ("Name", "_x")]).err().unwrap().code(),
            "InvalidParameter.Name.Malformed"
        );
    }
}
