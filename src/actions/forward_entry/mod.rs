//! DNAT (forward) entry actions and the rules they share: port and protocol syntax, which public
//! IPs a gateway may use, tuple uniqueness (R5), and the SNAT/DNAT sharing rule (R4).

pub mod create_forward_entry;
pub mod delete_forward_entry;
pub mod describe_forward_table_entries;
pub mod modify_forward_entry;

use std::net::Ipv4Addr;

use crate::error::ApiError;
pub use crate::model::entry::{Port, Protocol};
use crate::model::{EntryStatus, ForwardEntry, NatGateway, NatStatus};
use crate::store::{PublicIp, RegionState};

/// `TCP`, `UDP` or `Any` (any case).
pub fn parse_protocol(s: &str) -> Result<Protocol, ApiError> {
    Protocol::parse(s).ok_or(ApiError::InvalidProtocolValueNotSupported)
}

pub fn protocols_overlap(a: &str, b: &str) -> bool {
    a == b || a == "any" || b == "any"
}

/// The complete DNAT tuple, checked for syntax: an `any` protocol goes with `Any` ports (IP
/// mapping) and only with them; a port range maps onto a range of the same width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuple {
    pub external_ip: Ipv4Addr,
    pub external_port: Port,
    pub internal_ip: Ipv4Addr,
    pub internal_port: Port,
    pub protocol: Protocol,
}

impl Tuple {
    pub fn check(&self) -> Result<(), ApiError> {
        let any_ports = self.external_port == Port::Any || self.internal_port == Port::Any;
        if self.protocol == Protocol::Any && !(self.external_port == Port::Any && self.internal_port == Port::Any) {
            return Err(ApiError::InvalidExternalPortMalformed {
                reason: "IpProtocol=Any needs ExternalPort=Any and InternalPort=Any.",
            });
        }
        if self.protocol != Protocol::Any && any_ports {
            return Err(ApiError::InvalidExternalPortMalformed { reason: "Port Any needs IpProtocol=Any." });
        }
        if self.external_port.width() != self.internal_port.width() {
            return Err(ApiError::InvalidInternalPortMalformed {
                reason: "A port range maps onto a range of the same width.",
            });
        }
        Ok(())
    }

    pub fn of(e: &ForwardEntry) -> Tuple {
        Tuple {
            external_ip: e.external_ip,
            external_port: e.external_port,
            internal_ip: e.internal_ip,
            internal_port: e.internal_port,
            protocol: e.ip_protocol,
        }
    }
}

pub fn parse_ip(s: &str, err: ApiError) -> Result<Ipv4Addr, ApiError> {
    s.trim().parse::<Ipv4Addr>().map_err(|_| err)
}

/// DNAT entry names: 2–128 characters, starting with a letter or a Chinese character, not http(s)://.
pub fn valid_entry_name(s: &str) -> bool {
    let n = s.chars().count();
    let first = s.chars().next().is_some_and(|c| c.is_alphabetic());
    (2..=128).contains(&n) && first && !crate::params::has_url_prefix(s)
}

/// The gateway owning a DNAT table; it must be Available for a change.
pub fn gateway_for_change<'a>(rs: &'a RegionState, table_id: &str) -> Result<&'a NatGateway, ApiError> {
    let gw = rs.gateway_of_forward_table(table_id).ok_or(ApiError::InvalidForwardTableIdNotFound)?;
    if gw.status != NatStatus::Available {
        return Err(ApiError::IncorrectStatusNatgw { status: gw.status.as_str() });
    }
    Ok(gw)
}

/// An entry of this table; it must be Available for a change.
pub fn entry_for_change<'a>(rs: &'a RegionState, table_id: &str, entry_id: &str) -> Result<&'a ForwardEntry, ApiError> {
    let entry = rs
        .forward_entries
        .get(entry_id)
        .filter(|e| *e.table_id == *table_id)
        .ok_or(ApiError::InvalidForwardEntryIdNotFound)?;
    if entry.status != EntryStatus::Available {
        return Err(ApiError::IncorretForwardEntryStatus {
            detail: format!("Entry {} is {}.", entry.id, entry.status.as_str()),
        });
    }
    Ok(entry)
}

/// Checks a new or changed DNAT tuple against the gateway and the other entries (`except`: the
/// entry being modified).
pub fn check_rules(
    rs: &RegionState,
    gw: &NatGateway,
    t: &Tuple,
    port_break: bool,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let ip = t.external_ip.to_string();
    match rs.public_ip_state(gw, &ip) {
        PublicIp::Usable => {}
        PublicIp::Associating => return Err(ApiError::EipInBinding { ip }),
        PublicIp::Leaving => return Err(ApiError::IncorrectEipStatus { status: "Unassociating" }),
        PublicIp::NotOnGateway => return Err(ApiError::InvalidIpNotInNatgw),
        PublicIp::Unknown => return Err(ApiError::InvalidExternalIpNotFound),
    }
    let vpc = rs.vpcs.get(&gw.vpc_id).ok_or(ApiError::InvalidVpcIdNotFound)?;
    if !vpc.cidr.contains(&t.internal_ip) {
        return Err(ApiError::InternalIpOutOfVpcCidr);
    }
    let (snat, _) = rs.ip_users(&gw.id, &ip);
    if !snat.is_empty() && (!port_break || t.protocol == Protocol::Any) {
        return Err(ApiError::ExternalIpUsedInSnatTable { entries: snat.join(", ") });
    }
    for other in rs.forward_entries.group(&gw.id) {
        if Some(other.id.as_str()) == except {
            continue;
        }
        let o = Tuple::of(other);
        if !protocols_overlap(o.protocol.as_str(), t.protocol.as_str()) {
            continue;
        }
        if o.external_ip == t.external_ip && o.external_port.overlaps(t.external_port) {
            return Err(ApiError::ForwardEntryConflict { entry: other.id.clone(), side: "external" });
        }
        if o.internal_ip == t.internal_ip && o.internal_port.overlaps(t.internal_port) {
            return Err(ApiError::ForwardEntryConflict { entry: other.id.clone(), side: "internal" });
        }
    }
    Ok(())
}

/// The table lock (when the realism switch is on): any Pending entry blocks the whole table.
pub fn table_busy(rs: &RegionState, gw: &NatGateway) -> Option<String> {
    rs.forward_entries_of(&gw.id).into_iter().find(|e| e.status == EntryStatus::Pending).map(|e| e.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(Port::parse("80"), Some(Port::Range(80, 80)));
        assert_eq!(Port::parse("1000/1010").map(Port::width), Some(11));
        assert_eq!(Port::parse("ANY"), Some(Port::Any));
        for bad in ["0", "65536", "10/5", "a", "", "1/", "/2", "-1", "1.5", "00000080"] {
            assert_eq!(Port::parse(bad), None, "{bad}");
        }
        assert!(Port::Range(10, 20).overlaps(Port::Range(20, 30)));
        assert!(!Port::Range(10, 19).overlaps(Port::Range(20, 30)));
        assert_eq!(Port::Range(5, 5).to_string(), "5");
        assert_eq!((Port::Range(1000, 1010).to_string(), Port::Any.to_string()), ("1000/1010".into(), "any".into()));
    }
}
