//! VPCs and vSwitches.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

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
    pub used_ips: UsedIps,
    pub seq: u64,
}

/// The private addresses of a vSwitch in use, and a cursor below which every usable address is
/// taken, so that finding the lowest free address does not walk the taken ones again (creating
/// gateways one after another in a vSwitch stays O(log n) each). Serialized as the bare set; the
/// cursor is derived (0 after a load: the first search walks once) and not part of equality.
#[derive(Debug, Clone, Default)]
pub struct UsedIps {
    set: BTreeSet<Ipv4Addr>,
    /// Every address `a` of the vSwitch with `first usable <= a < free_from` is in `set`.
    free_from: u32,
}

impl UsedIps {
    pub fn contains(&self, ip: &Ipv4Addr) -> bool {
        self.set.contains(ip)
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Ipv4Addr> {
        self.set.iter()
    }

    /// The lowest address in `first..=last` not in use.
    pub fn lowest_free(&self, first: u32, last: u32) -> Option<Ipv4Addr> {
        let mut n = first.max(self.free_from);
        while n <= last {
            if !self.set.contains(&Ipv4Addr::from(n)) {
                return Some(Ipv4Addr::from(n));
            }
            n = n.checked_add(1)?;
        }
        None
    }

    /// Takes `ip`; `first` is the vSwitch's first usable address.
    pub fn insert(&mut self, ip: Ipv4Addr, first: u32) -> bool {
        let n = u32::from(ip);
        if n == first.max(self.free_from) {
            self.free_from = n.saturating_add(1);
        }
        self.set.insert(ip)
    }

    pub fn remove(&mut self, ip: &Ipv4Addr) -> bool {
        self.free_from = self.free_from.min(u32::from(*ip));
        self.set.remove(ip)
    }
}

impl PartialEq for UsedIps {
    fn eq(&self, other: &Self) -> bool {
        self.set == other.set
    }
}

impl Serialize for UsedIps {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.set.serialize(s)
    }
}

impl<'de> Deserialize<'de> for UsedIps {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(UsedIps { set: BTreeSet::deserialize(d)?, free_from: 0 })
    }
}

impl VSwitch {
    /// The usable private addresses: all but the first and the last three (reserved).
    pub fn usable_range(&self) -> (u32, u32) {
        (u32::from(self.cidr.network()) + 1, u32::from(self.cidr.broadcast()).saturating_sub(3))
    }

    /// Marks `ip` as in use.
    pub fn take_ip(&mut self, ip: Ipv4Addr) {
        let (first, _) = self.usable_range();
        self.used_ips.insert(ip, first);
    }

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
    fn lowest_free_address_follows_takes_and_releases() {
        let ip = |n: u32| Ipv4Addr::from(n);
        let (first, last) = (100, 105);
        let mut u = UsedIps::default();
        assert_eq!(u.lowest_free(first, last), Some(ip(100)));
        u.insert(ip(102), first); // taken out of order: the cursor stays
        assert_eq!(u.lowest_free(first, last), Some(ip(100)));
        u.insert(ip(100), first);
        u.insert(ip(101), first);
        assert_eq!(u.lowest_free(first, last), Some(ip(103)), "skips the address taken out of order");
        u.insert(ip(103), first);
        u.insert(ip(104), first);
        u.insert(ip(105), first);
        assert_eq!(u.lowest_free(first, last), None, "full");
        u.remove(&ip(101));
        assert_eq!(u.lowest_free(first, last), Some(ip(101)), "a released address is found again");
        // A set loaded from a snapshot has no cursor and gives the same answers.
        let loaded: UsedIps = serde_json::from_value(serde_json::to_value(&u).unwrap()).unwrap();
        assert_eq!(loaded, u);
        assert_eq!(loaded.lowest_free(first, last), Some(ip(101)));
    }

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
