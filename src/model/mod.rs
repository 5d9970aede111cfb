//! Domain types: resources, their statuses and the rules that belong to one resource.
//!
//! No HTTP, no wire formats, no parameters: `actions` translate requests into calls on these
//! types and `store` keeps them. Everything here is `Serialize + Deserialize` so that state can be
//! dumped, snapshotted and replayed.

pub mod bandwidth_package;
pub mod eip;
pub mod entry;
pub mod nat_gateway;
pub mod vpc;

pub use bandwidth_package::{BandwidthPackage, PackageIp};
pub use eip::{Eip, EipBinding, EipStatus, IpPool};
pub use entry::{EntryStatus, ForwardEntry, SnatEntry};
pub use nat_gateway::{NatGateway, NatStatus};
pub use vpc::{RouteEntry, VSwitch, VSwitchStatus, Vpc, VpcStatus};

/// Names: 1–128 characters, not starting with `http://` or `https://` (VPC, vSwitch).
pub fn valid_name_1_128(s: &str) -> bool {
    let n = s.chars().count();
    (1..=128).contains(&n) && !crate::params::has_url_prefix(s)
}

/// Descriptions: 1–256 characters, not starting with `http://` or `https://`.
pub fn valid_description_1_256(s: &str) -> bool {
    let n = s.chars().count();
    (1..=256).contains(&n) && !crate::params::has_url_prefix(s)
}
