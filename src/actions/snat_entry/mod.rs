//! SNAT entry actions and the rules they share (R3, R4, R7, R8): which addresses an entry may use,
//! one entry per vSwitch, no two entries for the same source CIDR.

pub mod create_snat_entry;
pub mod delete_snat_entry;
pub mod describe_snat_table_entries;
pub mod modify_snat_entry;

use std::net::Ipv4Addr;

use crate::error::ApiError;
use crate::model::entry::Protocol;
use crate::model::{EntryStatus, NatGateway, NatStatus, SnatEntry};
use crate::store::{PublicIp, RegionState};

/// The gateway owning an SNAT table; it must be Available for a change.
pub fn gateway_for_change<'a>(rs: &'a RegionState, table_id: &str) -> Result<&'a NatGateway, ApiError> {
    let gw = rs.gateway_of_snat_table(table_id).ok_or(ApiError::InvalidSnatTableIdNotFound)?;
    if gw.status != NatStatus::Available {
        return Err(ApiError::IncorrectStatusNatgw { status: gw.status.as_str() });
    }
    Ok(gw)
}

/// An entry of this table; it must be Available for a change.
pub fn entry_for_change<'a>(rs: &'a RegionState, table_id: &str, entry_id: &str) -> Result<&'a SnatEntry, ApiError> {
    let entry =
        rs.snat_entries.get(entry_id).filter(|e| e.table_id == table_id).ok_or(ApiError::InvalidSnatEntryIdNotFound)?;
    if entry.status != EntryStatus::Available {
        return Err(ApiError::IncorretSnatEntryStatus {
            detail: format!("Entry {} is {}.", entry.id, entry.status.as_str()),
        });
    }
    Ok(entry)
}

/// `SnatIp`: a comma-separated list of addresses (an SNAT address pool), canonical and unique.
pub fn parse_snat_ips(raw: &str, limit: usize) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let ip: Ipv4Addr = part.parse().map_err(|_| ApiError::InvalidSnatIpMalformed)?;
        let s = ip.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(ApiError::InvalidSnatIpMalformed);
    }
    if out.len() > limit {
        return Err(ApiError::SnatIpPoolCountTooMany { limit });
    }
    Ok(out)
}

/// Every address must be usable by this gateway and not used by a DNAT entry (unless every DNAT
/// entry on it has PortBreak).
pub fn check_ips(rs: &RegionState, gw: &NatGateway, ips: &[String]) -> Result<(), ApiError> {
    for ip in ips {
        match rs.public_ip_state(gw, ip) {
            PublicIp::Usable => {}
            PublicIp::Associating => return Err(ApiError::EipInBinding { ip: ip.clone() }),
            PublicIp::Leaving => return Err(ApiError::IncorrectEipStatus { status: "Unassociating" }),
            PublicIp::NotOnGateway | PublicIp::Unknown => {
                return Err(ApiError::InvalidSnatIpNotFound { ip: ip.clone() })
            }
        }
        let want = ip.parse::<std::net::Ipv4Addr>().ok();
        let blocking: Vec<String> = rs
            .forward_entries_of(&gw.id)
            .into_iter()
            .filter(|e| Some(e.external_ip) == want && (!e.port_break || e.ip_protocol == Protocol::Any))
            .map(|e| e.id.clone())
            .collect();
        if !blocking.is_empty() {
            return Err(ApiError::IpUsedInForwardTable { entries: blocking.join(", ") });
        }
    }
    Ok(())
}

/// The source block an entry covers: its SourceCIDR, or its vSwitch's CIDR.
pub fn source_cidr(rs: &RegionState, e: &SnatEntry) -> Option<ipnet::Ipv4Net> {
    if !e.source_cidr.is_empty() {
        return e.source_cidr.parse().ok();
    }
    rs.vswitches.get(&e.source_vswitch_id).map(|v| v.cidr)
}

pub fn valid_name(s: &str) -> bool {
    crate::actions::forward_entry::valid_entry_name(s)
}

pub fn table_busy(rs: &RegionState, gw: &NatGateway) -> Option<String> {
    rs.snat_entries_of(&gw.id).into_iter().find(|e| e.status == EntryStatus::Pending).map(|e| e.id.clone())
}
