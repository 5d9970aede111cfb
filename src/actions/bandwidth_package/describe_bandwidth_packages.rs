//! DescribeBandwidthPackages (ACTIONS.md §2.15, REAL-SERVICE §5.3): by BandwidthPackageId and/or
//! NatGatewayId, paging (default 10, max 50), newest first. The address list keeps the reference's
//! spelling: `PublicIpAddresses.PublicIpAddresse[]`.

use serde::Serialize;

use super::ensure_allowed;
use crate::actions::nat_gateway::using_status;
use crate::actions::page;
use crate::clock::format_iso;
use crate::error::ApiError;
use crate::model::BandwidthPackage;
use crate::params::{Paging, Params};
use crate::store::{AccountState, Ctx, RegionState};

pub struct Request {
    region_id: String,
    package_id: Option<String>,
    nat_gateway_id: Option<String>,
    paging: Paging,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        package_id: p.opt_string("BandwidthPackageId"),
        nat_gateway_id: p.opt_string("NatGatewayId"),
        paging: p.paging(50)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub total_count: usize,
    pub page_number: usize,
    pub page_size: usize,
    pub bandwidth_packages: Packages,
}

#[derive(Debug, Serialize)]
pub struct Packages {
    #[serde(rename = "BandwidthPackage")]
    pub items: Vec<PackageView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageView {
    pub bandwidth_package_id: String,
    pub region_id: String,
    pub name: String,
    pub description: String,
    pub zone_id: String,
    pub nat_gateway_id: String,
    pub bandwidth: String,
    pub instance_charge_type: &'static str,
    pub internet_charge_type: String,
    pub business_status: &'static str,
    pub ip_count: String,
    pub creation_time: String,
    pub status: &'static str,
    #[serde(rename = "ISP")]
    pub isp: String,
    pub public_ip_addresses: PublicIps,
}

#[derive(Debug, Serialize)]
pub struct PublicIps {
    #[serde(rename = "PublicIpAddresse")]
    pub items: Vec<PublicIp>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicIp {
    pub allocation_id: String,
    pub ip_address: String,
    pub using_status: &'static str,
    pub ap_access_enabled: bool,
}

pub fn view(rs: &RegionState, p: &BandwidthPackage) -> PackageView {
    PackageView {
        bandwidth_package_id: p.id.clone(),
        region_id: p.region_id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        zone_id: p.zone_id.clone(),
        nat_gateway_id: p.nat_gateway_id.clone(),
        bandwidth: p.bandwidth.to_string(),
        instance_charge_type: "PostPaid",
        internet_charge_type: p.internet_charge_type.clone(),
        business_status: "Normal",
        ip_count: p.ips.len().to_string(),
        creation_time: format_iso(p.created_ms),
        status: "Available",
        isp: p.isp.clone(),
        public_ip_addresses: PublicIps {
            items: p
                .ips
                .iter()
                .map(|i| {
                    let status = match using_status(rs, &p.nat_gateway_id, &i.ip.to_string()).0 {
                        "idle" => "Idle",
                        other => other,
                    };
                    PublicIp {
                        allocation_id: i.allocation_id.clone(),
                        ip_address: i.ip.to_string(),
                        using_status: status,
                        ap_access_enabled: false,
                    }
                })
                .collect(),
        },
    }
}

pub fn handle(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    ensure_allowed(st)?;
    let rs = st.region(&req.region_id)?;
    let items: Vec<&BandwidthPackage> = rs
        .bandwidth_packages
        .in_order()
        .rev()
        .filter(|p| req.package_id.as_ref().is_none_or(|i| &p.id == i))
        .filter(|p| req.nat_gateway_id.as_ref().is_none_or(|g| &p.nat_gateway_id == g))
        .collect();
    let (total, items) = page(items, req.paging);
    Ok(Response {
        total_count: total,
        page_number: req.paging.number,
        page_size: req.paging.size,
        bandwidth_packages: Packages { items: items.into_iter().map(|p| view(rs, p)).collect() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::bandwidth_package::testing::gateway_with_package;
    use crate::actions::testing::*;

    #[test]
    fn describes() {
        let mut st = state();
        let (gw, pkg) = gateway_with_package(&mut st, "2");
        let run = |pairs: &[(&str, &str)]| {
            let mut all = vec![("RegionId", "cn-hangzhou")];
            all.extend_from_slice(pairs);
            parse(&params(&all)).and_then(|q| handle(&st, &ctx(), q))
        };
        let r = run(&[("NatGatewayId", &gw)]).unwrap();
        assert_eq!(r.total_count, 1);
        let json = serde_json::to_value(&r).unwrap();
        let p = &json["BandwidthPackages"]["BandwidthPackage"][0];
        assert_eq!(p["BandwidthPackageId"], pkg.as_str());
        assert_eq!(p["IpCount"], "2");
        assert_eq!(p["PublicIpAddresses"]["PublicIpAddresse"][0]["UsingStatus"], "Idle");
        assert_eq!(run(&[("BandwidthPackageId", "bwp-x")]).unwrap().total_count, 0);
        assert_eq!(run(&[("PageSize", "51")]).err().unwrap().code(), "InvalidParameter");
    }
}
