//! DescribeEipAddresses (REAL-SERVICE §8.1): filters (comma lists of up to 50 AllocationIds or
//! addresses, Status, AssociatedInstanceType/Id, …), paging (default 10, max 100), newest first.

use serde::Serialize;

use crate::actions::{dry_run, has_tags, page, KeyValueTags};
use crate::clock::{format_iso, parse_iso};
use crate::error::ApiError;
use crate::model::{Eip, EipStatus};
use crate::params::{Paging, Params, Tag};
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    allocation_ids: Option<Vec<String>>,
    addresses: Option<Vec<String>>,
    name: Option<String>,
    status: Option<EipStatus>,
    instance_type: Option<&'static str>,
    instance_id: Option<String>,
    charge_type: Option<String>,
    isp: Option<String>,
    resource_group_id: Option<String>,
    lock_reason: Option<String>,
    excluded_by_unmodelled: bool,
    created_after: Option<u64>,
    tags: Vec<Tag>,
    paging: Paging,
    dry_run: bool,
}

fn comma_list(p: &Params, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(v) = p.opt(name) else { return Ok(None) };
    let items: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    if items.len() > 50 {
        return Err(ApiError::invalid(name, "at most 50 values."));
    }
    Ok(Some(items))
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let status = match p.opt("Status") {
        None => None,
        Some(s) => Some(EipStatus::parse(s).ok_or_else(|| {
            ApiError::invalid("Status", "valid values are Associating, Unassociating, InUse, Available.")
        })?),
    };
    let instance_type = match p.opt("AssociatedInstanceType") {
        None => None,
        Some(t) => Some(
            super::associate_eip_address::INSTANCE_TYPES
                .iter()
                .copied()
                .find(|x| x.eq_ignore_ascii_case(t))
                .ok_or(ApiError::InvalidAssociatedInstanceType)?,
        ),
    };
    let lock_reason = p.opt_string("LockReason");
    if lock_reason.as_deref().is_some_and(|l| l != "financial" && l != "security") {
        return Err(ApiError::invalid("LockReason", "valid values are financial, security."));
    }
    let mut created_after = None;
    for i in 1.. {
        let Some(k) = p.opt(&format!("Filter.{i}.Key")) else { break };
        let v = p.opt(&format!("Filter.{i}.Value")).unwrap_or("");
        if k != "CreationStartTime" {
            return Err(ApiError::invalid(format!("Filter.{i}.Key"), "the only key is CreationStartTime."));
        }
        // YYYY-MM-DDThh:mmZ (the documented form) or with seconds.
        let full = if v.len() == 17 { format!("{}:00Z", &v[..16]) } else { v.to_owned() };
        created_after = Some(
            parse_iso(&full)
                .ok_or_else(|| ApiError::invalid(format!("Filter.{i}.Value"), "expected YYYY-MM-DDThh:mmZ."))?,
        );
    }
    // Managed instances, reservation data, contiguous EIP groups, address pools and Anti-DDoS
    // Enhanced are not modelled: asking for them matches nothing.
    let excluded_by_unmodelled = p.opt("SegmentInstanceId").is_some()
        || p.opt("PublicIpAddressPoolId").is_some()
        || p.opt_bool("ServiceManaged")? == Some(true)
        || p.opt_bool("SecurityProtectionEnabled")? == Some(true);
    p.opt_bool("IncludeReservationData")?;
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        allocation_ids: comma_list(p, "AllocationId")?,
        addresses: comma_list(p, "EipAddress")?,
        name: p.opt_string("EipName"),
        status,
        instance_type,
        instance_id: p.opt_string("AssociatedInstanceId"),
        charge_type: p.opt_string("ChargeType"),
        isp: p.opt_string("ISP"),
        resource_group_id: p.opt_string("ResourceGroupId"),
        lock_reason,
        excluded_by_unmodelled,
        created_after,
        tags: p.tags("Tag")?,
        paging: p.paging(100)?,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub total_count: usize,
    pub page_number: usize,
    pub page_size: usize,
    pub eip_addresses: EipAddresses,
}

