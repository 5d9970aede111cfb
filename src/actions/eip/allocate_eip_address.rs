//! AllocateEipAddress (REAL-SERVICE §8.1): an EIP from the region's public pool (never an address
//! another EIP holds), `Available` at once. `IpAddress` asks for one address of the pool;
//! `InstanceId` takes back an EIP this account released within the last seven days.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::{check_bandwidth, check_text};
use crate::error::ApiError;
use crate::model::{Eip, EipStatus};
use crate::params::{Params, Tag};
use crate::store::{AccountState, Ctx};

const SEVEN_DAYS_MS: u64 = 7 * 24 * 3600 * 1000;

pub struct Request {
    region_id: String,
    bandwidth: u32,
    isp: &'static str,
    instance_charge_type: &'static str,
    internet_charge_type: &'static str,
    period_months: Option<u64>,
    name: String,
    description: String,
    ip_address: Option<Ipv4Addr>,
    instance_id: Option<String>,
    resource_group_id: Option<String>,
    security_protection_types: Vec<String>,
    tags: Vec<Tag>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let instance_charge_type = p.one_of("InstanceChargeType", &["PostPaid", "PrePaid"])?.unwrap_or("PostPaid");
    let internet_charge_type =
        p.one_of("InternetChargeType", &["PayByBandwidth", "PayByTraffic"])?.unwrap_or("PayByBandwidth");
    if instance_charge_type == "PrePaid" && internet_charge_type != "PayByBandwidth" {
        return Err(ApiError::invalid("InternetChargeType", "a PrePaid EIP is PayByBandwidth."));
    }
    let bandwidth = match p.opt("Bandwidth") {
        None => 5,
        Some(b) => check_bandwidth(b, internet_charge_type)?,
    };
    let period_months = if instance_charge_type == "PrePaid" {
        let cycle = p.one_of("PricingCycle", &["Month", "Year"])?.unwrap_or("Month");
        let n = p.opt_int("Period", 1, if cycle == "Year" { 5 } else { 9 })?.unwrap_or(1) as u64;
        Some(if cycle == "Year" { n * 12 } else { n })
    } else {
        None
    };
    let name = p.opt_string("Name").unwrap_or_default();
    check_text("Name", &name, 128)?;
    let description = p.opt_string("Description").unwrap_or_default();
    check_text("Description", &description, 256)?;
    let ip_address = match p.opt("IpAddress") {
        None => None,
        Some(s) => Some(s.parse().map_err(|_| ApiError::invalid("IpAddress", "expected an IPv4 address."))?),
    };
    let instance_id = p.opt_string("InstanceId");
    if ip_address.is_some() && instance_id.is_some() {
        return Err(ApiError::invalid("IpAddress", "give only one of IpAddress and InstanceId."));
    }
    let netmode = p.opt("Netmode").unwrap_or("public");
    if netmode != "public" {
        return Err(ApiError::invalid("Netmode", "the only value is public."));
    }
    p.opt_bool("AutoPay")?;
    Ok(Request {
        region_id,
        bandwidth,
        isp: p.one_of("ISP", &["BGP", "BGP_PRO", "ChinaTelecom", "ChinaUnicom", "ChinaMobile"])?.unwrap_or("BGP"),
        instance_charge_type,
        internet_charge_type,
        period_months,
        name,
        description,
        ip_address,
        instance_id,
        resource_group_id: p.opt_string("ResourceGroupId"),
        security_protection_types: p.list("SecurityProtectionTypes")?,
        tags: p.tags("Tag")?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub allocation_id: String,
    pub eip_address: String,
    pub resource_group_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<u64>,
}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region = ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    if rs.eips.len() >= ctx.quotas.eips_per_region {
        return Err(ApiError::QuotaExceededEip { limit: ctx.quotas.eips_per_region });
    }
    // Taking back a released EIP: same id, same address, if nobody took the address since.
    let reclaim = match &req.instance_id {
        None => None,
        Some(id) => {
            let (_, ip, _) = rs
                .released_eips
                .iter()
                .find(|(rid, _, at)| rid == id && ctx.now.saturating_sub(*at) <= SEVEN_DAYS_MS)
                .ok_or(ApiError::AllocateUnfamiliarIp)?;
            Some((id.clone(), *ip))
        }
    };
    let wanted = reclaim.as_ref().map(|(_, ip)| *ip).or(req.ip_address);
    // The last fallible step: the shared pool.
    let ip = {
        let mut pools = ctx.pools.lock();
        let pool = pools.get_mut(&req.region_id).ok_or(ApiError::InsufficientEip)?;
        match wanted {
            Some(ip) if !pool.contains(ip) => return Err(ApiError::ResourceNotFoundIp),
            Some(ip) if pool.is_taken(ip) => return Err(ApiError::IpAllocated),
            w => pool.take(w).ok_or(ApiError::InsufficientEip)?,
        }
    };
    let id = match reclaim {
        Some((id, _)) => id,
        None => st.ids.resource_id("eip", &region.id_code),
    };
    let seq = st.next_seq();
    let resource_group_id = req.resource_group_id.unwrap_or_else(|| st.resource_group_id.clone());
    let rs = st.region_mut(&req.region_id)?;
    rs.released_eips.retain(|(rid, _, _)| *rid != id);
    rs.eips.insert(
        id.clone(),
        Eip {
            id: id.clone(),
            region_id: req.region_id.clone(),
            ip,
            name: req.name,
            description: req.description,
            bandwidth: req.bandwidth,
            isp: req.isp.to_owned(),
            instance_charge_type: req.instance_charge_type.to_owned(),
            internet_charge_type: req.internet_charge_type.to_owned(),
            status: EipStatus::Available,
            created_ms: ctx.now,
            expired_ms: req.period_months.map(|m| ctx.now + m * 30 * 24 * 3600 * 1000),
            resource_group_id: resource_group_id.clone(),
            tags: req.tags,
            deletion_protection: false,
            security_protection_types: req.security_protection_types,
            binding: None,
            seq,
        },
    );
    let order_id = (req.instance_charge_type == "PrePaid").then_some(seq + 200_000_000_000);
    Ok(Response { allocation_id: id, eip_address: ip.to_string(), resource_group_id, order_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    fn run(st: &mut AccountState, pairs: &[(&str, &str)]) -> Result<Response, ApiError> {
        parse(&params(pairs)).and_then(|q| handle(st, &ctx(), q))
    }

    #[test]
    fn allocates_distinct_addresses() {
        let mut st = state();
        let a = run(&mut st, &[("RegionId", "cn-shenzhen")]).unwrap();
        let b = run(&mut st, &[("RegionId", "cn-shenzhen"), ("Bandwidth", "100"), ("Name", "b")]).unwrap();
        assert!(a.allocation_id.starts_with("eip-wz9"));
        assert_ne!(a.eip_address, b.eip_address);
        assert!(a.eip_address.starts_with("47.106."));
        let e = &st.regions["cn-shenzhen"].eips[&b.allocation_id];
        assert_eq!(
            (e.bandwidth, e.status, e.internet_charge_type.as_str()),
            (100, EipStatus::Available, "PayByBandwidth")
        );
    }

    #[test]
    fn refusals() {
        let mut st = state();
        for (pairs, code) in [
            (vec![], "MissingRegionId"),
            (vec![("RegionId", "nowhere")], "InvalidRegionId.NotFound"),
            (vec![("RegionId", "cn-shenzhen"), ("Bandwidth", "0")], "InvalidParameter"),
            (
                vec![("RegionId", "cn-shenzhen"), ("Bandwidth", "300"), ("InternetChargeType", "PayByTraffic")],
                "InvalidParameter",
            ),
            (vec![("RegionId", "cn-shenzhen"), ("InternetChargeType", "Free")], "InvalidParameter"),
            (vec![("RegionId", "cn-shenzhen"), ("IpAddress", "8.8.8.8")], "ResourceNotFound.Ip"),
            (vec![("RegionId", "cn-shenzhen"), ("InstanceId", "eip-never")], "OperationFailed.AllocateUnfamiliarIp"),
            (vec![("RegionId", "cn-shenzhen"), ("Name", "http://x")], "InvalidParameter"),
        ] {
            assert_eq!(run(&mut st, &pairs).err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert!(st.regions["cn-shenzhen"].eips.is_empty());
        for _ in 0..ctx().quotas.eips_per_region {
            run(&mut st, &[("RegionId", "cn-shenzhen")]).unwrap();
        }
        assert_eq!(run(&mut st, &[("RegionId", "cn-shenzhen")]).err().unwrap().code(), "QuotaExceeded.Eip");
    }

    #[test]
    fn a_requested_address_is_given_once() {
        let mut st = state();
        let mut other = AccountState::initial(world(), &world().accounts[1], 1);
        let ip = "47.254.128.200";
        run(&mut st, &[("RegionId", "eu-central-1"), ("IpAddress", ip)]).unwrap();
        let e = parse(&params(&[("RegionId", "eu-central-1"), ("IpAddress", ip)]))
            .and_then(|q| handle(&mut other, &ctx(), q));
        assert_eq!(e.err().unwrap().code(), "Ip.Allocated", "pools are shared by accounts");
    }

    #[test]
    fn an_exhausted_pool_refuses() {
        let mut st = state();
        let one: crate::model::eip::Pools =
            [("cn-shenzhen".to_owned(), crate::model::IpPool::new(vec!["198.51.100.0/30".parse().unwrap()]))].into();
        let tiny = Ctx { pools: Box::leak(Box::new(parking_lot::Mutex::new(one))), ..ctx() };
        let run =
            |st: &mut AccountState| parse(&params(&[("RegionId", "cn-shenzhen")])).and_then(|q| handle(st, &tiny, q));
        let mut given = 0;
        let err = loop {
            match run(&mut st) {
                Ok(_) => given += 1,
                Err(e) => break e,
            }
            assert!(given <= 4, "a /30 pool never runs dry");
        };
        assert!(given >= 1);
        assert_eq!(err.code(), "OperationFailed.InsufficientEIP");
        assert_eq!(st.regions["cn-shenzhen"].eips.len(), given, "the refusal adds nothing");
    }
}
