//! The seven legacy NAT bandwidth-package actions (reference chapter 7, REAL-SERVICE §5.3). On by
//! default; an account whose world entry (or `--legacy-bandwidth-packages off`) turns them off
//! gets 403 `Forbidden`, as a newer account would. Package IPs come from the same per-region pools
//! as EIPs and serve the gateway's DNAT/SNAT entries like bound EIPs.

pub mod add_bandwidth_package_ips;
pub mod create_bandwidth_package;
pub mod delete_bandwidth_package;
pub mod describe_bandwidth_packages;
pub mod modify_bandwidth_package_attribute;
pub mod modify_bandwidth_package_spec;
pub mod remove_bandwidth_package_ips;

use std::net::Ipv4Addr;

use crate::error::ApiError;
use crate::model::{BandwidthPackage, PackageIp};
use crate::store::{AccountState, Ctx};

pub const MAX_IPS: usize = 50;
pub const MAX_PACKAGES_PER_GATEWAY: usize = 4;

pub fn ensure_allowed(st: &AccountState) -> Result<(), ApiError> {
    if st.legacy_bandwidth_packages {
        Ok(())
    } else {
        Err(ApiError::LegacyBandwidthPackagesOff)
    }
}

pub fn package<'a>(st: &'a AccountState, region: &str, id: &str) -> Result<&'a BandwidthPackage, ApiError> {
    st.region(region)?.bandwidth_packages.get(id).ok_or(ApiError::InvalidBandwidthPackageIdNotFound)
}

/// `IpCount`: 1–50 (non-numbers and values below 1 are `InvalidIpCount.ValueNotSupported`, more
/// than 50 `QuotaExceeded.BandwidthPackageIps`).
pub fn ip_count(raw: &str) -> Result<usize, ApiError> {
    let n: i64 = raw.trim().parse().map_err(|_| ApiError::InvalidIpCountValueNotSupported)?;
    if n < 1 {
        return Err(ApiError::InvalidIpCountValueNotSupported);
    }
    if n as usize > MAX_IPS {
        return Err(ApiError::QuotaExceededBandwidthPackageIps { limit: MAX_IPS });
    }
    Ok(n as usize)
}

/// Bandwidth in Mbit/s within `5..=max`.
pub fn bandwidth(raw: &str, max: u32) -> Result<u32, ApiError> {
    raw.trim().parse::<u32>().ok().filter(|b| (5..=max).contains(b)).ok_or(ApiError::InvalidBandwidthValueNotSupported)
}

/// Takes `n` addresses from the region's pool, all or none, with `nateip-` allocation ids.
pub fn take_ips(st: &mut AccountState, ctx: &Ctx<'_>, region: &str, n: usize) -> Result<Vec<PackageIp>, ApiError> {
    let code = ctx.region(region)?.id_code.clone();
    let ips: Vec<Ipv4Addr> = {
        let mut pools = ctx.pools.lock();
        let pool = pools.get_mut(region).ok_or(ApiError::ZoneNoAvailableIp)?;
        if pool.free() < n as u64 {
            return Err(ApiError::ZoneNoAvailableIp);
        }
        (0..n).filter_map(|_| pool.take(None)).collect()
    };
    Ok(ips.into_iter().map(|ip| PackageIp { allocation_id: st.ids.resource_id("nateip", &code), ip }).collect())
}

pub fn give_back(ctx: &Ctx<'_>, region: &str, ips: impl IntoIterator<Item = Ipv4Addr>) {
    if let Some(pool) = ctx.pools.lock().get_mut(region) {
        for ip in ips {
            pool.give_back(ip);
        }
    }
}

#[cfg(test)]
pub mod testing {
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;
    use crate::store::AccountState;

    /// An Available gateway in cn-hangzhou and a package with `ips` addresses on it.
    pub fn gateway_with_package(st: &mut AccountState, ips: &str) -> (String, String) {
        let vpc = default_vpc(st, "cn-hangzhou");
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc)]);
        let gw = create_nat_gateway::handle(st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap().nat_gateway_id;
        let p = params(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", &gw), ("IpCount", ips), ("Bandwidth", "5")]);
        let pkg =
            super::create_bandwidth_package::handle(st, &ctx(), super::create_bandwidth_package::parse(&p).unwrap())
                .unwrap()
                .bandwidth_package_id;
        (gw, pkg)
    }
}
