//! NAT gateways: their statuses, settings and the values the API accepts for them.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::params::Tag;

/// `Creating` → `Available`; `Modifying`/`Converting` → `Available`; `Deleting` → gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NatStatus {
    Creating,
    Available,
    Modifying,
    Converting,
    Deleting,
}

impl NatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NatStatus::Creating => "Creating",
            NatStatus::Available => "Available",
            NatStatus::Modifying => "Modifying",
            NatStatus::Converting => "Converting",
            NatStatus::Deleting => "Deleting",
        }
    }

    pub fn parse(s: &str) -> Option<NatStatus> {
        [NatStatus::Creating, NatStatus::Available, NatStatus::Modifying, NatStatus::Converting, NatStatus::Deleting]
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }
}

/// Picks one of `allowed` case-insensitively and returns its canonical spelling.
pub fn canonical(value: &str, allowed: &[&'static str]) -> Option<&'static str> {
    allowed.iter().copied().find(|a| a.eq_ignore_ascii_case(value))
}

pub const SPECS: &[&str] = &["Small", "Middle", "Large", "XLarge.1"];
pub const NAT_TYPES: &[&str] = &["Enhanced", "Normal"];
pub const NETWORK_TYPES: &[&str] = &["internet", "intranet"];
pub const INSTANCE_CHARGE_TYPES: &[&str] = &["PostPaid", "PrePaid"];
pub const INTERNET_CHARGE_TYPES: &[&str] = &["PayByLcu", "PayBySpec"];
pub const EIP_BIND_MODES: &[&str] = &["MULTI_BINDED", "NAT"];
pub const AVAILABILITY_MODES: &[&str] = &["CrossAZ", "SingleAZ"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessMode {
    pub mode_value: String,
    pub tunnel_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDelivery {
    pub log_delivery_type: String,
    pub log_destination: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NatGateway {
    pub id: String,
    pub region_id: String,
    pub vpc_id: String,
    /// Empty for a standard (`Normal`) gateway created without a vSwitch.
    pub vswitch_id: String,
    pub zone_id: String,
    pub name: String,
    pub description: String,
    /// `""` for pay-by-LCU gateways.
    pub spec: String,
    pub nat_type: String,
    pub network_type: String,
    pub instance_charge_type: String,
    pub internet_charge_type: String,
    pub status: NatStatus,
    pub created_ms: Millis,
    pub expired_ms: Option<Millis>,
    pub forward_table_id: String,
    pub snat_table_id: String,
    pub full_nat_table_id: Option<String>,
    pub private_ip: Option<Ipv4Addr>,
    pub eni_id: String,
    pub eip_bind_mode: String,
    pub icmp_reply_enabled: bool,
    pub private_link_enabled: bool,
    pub security_protection_enabled: bool,
    pub access_mode: Option<AccessMode>,
    pub enable_session_log: bool,
    pub log_delivery: Option<LogDelivery>,
    pub availability_mode: String,
    pub ipv4_prefix: Option<String>,
    pub deletion_protection: bool,
    pub resource_group_id: String,
    pub tags: Vec<Tag>,
    pub seq: u64,
}

impl NatGateway {
    pub fn is_internet(&self) -> bool {
        self.network_type == "internet"
    }
}

/// Name rules of the reference and the current API together: 2–128 characters, starting with a
/// letter or a Chinese character, then letters, digits, `.`, `_`, `-` (and Chinese characters).
pub fn valid_nat_name(s: &str) -> bool {
    let n = s.chars().count();
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || is_cjk(c));
    (2..=128).contains(&n)
        && first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') || is_cjk(c))
        && !crate::params::has_url_prefix(s)
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["ab", "gw-one", "网关1", "a.b_c-d"] {
            assert!(valid_nat_name(ok), "{ok}");
        }
        for bad in ["a", "1ab", "-ab", "a b", "http://x", &"a".repeat(129)] {
            assert!(!valid_nat_name(bad), "{bad}");
        }
    }

    #[test]
    fn canonical_values() {
        assert_eq!(canonical("small", SPECS), Some("Small"));
        assert_eq!(canonical("INTERNET", NETWORK_TYPES), Some("internet"));
        assert_eq!(canonical("huge", SPECS), None);
        assert_eq!(NatStatus::parse("available"), Some(NatStatus::Available));
    }
}
