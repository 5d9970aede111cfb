//! VPCs and vSwitches.

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::params::Tag;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VpcStatus {
    Pending,
    Available,
}

impl VpcStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VpcStatus::Pending => "Pending",
            VpcStatus::Available => "Available",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VSwitchStatus {
    Pending,
    Available,
}

impl VSwitchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VSwitchStatus::Pending => "Pending",
            VSwitchStatus::Available => "Available",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    pub region_id: String,
    pub name: String,
    pub description: String,
    pub cidr: Ipv4Net,
    pub user_cidrs: Vec<String>,
    pub is_default: bool,
    pub status: VpcStatus,
    pub created_ms: Millis,
    pub vrouter_id: String,
    pub route_table_id: String,
    pub resource_group_id: String,
    pub tags: Vec<Tag>,
    pub enable_ipv6: bool,
    pub dns_hostname: bool,
    /// Entries of the system route table that other resources added (the 0.0.0.0/0 route of an
    /// Internet NAT gateway).
    pub routes: Vec<RouteEntry>,
    /// Creation order within the account (lists are newest first).
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteEntry {
    pub destination: String,
    pub next_hop_type: String,
    pub next_hop_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VSwitch {
    pub id: String,
    pub region_id: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub cidr: Ipv4Net,
    pub name: String,
    pub description: String,
    pub is_default: bool,
    pub status: VSwitchStatus,
    pub created_ms: Millis,
    pub route_table_id: String,
    pub resource_group_id: String,
    pub tags: Vec<Tag>,
    /// Private IPs taken from this vSwitch by other resources (NAT gateways, ENIs).
    pub used_ips: std::collections::BTreeSet<std::net::Ipv4Addr>,
    pub seq: u64,
}

impl VSwitch {
    /// Addresses a new instance can still take: the CIDR's size less the first and the last three
    /// (reserved, as the real service documents) less those in use.
    pub fn available_ip_count(&self) -> u64 {
        let size = 1u64 << (32 - self.cidr.prefix_len() as u32);
        size.saturating_sub(4).saturating_sub(self.used_ips.len() as u64)
    }
}

/// Whether two CIDR blocks share any address.
pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(b) || b.contains(a)
}

/// CIDR rules shared by VPCs and vSwitches: a network address (no host bits), a mask within
/// `min..=max`, and none of the ranges the real service refuses.
pub fn parse_cidr(s: &str, min_mask: u8, max_mask: u8) -> Option<Ipv4Net> {
    let net: Ipv4Net = s.trim().parse().ok()?;
    if net.network() != net.addr() || net.prefix_len() < min_mask || net.prefix_len() > max_mask {
        return None;
    }
    const FORBIDDEN: [&str; 5] = ["100.64.0.0/10", "224.0.0.0/4", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8"];
    let forbidden = FORBIDDEN.iter().filter_map(|f| f.parse::<Ipv4Net>().ok()).any(|f| overlaps(&f, &net));
    (!forbidden).then_some(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_rules() {
        assert!(parse_cidr("172.16.0.0/12", 8, 28).is_some());
        assert!(parse_cidr("10.0.0.0/8", 8, 28).is_some());
        for bad in
            ["10.0.0.1/8", "10.0.0.0/29", "100.64.0.0/16", "127.0.0.0/8", "224.0.0.0/8", "x", "10.0.0.0", "10.0.0.0/33"]
        {
            assert!(parse_cidr(bad, 8, 28).is_none(), "{bad}");
        }
    }
}
