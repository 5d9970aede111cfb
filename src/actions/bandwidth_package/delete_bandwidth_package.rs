//! DeleteBandwidthPackage (ACTIONS.md §2.20, R9): refused while DNAT/SNAT entries use its
//! addresses (the message names them) unless `Force=true`, which deletes those entries. The
//! addresses go back to the pool.

use serde::Serialize;

use super::{ensure_allowed, give_back, package};
use crate::error::{ApiError, NatDependency};
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    package_id: String,
    force: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        package_id: p.required_string("BandwidthPackageId")?,
        force: p.bool_or("Force", false)?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    ensure_allowed(st)?;
    let pkg = package(st, &req.region_id, &req.package_id)?;
    let rs = st.region(&req.region_id)?;
    let (mut snat, mut dnat) = (Vec::new(), Vec::new());
    for i in &pkg.ips {
        let (s, d) = rs.ip_users(&pkg.nat_gateway_id, &i.ip.to_string());
        snat.extend(s);
        dnat.extend(d);
    }
    snat.dedup();
    if !req.force {
        if !dnat.is_empty() {
            return Err(ApiError::PackageDependency { kind: NatDependency::ForwardEntry, entries: dnat.join(", ") });
        }
        if !snat.is_empty() {
            return Err(ApiError::PackageDependency { kind: NatDependency::SnatEntry, entries: snat.join(", ") });
        }
    }
    let rs = st.region_mut(&req.region_id)?;
    for id in &dnat {
        rs.forward_entries.remove(id);
    }
    for id in &snat {
        rs.snat_entries.remove(id);
    }
    let freed: Vec<_> =
        rs.bandwidth_packages.remove(&req.package_id).map(|p| p.ips.iter().map(|i| i.ip).collect()).unwrap_or_default();
    give_back(ctx, &req.region_id, freed);
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::bandwidth_package::testing::gateway_with_package;
    use crate::actions::snat_entry::create_snat_entry;
    use crate::actions::testing::*;

    #[test]
    fn deletes_with_force_only_when_used() {
        let mut st = state();
        let (gw, pkg) = gateway_with_package(&mut st, "1");
        let ip = st.regions["cn-hangzhou"].bandwidth_packages[&pkg].ips[0].ip.to_string();
        let stb = st.regions["cn-hangzhou"].nat_gateways[&gw].snat_table_id.clone();
        let p = params(&[
            ("RegionId", "cn-hangzhou"),
            ("SnatTableId", &stb),
            ("SourceCIDR", "172.16.0.0/24"),
            ("SnatIp", &ip),
        ]);
        let entry =
            create_snat_entry::handle(&mut st, &ctx(), create_snat_entry::parse(&p).unwrap()).unwrap().snat_entry_id;
        let run = |st: &mut AccountState, force: &str| {
            parse(&params(&[("RegionId", "cn-hangzhou"), ("BandwidthPackageId", &pkg), ("Force", force)]))
                .and_then(|q| handle(st, &ctx(), q))
        };
        let e = run(&mut st, "false").err().unwrap();
        assert_eq!(e.code(), "DependencyViolation.SnatEntry");
        assert!(e.message().contains(&entry));
        run(&mut st, "true").unwrap();
        let rs = &st.regions["cn-hangzhou"];
        assert!(rs.bandwidth_packages.is_empty() && rs.snat_entries.is_empty());
        assert_eq!(run(&mut st, "true").err().unwrap().code(), "InvalidBandwidthPackageId.NotFound");
    }
}
