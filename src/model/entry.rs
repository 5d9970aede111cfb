//! DNAT (forward) and SNAT entries.

use std::net::Ipv4Addr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::clock::Millis;

/// `Pending` (being created or modified) → `Available`; `Deleting` → gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryStatus {
    Pending,
    Available,
    Deleting,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Pending => "Pending",
            EntryStatus::Available => "Available",
            EntryStatus::Deleting => "Deleting",
        }
    }
}

/// A port as the API writes it: `80`, `1000/1010`, or `Any` (IP mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    Range(u16, u16),
    Any,
}

impl Port {
    pub fn parse(s: &str) -> Option<Port> {
        if s.eq_ignore_ascii_case("any") {
            return Some(Port::Any);
        }
        let one = |t: &str| -> Option<u16> {
            if t.is_empty() || t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.parse::<u16>().ok().filter(|p| *p >= 1)
        };
        match s.split_once('/') {
            Some((a, b)) => {
                let (a, b) = (one(a)?, one(b)?);
                (a <= b).then_some(Port::Range(a, b))
            }
            None => one(s).map(|p| Port::Range(p, p)),
        }
    }

    pub fn width(self) -> u32 {
        match self {
            Port::Range(a, b) => (b - a) as u32 + 1,
            Port::Any => 65_535,
        }
    }

    pub fn overlaps(self, other: Port) -> bool {
        match (self, other) {
            (Port::Any, _) | (_, Port::Any) => true,
            (Port::Range(a, b), Port::Range(c, d)) => a <= d && c <= b,
        }
    }

    pub fn contains(self, port: u16) -> bool {
        match self {
            Port::Any => true,
            Port::Range(a, b) => a <= port && port <= b,
        }
    }
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Port::Any => f.write_str("any"),
            Port::Range(a, b) if a == b => write!(f, "{a}"),
            Port::Range(a, b) => write!(f, "{a}/{b}"),
        }
    }
}

/// Stored and answered as its text (`80`, `1000/1010`, `any`), as the API writes it.
impl Serialize for Port {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Port::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a port or port range: {s:?}")))
    }
}

/// A DNAT protocol: `tcp`, `udp`, or `any` (IP mapping); lower case, as Terraform reads it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Any,
}

impl Protocol {
    /// `TCP`, `UDP` or `Any`, in any case.
    pub fn parse(s: &str) -> Option<Protocol> {
        [Protocol::Tcp, Protocol::Udp, Protocol::Any].into_iter().find(|p| p.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Any => "any",
        }
    }
}

/// Loaded in any case (`TCP`, `Any`), as the rule checks always read it.
impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Protocol::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not tcp, udp or any: {s:?}")))
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A DNAT entry. Its tuple is kept parsed (addresses, port ranges, protocol): the rule checks of
/// every create compare it with each entry of the table, and 100,000 entries stay compact
/// (docs/performance.md). It serializes exactly as the strings the API answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardEntry {
    pub id: String,
    /// Shared by the entries of one table.
    pub table_id: Arc<str>,
    pub nat_gateway_id: Arc<str>,
    pub name: String,
    pub external_ip: Ipv4Addr,
    /// `80`, `1000/1010`, or `any`.
    pub external_port: Port,
    pub internal_ip: Ipv4Addr,
    pub internal_port: Port,
    pub ip_protocol: Protocol,
    pub port_break: bool,
    pub status: EntryStatus,
    pub created_ms: Millis,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnatEntry {
    pub id: String,
    pub table_id: String,
    pub nat_gateway_id: String,
    pub name: String,
    pub source_vswitch_id: String,
    pub source_cidr: String,
    pub snat_ips: Vec<String>,
    pub eip_affinity: u8,
    pub network_interface_id: String,
    pub status: EntryStatus,
    pub created_ms: Millis,
    pub seq: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dnat_entry_serializes_as_the_api_strings_and_loads_them_back() {
        let text = r#"{"id":"fwd-1","table_id":"ftb-1","nat_gateway_id":"ngw-1","name":"","external_ip":"47.0.0.1",
            "external_port":"1000/1010","internal_ip":"10.0.0.5","internal_port":"2000/2010","ip_protocol":"udp",
            "port_break":false,"status":"Available","created_ms":1,"seq":2}"#;
        let e: ForwardEntry = serde_json::from_str(text).expect("a stored entry loads");
        assert_eq!(
            (e.external_port, e.internal_ip, e.ip_protocol),
            (Port::Range(1000, 1010), Ipv4Addr::new(10, 0, 0, 5), Protocol::Udp)
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            (v["external_port"].as_str(), v["external_ip"].as_str(), v["ip_protocol"].as_str()),
            (Some("1000/1010"), Some("47.0.0.1"), Some("udp"))
        );
        let any: ForwardEntry = serde_json::from_str(
            &text.replace(r#""1000/1010""#, r#""any""#).replace(r#""2000/2010""#, r#""any""#).replace("udp", "any"),
        )
        .unwrap();
        assert_eq!((any.external_port.to_string(), any.ip_protocol.as_str()), ("any".into(), "any"));
        assert!(
            serde_json::from_str::<ForwardEntry>(&text.replace("1000/1010", "x")).is_err(),
            "a port that is none is refused"
        );
    }
}
