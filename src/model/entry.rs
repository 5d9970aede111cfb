//! DNAT (forward) and SNAT entries.

use serde::{Deserialize, Serialize};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardEntry {
    pub id: String,
    pub table_id: String,
    pub nat_gateway_id: String,
    pub name: String,
    pub external_ip: String,
    /// `80`, `1000/1010`, or `any`.
    pub external_port: String,
    pub internal_ip: String,
    pub internal_port: String,
    /// `tcp`, `udp` or `any` (lower case, as Terraform reads it back).
    pub ip_protocol: String,
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
