//! EIP actions: allocate, associate with NAT gateways, unassociate, release, describe, modify.
pub mod allocate_eip_address;
pub mod associate_eip_address;
pub mod describe_eip_addresses;
pub mod modify_eip_address_attribute;
pub mod release_eip_address;
pub mod unassociate_eip_address;

use crate::error::ApiError;
use crate::model::Eip;
use crate::store::AccountState;

/// Finds an EIP by AllocationId in `region`, or in every region when RegionId is optional and
/// absent. Returns the region too.
pub fn find_eip<'a>(st: &'a AccountState, region: Option<&str>, id: &str) -> Result<&'a Eip, ApiError> {
    match region {
        Some(r) => st.region(r)?.eips.get(id),
        None => st.regions.values().find_map(|r| r.eips.get(id)),
    }
    .ok_or(ApiError::InvalidAllocationIdNotFound)
}

/// EIP names and descriptions: 0–128 / 0–256 characters, not starting with http(s)://.
pub fn check_text(name: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max || crate::params::has_url_prefix(value) {
        return Err(ApiError::invalid(
            name,
            format!("at most {max} characters, not starting with http:// or https://."),
        ));
    }
    Ok(())
}

/// Bandwidth in Mbit/s: 1–500 for pay-by-bandwidth, 1–200 for pay-by-traffic.
pub fn check_bandwidth(raw: &str, internet_charge_type: &str) -> Result<u32, ApiError> {
    let max = if internet_charge_type == "PayByTraffic" { 200 } else { 500 };
    raw.parse::<u32>()
        .ok()
        .filter(|b| (1..=max).contains(b))
        .ok_or_else(|| ApiError::invalid("Bandwidth", format!("1 to {max} Mbit/s for this metering method.")))
}
