//! CreateBandwidthPackage (ACTIONS.md §2.14): `IpCount` (1–50) public IPs and `Bandwidth`
//! (5–1000 Mbit/s) on an Available NAT gateway; at most 4 packages per gateway.

use serde::Serialize;

use super::{bandwidth, ensure_allowed, ip_count, take_ips, MAX_PACKAGES_PER_GATEWAY};
use crate::error::ApiError;
use crate::model::bandwidth_package::{valid_package_description, valid_package_name};
use crate::model::{BandwidthPackage, NatStatus};
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    nat_gateway_id: String,
    ip_count: usize,
    bandwidth: u32,
    zone: Option<String>,
    internet_charge_type: &'static str,
    name: String,
    description: String,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let nat_gateway_id = p.required_string("NatGatewayId")?;
    let ip_count = ip_count(p.required("IpCount")?)?;
    let bandwidth = bandwidth(p.required("Bandwidth")?, 1000)?;
    if p.opt("ISP").is_some_and(|i| i != "BGP") {
        return Err(ApiError::BandwidthPackageIspNotSupported);
    }
    let internet_charge_type =
        p.one_of("InternetChargeType", &["PayByTraffic", "PayByBandwidth"])?.unwrap_or("PayByTraffic");
    let name = p.opt_string("Name").unwrap_or_default();
    if !name.is_empty() && !valid_package_name(&name, false) {
        return Err(ApiError::InvalidNameMalformed);
    }
    let description = p.opt_string("Description").unwrap_or_default();
    if !description.is_empty() && !valid_package_description(&description) {
        return Err(ApiError::InvalidDescriptionMalformed);
    }
    Ok(Request {
        region_id,
        nat_gateway_id,
        ip_count,
        bandwidth,
        zone: p.opt_string("Zone"),
        internet_charge_type,
        name,
        description,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub bandwidth_package_id: String,
}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region = ctx.region(&req.region_id)?;
    ensure_allowed(st)?;
    let rs = st.region(&req.region_id)?;
    let gw = rs.nat_gateways.get(&req.nat_gateway_id).ok_or(ApiError::NatgwNotExistForPackage)?;
    if gw.status != NatStatus::Available {
        return Err(ApiError::IncorrectStatusNatGateway { status: gw.status.as_str(), not_found: false });
    }
    if !gw.is_internet() {
        return Err(ApiError::invalid("NatGatewayId", "a VPC (intranet) NAT gateway takes no bandwidth package."));
    }
    let zone = match req.zone {
        Some(z) => region.zone(&z).ok_or(ApiError::InvalidZoneIdForPackage)?.zone_id.clone(),
        None if !gw.zone_id.is_empty() => gw.zone_id.clone(),
        None => region.zones[0].zone_id.clone(),
    };
    if rs.packages_of(&gw.id).len() >= MAX_PACKAGES_PER_GATEWAY {
        return Err(ApiError::QuotaExceededBandwidthPackageCount { limit: MAX_PACKAGES_PER_GATEWAY });
    }
    let ips = take_ips(st, ctx, &req.region_id, req.ip_count)?;
    let id = st.ids.resource_id("bwp", &region.id_code);
    let seq = st.next_seq();
    let pkg = BandwidthPackage {
        id: id.clone(),
        region_id: req.region_id.clone(),
        nat_gateway_id: req.nat_gateway_id,
        name: req.name,
        description: req.description,
        zone_id: zone,
        bandwidth: req.bandwidth,
        isp: "BGP".into(),
        internet_charge_type: req.internet_charge_type.into(),
        created_ms: ctx.now,
        ips,
        seq,
    };
    st.region_mut(&req.region_id)?.bandwidth_packages.insert(id.clone(), pkg);
    Ok(Response { bandwidth_package_id: id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::bandwidth_package::testing::gateway_with_package;
    use crate::actions::testing::*;

    #[test]
    fn creates_and_refuses() {
        let mut st = state();
        let (gw, pkg) = gateway_with_package(&mut st, "3");
        let p = &st.regions["cn-hangzhou"].bandwidth_packages[&pkg];
        assert_eq!((p.ips.len(), p.bandwidth, p.zone_id.as_str()), (3, 5, "cn-hangzhou-h"));
        assert!(p.ips[0].allocation_id.starts_with("nateip-bp1"));
        let run = |st: &mut AccountState, pairs: &[(&str, &str)]| {
            let mut all = vec![("RegionId", "cn-hangzhou"), ("NatGatewayId", gw.as_str())];
            all.extend_from_slice(pairs);
            parse(&params(&all)).and_then(|q| handle(st, &ctx(), q))
        };
        let before = serde_json::to_value(&st.regions).unwrap();
        for (pairs, code) in [
            (vec![("IpCount", "0"), ("Bandwidth", "5")], "InvalidIpCount.ValueNotSupported"),
            (vec![("IpCount", "51"), ("Bandwidth", "5")], "QuotaExceeded.BandwidthPackageIps"),
            (vec![("IpCount", "1"), ("Bandwidth", "4")], "InvalidBandwidth.ValueNotSupported"),
            (vec![("IpCount", "1")], "MissingBandwidth"),
            (
                vec![("IpCount", "1"), ("Bandwidth", "5"), ("ISP", "CMCC")],
                "InvalidParameter.BandwidthPackage.n.ISP.ValueNotSupport",
            ),
            (vec![("IpCount", "1"), ("Bandwidth", "5"), ("Zone", "cn-beijing-g")], "InvalidZoneId.NotFound"),
            (vec![("IpCount", "1"), ("Bandwidth", "5"), ("Name", "a.b")], "InvalidParameter.Name.Malformed"),
            (
                vec![("IpCount", "1"), ("Bandwidth", "5"), ("Description", "1abc")],
                "InvalidParameter.Description.Malformed",
            ),
        ] {
            assert_eq!(run(&mut st, &pairs).err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
        for _ in 0..3 {
            run(&mut st, &[("IpCount", "1"), ("Bandwidth", "5")]).unwrap();
        }
        assert_eq!(
            run(&mut st, &[("IpCount", "1"), ("Bandwidth", "5")]).err().unwrap().code(),
            "QuotaExceeded.BandwidthPackageCountOnNatGateway"
        );
        let e = parse(&params(&[
            ("RegionId", "cn-hangzhou"),
            ("NatGatewayId", "ngw-x"),
            ("IpCount", "1"),
            ("Bandwidth", "5"),
        ]))
        .and_then(|q| handle(&mut st, &ctx(), q));
        assert_eq!(e.err().map(|e| (e.code().into_owned(), e.status())), Some(("NATGW_NOT_EXIST".into(), 404)));
        st.legacy_bandwidth_packages = false;
        let e = run(&mut st, &[("IpCount", "1"), ("Bandwidth", "5")]).err().unwrap();
        assert_eq!((e.code().as_ref(), e.status()), ("Forbidden", 403));
    }
}

#[cfg(test)]
mod gateway_tests {
    use crate::actions::eip::associate_eip_address::tests::{associate, gateway_and_eip};
    use crate::actions::nat_gateway::{create_nat_gateway, delete_nat_gateway, ip_list};
    use crate::actions::testing::*;

    /// 2019 style: packages created with the gateway; their IPs show in IpLists; the gateway takes
    /// no EIP while it has packages; DeleteNatGateway waits for them unless Force.
    #[test]
    fn packages_created_with_the_gateway() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let p = params(&[
            ("RegionId", "cn-hangzhou"),
            ("VpcId", &vpc),
            ("BandwidthPackage.1.IpCount", "2"),
            ("BandwidthPackage.1.Bandwidth", "5"),
            ("BandwidthPackage.2.IpCount", "1"),
            ("BandwidthPackage.2.Bandwidth", "10"),
            ("BandwidthPackage.2.Zone", "cn-hangzhou-j"),
        ]);
        let r = create_nat_gateway::handle(&mut st, &ctx(), create_nat_gateway::parse(&p).unwrap()).unwrap();
        assert_eq!(r.bandwidth_package_ids.ids.len(), 2);
        let rs = &st.regions["cn-hangzhou"];
        let list = ip_list(rs, &rs.nat_gateways[&r.nat_gateway_id]);
        assert_eq!(list.len(), 3);
        assert!(list[0].allocation_id.starts_with("nateip-"));
        let (_, eip) = gateway_and_eip(&mut st, "cn-hangzhou", &[]);
        assert_eq!(
            associate(&mut st, &eip, &r.nat_gateway_id, 0).err().unwrap().code(),
            "Forbidden.EipCanNotBindGatgw"
        );
        let del = |st: &mut crate::store::AccountState, force: &str| {
            let p = params(&[("RegionId", "cn-hangzhou"), ("NatGatewayId", &r.nat_gateway_id), ("Force", force)]);
            delete_nat_gateway::parse(&p).and_then(|q| delete_nat_gateway::handle(st, &ctx(), q))
        };
        assert_eq!(del(&mut st, "false").err().unwrap().code(), "DependencyViolation.BandwidthPackages");
        del(&mut st, "true").unwrap();
        assert!(st.regions["cn-hangzhou"].bandwidth_packages.is_empty());
        // Refusals of the BandwidthPackage.N.* parameters.
        let vpc = default_vpc(&st, "cn-hangzhou");
        for (pairs, code) in [
            (
                vec![("BandwidthPackage.1.IpCount", "51"), ("BandwidthPackage.1.Bandwidth", "5")],
                "QuotaExceeded.BandwidthPackageIps",
            ),
            (vec![("BandwidthPackage.1.Bandwidth", "5")], "MissingParameter"),
            (
                vec![("BandwidthPackage.1.IpCount", "1"), ("BandwidthPackage.1.Bandwidth", "5001")],
                "InvalidBandwidth.ValueNotSupported",
            ),
            (
                vec![
                    ("BandwidthPackage.1.IpCount", "1"),
                    ("BandwidthPackage.1.Bandwidth", "5"),
                    ("BandwidthPackage.1.ISP", "X"),
                ],
                "InvalidParameter.BandwidthPackage.n.ISP.ValueNotSupport",
            ),
            (
                vec![
                    ("BandwidthPackage.1.IpCount", "1"),
                    ("BandwidthPackage.1.Bandwidth", "5"),
                    ("BandwidthPackage.1.Zone", "mars"),
                ],
                "InvalidZoneId.NotFound",
            ),
            (
                vec![
                    ("BandwidthPackage.1.IpCount", "1"),
                    ("BandwidthPackage.2.IpCount", "1"),
                    ("BandwidthPackage.3.IpCount", "1"),
                    ("BandwidthPackage.4.IpCount", "1"),
                    ("BandwidthPackage.5.IpCount", "1"),
                ],
                "QuotaExceeded.BandwidthPackageCountOnNatGateway",
            ),
        ] {
            let mut all = vec![("RegionId", "cn-hangzhou"), ("VpcId", vpc.as_str())];
            all.extend(pairs.clone());
            let r =
                create_nat_gateway::parse(&params(&all)).and_then(|q| create_nat_gateway::handle(&mut st, &ctx(), q));
            assert_eq!(r.err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        st.legacy_bandwidth_packages = false;
        let before = st.regions["cn-hangzhou"].nat_gateways.len();
        let p = params(&[
            ("RegionId", "cn-hangzhou"),
            ("VpcId", &vpc),
            ("BandwidthPackage.1.IpCount", "1"),
            ("BandwidthPackage.1.Bandwidth", "5"),
        ]);
        let e =
            create_nat_gateway::parse(&p).and_then(|q| create_nat_gateway::handle(&mut st, &ctx(), q)).err().unwrap();
        assert_eq!(e.status(), 403);
        assert_eq!(st.regions["cn-hangzhou"].nat_gateways.len(), before, "a refused create creates nothing");
    }
}
