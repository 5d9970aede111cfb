//! Elastic IP addresses and the pool they come from.

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::params::Tag;

/// `Available`; `Associating` → `InUse`; `Unassociating` → `Available`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EipStatus {
    Available,
    Associating,
    InUse,
    Unassociating,
}

impl EipStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EipStatus::Available => "Available",
            EipStatus::Associating => "Associating",
            EipStatus::InUse => "InUse",
            EipStatus::Unassociating => "Unassociating",
        }
    }

    pub fn parse(s: &str) -> Option<EipStatus> {
        [EipStatus::Available, EipStatus::Associating, EipStatus::InUse, EipStatus::Unassociating]
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }
}

/// What an EIP is bound to. Only NAT gateways are modelled as instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EipBinding {
    pub instance_id: String,
    pub instance_type: String,
    pub vpc_id: String,
    pub bound_ms: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eip {
    pub id: String,
    pub region_id: String,
    pub ip: Ipv4Addr,
    pub name: String,
    pub description: String,
    pub bandwidth: u32,
    pub isp: String,
    pub instance_charge_type: String,
    pub internet_charge_type: String,
    pub status: EipStatus,
    pub created_ms: Millis,
    pub expired_ms: Option<Millis>,
    pub resource_group_id: String,
    pub tags: Vec<Tag>,
    pub deletion_protection: bool,
    pub security_protection_types: Vec<String>,
    pub binding: Option<EipBinding>,
    pub seq: u64,
}

impl Eip {
    pub fn bound_to(&self, instance_id: &str) -> bool {
        self.binding.as_ref().is_some_and(|b| b.instance_id == instance_id)
    }
}

/// Public addresses per region, shared by every account: an address is never handed out twice at
/// once. Allocation walks a cursor through the pool, so a just-released address is not handed out
/// again right away (as in the cloud).
#[derive(Debug, Clone, Default)]
pub struct IpPool {
    ranges: Vec<Ipv4Net>,
    size: u64,
    cursor: u64,
    taken: BTreeSet<Ipv4Addr>,
}

impl IpPool {
    pub fn new(ranges: Vec<Ipv4Net>) -> IpPool {
        let size = ranges.iter().map(usable).sum();
        IpPool { ranges, size, cursor: 0, taken: BTreeSet::new() }
    }

    pub fn ranges(&self) -> &[Ipv4Net] {
        &self.ranges
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.ranges.iter().any(|r| r.contains(&ip) && ip != r.network() && ip != r.broadcast())
    }

    fn nth(&self, mut n: u64) -> Option<Ipv4Addr> {
        for r in &self.ranges {
            let u = usable(r);
            if n < u {
                return Some(Ipv4Addr::from(u32::from(r.network()) + 1 + n as u32));
            }
            n -= u;
        }
        None
    }

    /// The next free address, or `wanted` if it is in the pool and free.
    pub fn take(&mut self, wanted: Option<Ipv4Addr>) -> Option<Ipv4Addr> {
        if let Some(ip) = wanted {
            return (self.contains(ip) && self.taken.insert(ip)).then_some(ip);
        }
        for _ in 0..self.size {
            let ip = self.nth(self.cursor % self.size.max(1))?;
            self.cursor = (self.cursor + 1) % self.size.max(1);
            if self.taken.insert(ip) {
                return Some(ip);
            }
        }
        None
    }

    pub fn give_back(&mut self, ip: Ipv4Addr) {
        self.taken.remove(&ip);
    }

    pub fn is_taken(&self, ip: Ipv4Addr) -> bool {
        self.taken.contains(&ip)
    }

    pub fn free(&self) -> u64 {
        self.size.saturating_sub(self.taken.len() as u64)
    }

    /// Where the next allocation starts looking (persisted, so a restart hands out the same next
    /// address as the running emulator would have).
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    pub fn set_cursor(&mut self, cursor: u64) {
        self.cursor = cursor % self.size.max(1);
    }
}

/// Usable addresses of a range (network and broadcast excluded for ranges larger than /31).
fn usable(r: &Ipv4Net) -> u64 {
    let n = 1u64 << (32 - r.prefix_len() as u32);
    n.saturating_sub(2).max(1)
}

/// Pools by region.
pub type Pools = HashMap<String, IpPool>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_hands_out_each_address_once() {
        let mut p = IpPool::new(vec!["47.96.0.0/29".parse().unwrap()]);
        let got: Vec<_> = (0..6).map(|_| p.take(None).unwrap()).collect();
        assert_eq!(got[0], Ipv4Addr::new(47, 96, 0, 1));
        assert_eq!(got.iter().collect::<BTreeSet<_>>().len(), 6);
        assert!(p.take(None).is_none(), "exhausted");
        p.give_back(got[2]);
        assert_eq!(p.take(None), Some(got[2]));
        assert!(p.take(Some(Ipv4Addr::new(47, 96, 0, 7))).is_none(), "broadcast is not usable");
        assert!(p.take(Some(Ipv4Addr::new(8, 8, 8, 8))).is_none());
    }

    #[test]
    fn cursor_does_not_reuse_at_once() {
        let mut p = IpPool::new(vec!["47.96.0.0/28".parse().unwrap()]);
        let a = p.take(None).unwrap();
        p.give_back(a);
        assert_ne!(p.take(None), Some(a));
    }
}