#[derive(Debug, Serialize)]
pub struct EipAddresses {
    #[serde(rename = "EipAddress")]
    pub items: Vec<EipView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EipView {
    pub allocation_id: String,
    pub ip_address: String,
    pub region_id: String,
    pub status: &'static str,
    pub name: String,
    pub description: String,
    pub bandwidth: String,
    pub eip_bandwidth: String,
    #[serde(rename = "ISP")]
    pub isp: String,
    pub charge_type: String,
    pub internet_charge_type: String,
    pub netmode: &'static str,
    pub allocation_time: String,
    pub expired_time: String,
    pub instance_id: String,
    pub instance_type: String,
    pub instance_region_id: String,
    pub private_ip_address: String,
    pub vpc_id: String,
    pub mode: String,
    pub resource_group_id: String,
    pub deletion_protection: bool,
    pub business_status: &'static str,
    pub bandwidth_package_id: String,
    pub bandwidth_package_type: String,
    pub bandwidth_package_bandwidth: String,
    pub has_reservation_data: String,
    #[serde(rename = "HDMonitorStatus")]
    pub hd_monitor_status: String,
    pub second_limited: bool,
    pub service_managed: i32,
    #[serde(rename = "ServiceID")]
    pub service_id: i64,
    pub biz_type: String,
    pub public_ip_address_pool_id: String,
    pub segment_instance_id: String,
    pub reservation_active_time: String,
    pub reservation_bandwidth: String,
    pub reservation_internet_charge_type: String,
    pub reservation_order_type: String,
    pub zone: String,
    pub operation_locks: OperationLocks,
    pub security_protection_types: SecurityProtectionTypes,
    pub tags: KeyValueTags,
}

#[derive(Debug, Serialize)]
pub struct OperationLocks {
    #[serde(rename = "LockReason")]
    pub items: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct SecurityProtectionTypes {
    #[serde(rename = "SecurityProtectionType")]
    pub items: Vec<String>,
}

pub fn view(e: &Eip) -> EipView {
    let b = e.binding.as_ref();
    EipView {
        allocation_id: e.id.clone(),
        ip_address: e.ip.to_string(),
        region_id: e.region_id.clone(),
        status: e.status.as_str(),
        name: e.name.clone(),
        description: e.description.clone(),
        bandwidth: e.bandwidth.to_string(),
        eip_bandwidth: e.bandwidth.to_string(),
        isp: e.isp.clone(),
        charge_type: e.instance_charge_type.clone(),
        internet_charge_type: e.internet_charge_type.clone(),
        netmode: "public",
        allocation_time: format_iso(e.created_ms),
        expired_time: e.expired_ms.map(format_iso).unwrap_or_default(),
        instance_id: b.map(|b| b.instance_id.clone()).unwrap_or_default(),
        instance_type: b.map(|b| b.instance_type.clone()).unwrap_or_default(),
        instance_region_id: b.map(|_| e.region_id.clone()).unwrap_or_default(),
        private_ip_address: String::new(),
        vpc_id: b.map(|b| b.vpc_id.clone()).unwrap_or_default(),
        mode: if b.is_some() { "NAT".into() } else { String::new() },
        resource_group_id: e.resource_group_id.clone(),
        deletion_protection: e.deletion_protection,
        business_status: "Normal",
        bandwidth_package_id: String::new(),
        bandwidth_package_type: String::new(),
        bandwidth_package_bandwidth: String::new(),
        has_reservation_data: "false".into(),
        hd_monitor_status: "OFF".into(),
        second_limited: false,
        service_managed: 0,
        service_id: 0,
        biz_type: String::new(),
        public_ip_address_pool_id: String::new(),
        segment_instance_id: String::new(),
        reservation_active_time: String::new(),
        reservation_bandwidth: String::new(),
        reservation_internet_charge_type: String::new(),
        reservation_order_type: String::new(),
        zone: String::new(),
        operation_locks: OperationLocks { items: vec![] },
        security_protection_types: SecurityProtectionTypes { items: e.security_protection_types.clone() },
        tags: KeyValueTags::of(&e.tags),
    }
}

pub fn handle(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    let items: Vec<&Eip> = rs
        .eips
        .in_order()
        .rev()
        .filter(|e| {
            !req.excluded_by_unmodelled
                && req.lock_reason.is_none()
                && req.allocation_ids.as_ref().is_none_or(|ids| ids.contains(&e.id))
                && req.addresses.as_ref().is_none_or(|ips| ips.contains(&e.ip.to_string()))
                && req.name.as_ref().is_none_or(|n| &e.name == n)
                && req.status.is_none_or(|s| e.status == s)
                && req.instance_type.is_none_or(|t| e.binding.as_ref().is_some_and(|b| b.instance_type == t))
                && req.instance_id.as_ref().is_none_or(|i| e.bound_to(i))
                && req.charge_type.as_ref().is_none_or(|c| c.eq_ignore_ascii_case(&e.instance_charge_type))
                && req.isp.as_ref().is_none_or(|i| i.eq_ignore_ascii_case(&e.isp))
                && req.resource_group_id.as_ref().is_none_or(|g| &e.resource_group_id == g)
                && req.created_after.is_none_or(|t| e.created_ms >= t)
                && has_tags(&e.tags, &req.tags)
        })
        .collect();
    let (total, items) = page(items, req.paging);
    Ok(Response {
        total_count: total,
        page_number: req.paging.number,
        page_size: req.paging.size,
        eip_addresses: EipAddresses { items: items.into_iter().map(view).collect() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::eip::associate_eip_address::tests::{associate, gateway_and_eip};
    use crate::actions::testing::*;

    #[test]
    fn filters() {
        let mut st = state();
        let (gw, a) = gateway_and_eip(&mut st, "cn-beijing", &[]);
        let (_, b) = gateway_and_eip(&mut st, "cn-beijing", &[]);
        associate(&mut st, &a, &gw, 0).unwrap();
        let run = |pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(&st, &ctx(), q));
        assert_eq!(run(&[("RegionId", "cn-beijing")]).unwrap().total_count, 2);
        let bound =
            run(&[("RegionId", "cn-beijing"), ("AssociatedInstanceType", "Nat"), ("AssociatedInstanceId", &gw)])
                .unwrap();
        assert_eq!(bound.eip_addresses.items.len(), 1);
        let v = &bound.eip_addresses.items[0];
        assert_eq!((v.allocation_id.as_str(), v.status, v.instance_type.as_str()), (a.as_str(), "InUse", "Nat"));
        assert_eq!(
            run(&[("RegionId", "cn-beijing"), ("Status", "Available")]).unwrap().eip_addresses.items[0].allocation_id,
            b
        );
        let both = format!("{a},{b}");
        assert_eq!(run(&[("RegionId", "cn-beijing"), ("AllocationId", &both)]).unwrap().total_count, 2);
        let ip = st.regions["cn-beijing"].eips[&b].ip.to_string();
        assert_eq!(run(&[("RegionId", "cn-beijing"), ("EipAddress", &ip)]).unwrap().total_count, 1);
        assert_eq!(run(&[("RegionId", "cn-beijing"), ("LockReason", "financial")]).unwrap().total_count, 0);
        assert_eq!(run(&[("RegionId", "cn-beijing"), ("PageSize", "100")]).unwrap().page_size, 100);
        assert_eq!(run(&[("RegionId", "cn-beijing"), ("PageSize", "101")]).err().unwrap().code(), "InvalidParameter");
        assert_eq!(
            run(&[("RegionId", "cn-beijing"), ("AssociatedInstanceType", "Car")]).err().unwrap().code(),
            "InvalidIAssociatedInstanceType.ValueNotSupported"
        );
        assert_eq!(
            run(&[
                ("RegionId", "cn-beijing"),
                ("Filter.1.Key", "CreationStartTime"),
                ("Filter.1.Value", "2999-01-01T00:00Z")
            ])
            .unwrap()
            .total_count,
            0
        );
        let json = serde_json::to_value(run(&[("RegionId", "cn-shanghai")]).unwrap()).unwrap();
        assert_eq!(json["EipAddresses"]["EipAddress"], serde_json::json!([]));
    }
}
