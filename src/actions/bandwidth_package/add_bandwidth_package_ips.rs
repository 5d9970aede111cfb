//! AddBandwidthPackageIps (ACTIONS.md §2.18): `IpCount` more addresses (the package holds at most 50).

use serde::Serialize;

use super::{ensure_allowed, ip_count, package, take_ips, MAX_IPS};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    package_id: String,
    count: usize,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        package_id: p.required_string("BandwidthPackageId")?,
        count: ip_count(p.required("IpCount")?)?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    ensure_allowed(st)?;
    let have = package(st, &req.region_id, &req.package_id)?.ips.len();
    if have + req.count > MAX_IPS {
        return Err(ApiError::QuotaExceededBandwidthPackageIps { limit: MAX_IPS });
    }
    let ips = take_ips(st, ctx, &req.region_id, req.count)?;
    if let Some(p) = st.region_mut(&req.region_id)?.bandwidth_packages.get_mut(&req.package_id) {
        p.ips.extend(ips);
    }
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::bandwidth_package::testing::gateway_with_package;
    use crate::actions::testing::*;

    #[test]
    fn adds() {
        let mut st = state();
        let (_, pkg) = gateway_with_package(&mut st, "49");
        let run = |st: &mut AccountState, n: &str| {
            parse(&params(&[("RegionId", "cn-hangzhou"), ("BandwidthPackageId", &pkg), ("IpCount", n)]))
                .and_then(|q| handle(st, &ctx(), q))
        };
        assert_eq!(run(&mut st, "2").err().unwrap().code(), "QuotaExceeded.BandwidthPackageIps");
        run(&mut st, "1").unwrap();
        assert_eq!(st.regions["cn-hangzhou"].bandwidth_packages[&pkg].ips.len(), 50);
        assert_eq!(run(&mut st, "x").err().unwrap().code(), "InvalidIpCount.ValueNotSupported");
    }
}
