//! RemoveBandwidthPackageIps (ACTIONS.md §2.19, R9): `RemovedIpAddresses.N` (1–20 addresses) of
//! this package; never every address; never one a DNAT or SNAT entry uses. Addresses go back to
//! the pool.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::{ensure_allowed, give_back, package};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    package_id: String,
    ips: Vec<String>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let package_id = p.required_string("BandwidthPackageId")?;
    let ips = p.list("RemovedIpAddresses")?;
    if ips.is_empty() {
        return Err(ApiError::missing("RemovedIpAddresses"));
    }
    if ips.len() > 20 {
        return Err(ApiError::invalid("RemovedIpAddresses.N", "at most 20 addresses per call."));
    }
    Ok(Request { region_id, package_id, ips })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    ensure_allowed(st)?;
    let pkg = package(st, &req.region_id, &req.package_id)?;
    let rs = st.region(&req.region_id)?;
    for ip in &req.ips {
        if !pkg.ips.iter().any(|i| i.ip.to_string() == *ip) {
            let elsewhere = rs.bandwidth_packages.values().any(|p| p.ips.iter().any(|i| i.ip.to_string() == *ip));
            return Err(if elsewhere {
                ApiError::RemovedIpNotInPackage { ip: ip.clone() }
            } else {
                ApiError::InvalidRemovedIpAddressesNotFound { ip: ip.clone() }
            });
        }
        let (snat, dnat) = rs.ip_users(&pkg.nat_gateway_id, ip);
        if !dnat.is_empty() {
            return Err(ApiError::PackageIpUsedByForwardEntry { entries: dnat.join(", ") });
        }
        if !snat.is_empty() {
            return Err(ApiError::PackageIpUsedBySnatEntry { entries: snat.join(", ") });
        }
    }
    let remaining = pkg.ips.iter().filter(|i| !req.ips.contains(&i.ip.to_string())).count();
    if remaining == 0 {
        return Err(ApiError::CannotRemoveAllIps);
    }
    let mut freed: Vec<Ipv4Addr> = Vec::new();
    if let Some(p) = st.region_mut(&req.region_id)?.bandwidth_packages.get_mut(&req.package_id) {
        p.ips.retain(|i| {
            let drop = req.ips.contains(&i.ip.to_string());
            if drop {
                freed.push(i.ip);
            }
            !drop
        });
    }
    give_back(ctx, &req.region_id, freed);
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::bandwidth_package::testing::gateway_with_package;
    use crate::actions::forward_entry::create_forward_entry;
    use crate::actions::testing::*;

    #[test]
    fn removes_with_rules() {
        let mut st = state();
        let (gw, pkg) = gateway_with_package(&mut st, "3");
        let (_, other) = gateway_with_package(&mut st, "1");
        let ips: Vec<String> =
            st.regions["cn-hangzhou"].bandwidth_packages[&pkg].ips.iter().map(|i| i.ip.to_string()).collect();
        let other_ip = st.regions["cn-hangzhou"].bandwidth_packages[&other].ips[0].ip.to_string();
        let ftb = st.regions["cn-hangzhou"].nat_gateways[&gw].forward_table_id.clone();
        let p = params(&[
            ("RegionId", "cn-hangzhou"),
            ("ForwardTableId", &ftb),
            ("ExternalIp", &ips[2]),
            ("ExternalPort", "80"),
            ("InternalIp", "172.16.0.9"),
            ("InternalPort", "80"),
            ("IpProtocol", "tcp"),
        ]);
        create_forward_entry::handle(&mut st, &ctx(), create_forward_entry::parse(&p).unwrap()).unwrap();
        let run = |st: &mut AccountState, remove: &[&str]| {
            let mut all =
                vec![("RegionId".to_owned(), "cn-hangzhou".to_owned()), ("BandwidthPackageId".to_owned(), pkg.clone())];
            for (i, ip) in remove.iter().enumerate() {
                all.push((format!("RemovedIpAddresses.{}", i + 1), ip.to_string()));
            }
            parse(&Params::from_pairs(all)).and_then(|q| handle(st, &ctx(), q))
        };
        assert_eq!(run(&mut st, &["8.8.8.8"]).err().unwrap().code(), "InvalidRemovedIpAddresses.NotFound");
        let e = run(&mut st, &[&other_ip]).err().unwrap();
        assert_eq!((e.code().as_ref(), e.status()), ("invalidRemovedIpAddresses.NotFound", 404));
        assert_eq!(run(&mut st, &[&ips[2]]).err().unwrap().code(), "DependencyViolation.ForwardEntry");
        assert_eq!(
            run(&mut st, &[&ips[0], &ips[1], &ips[2]]).err().unwrap().code(),
            "DependencyViolation.ForwardEntry"
        );
        run(&mut st, &[&ips[0]]).unwrap();
        assert_eq!(st.regions["cn-hangzhou"].bandwidth_packages[&pkg].ips.len(), 2);
        assert_eq!(run(&mut st, &[]).err().unwrap().code(), "MissingRemovedIpAddresses");
    }
}
