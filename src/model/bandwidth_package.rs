//! Legacy NAT bandwidth packages (reference chapter 7): a shared bandwidth and a group of public IPs
//! on one NAT gateway, for accounts that bought one before 2018-01-26.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::clock::Millis;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageIp {
    /// `nateip-…`
    pub allocation_id: String,
    pub ip: Ipv4Addr,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandwidthPackage {
    pub id: String,
    pub region_id: String,
    pub nat_gateway_id: String,
    pub name: String,
    pub description: String,
    pub zone_id: String,
    pub bandwidth: u32,
    pub isp: String,
    pub internet_charge_type: String,
    pub created_ms: Millis,
    pub ips: Vec<PackageIp>,
    pub seq: u64,
}

/// Package names: 2–128 characters, a letter first, then letters, digits, `_`, `-` (the reference
/// lists no period here) — ModifyBandwidthPackageAttribute also allows `.`.
pub fn valid_package_name(s: &str, allow_period: bool) -> bool {
    let n = s.chars().count();
    let mut c = s.chars();
    (2..=128).contains(&n)
        && c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '-' || (allow_period && x == '.'))
        && !crate::params::has_url_prefix(s)
}

/// Package descriptions: 2–256 characters, a letter first, not http(s)://.
pub fn valid_package_description(s: &str) -> bool {
    let n = s.chars().count();
    (2..=256).contains(&n) && s.chars().next().is_some_and(|f| f.is_alphabetic()) && !crate::params::has_url_prefix(s)
}
