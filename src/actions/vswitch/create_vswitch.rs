//! CreateVSwitch (REAL-SERVICE §8.2): inside its VPC's CIDR, mask /16–/29, no overlap with another
//! vSwitch of the VPC, in a zone of the region, in an Available VPC. `Pending` until the delay has
//! passed. `RegionId` is optional in the current API: without it the VPC decides the region.

use serde::Serialize;

use crate::error::ApiError;
use crate::model::vpc::overlaps;
use crate::model::{valid_description_1_256, valid_name_1_128, VSwitch, VSwitchStatus, VpcStatus};
use crate::params::{Params, Tag};
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: Option<String>,
    vpc_id: String,
    zone_id: String,
    cidr: String,
    name: String,
    description: String,
    tags: Vec<Tag>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let vpc_id = p.required_string("VpcId")?;
    let zone_id = p.required_string("ZoneId")?;
    let cidr = p.required_string("CidrBlock")?;
    let name = p.opt_string("VSwitchName").unwrap_or_default();
    if !name.is_empty() && !valid_name_1_128(&name) {
        return Err(ApiError::InvalidVSwitchNameMalformed);
    }
    let description = p.opt_string("Description").unwrap_or_default();
    if !description.is_empty() && !valid_description_1_256(&description) {
        return Err(ApiError::InvalidVSwitchDescriptionMalformed);
    }
    p.opt_int("Ipv6CidrBlock", 0, 255)?;
    Ok(Request { region_id: p.opt_string("RegionId"), vpc_id, zone_id, cidr, name, description, tags: p.tags("Tag")? })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    #[serde(rename = "VSwitchId")]
    pub vswitch_id: String,
}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Some(r) = &req.region_id {
        ctx.region(r)?;
    }
    let vpc = st.find_vpc(req.region_id.as_deref(), &req.vpc_id)?;
    let region = ctx.region(&vpc.region_id)?;
    if region.zone(&req.zone_id).is_none() {
        return Err(ApiError::InvalidZoneIdNotFound);
    }
    let net: ipnet::Ipv4Net = req.cidr.trim().parse().map_err(|_| ApiError::InvalidCidrBlockMalformed)?;
    if net.network() != net.addr() {
        return Err(ApiError::InvalidCidrBlockMalformed);
    }
    if !(16..=29).contains(&net.prefix_len()) {
        return Err(ApiError::InvalidCidrBlockMaskLength);
    }
    if !vpc.cidr.contains(&net) {
        return Err(ApiError::InvalidCidrBlockNotInVpc);
    }
    if vpc.status != VpcStatus::Available {
        return Err(ApiError::IncorrectVpcStatus);
    }
    let region_state = st.region(&vpc.region_id)?;
    let siblings: Vec<&VSwitch> = region_state.vswitches.values().filter(|s| s.vpc_id == vpc.id).collect();
    if let Some(o) = siblings.iter().find(|s| overlaps(&s.cidr, &net)) {
        return Err(ApiError::InvalidCidrBlockOverlapped { other: format!("{} ({})", o.id, o.cidr) });
    }
    if siblings.len() >= ctx.quotas.vswitches_per_vpc {
        return Err(ApiError::QuotaExceededVSwitch { limit: ctx.quotas.vswitches_per_vpc });
    }
    let (region_id, route_table_id, resource_group_id) =
        (vpc.region_id.clone(), vpc.route_table_id.clone(), vpc.resource_group_id.clone());
    let id = st.ids.resource_id("vsw", &region.id_code);
    let seq = st.next_seq();
    let delay = ctx.delays.vswitch_create_ms;
    let vsw = VSwitch {
        id: id.clone(),
        region_id: region_id.clone(),
        vpc_id: req.vpc_id,
        zone_id: req.zone_id,
        cidr: net,
        name: req.name,
        description: req.description,
        is_default: false,
        status: if delay == 0 { VSwitchStatus::Available } else { VSwitchStatus::Pending },
        created_ms: ctx.now,
        route_table_id,
        resource_group_id,
        tags: req.tags,
        used_ips: Default::default(),
        seq,
    };
    st.region_mut(&region_id)?.vswitches.insert(id.clone(), vsw);
    if delay > 0 {
        st.timers.schedule(ctx.now + delay, Due::VSwitchAvailable { region: region_id, id: id.clone() });
    }
    Ok(Response { vswitch_id: id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;
    use crate::actions::vpc::create_vpc;

    fn new_vpc(st: &mut AccountState, delay: u64) -> String {
        let p = params(&[("RegionId", "cn-hangzhou"), ("CidrBlock", "10.0.0.0/16")]);
        create_vpc::handle(st, &ctx_with_delay(delay), create_vpc::parse(&p).unwrap()).unwrap().vpc_id
    }

    #[test]
    fn creates_and_becomes_available() {
        let mut st = state();
        let vpc = new_vpc(&mut st, 0);
        let p =
            params(&[("VpcId", &vpc), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.1.0/24"), ("VSwitchName", "a")]);
        let id = handle(&mut st, &ctx_with_delay(300), parse(&p).unwrap()).unwrap().vswitch_id;
        let v = &st.regions["cn-hangzhou"].vswitches[&id];
        assert_eq!((v.status, v.available_ip_count()), (VSwitchStatus::Pending, 252));
        st.settle(NOW + 300);
        assert_eq!(st.regions["cn-hangzhou"].vswitches[&id].status, VSwitchStatus::Available);
    }

    #[test]
    fn refusals_change_nothing() {
        let mut st = state();
        let vpc = new_vpc(&mut st, 0);
        let pending = new_vpc(&mut st, 1000);
        let p = params(&[("VpcId", &vpc), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.0.0/24")]);
        handle(&mut st, &ctx(), parse(&p).unwrap()).unwrap();
        let before = serde_json::to_value(&st.regions).unwrap();
        let v = vpc.as_str();
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.1.0/24")], "MissingVpcId"),
            (vec![("VpcId", v), ("CidrBlock", "10.0.1.0/24")], "MissingZoneId"),
            (vec![("VpcId", v), ("ZoneId", "cn-hangzhou-i")], "MissingCidrBlock"),
            (
                vec![("VpcId", "vpc-x"), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.1.0/24")],
                "InvalidVpcId.NotFound",
            ),
            (vec![("VpcId", v), ("ZoneId", "cn-beijing-g"), ("CidrBlock", "10.0.1.0/24")], "InvalidZoneId.NotFound"),
            (
                vec![("VpcId", v), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.1.0/30")],
                "InvalidCirdrBlock.MaskLength",
            ),
            (
                vec![("VpcId", v), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.1.1/24")],
                "InvalidCidrBlock.Malformed",
            ),
            (vec![("VpcId", v), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "nonsense")], "InvalidCidrBlock.Malformed"),
            (vec![("VpcId", v), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "192.168.0.0/24")], "InvalidParameter"),
            (
                vec![("VpcId", v), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.0.128/25")],
                "InvalidCidrBlock.Overlapped",
            ),
            (
                vec![("VpcId", v), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.0.0/16")],
                "InvalidCidrBlock.Overlapped",
            ),
            (
                vec![("VpcId", pending.as_str()), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "10.0.1.0/24")],
                "IncorrectVpcStatus",
            ),
            (
                vec![
                    ("RegionId", "cn-beijing"),
                    ("VpcId", v),
                    ("ZoneId", "cn-hangzhou-i"),
                    ("CidrBlock", "10.0.1.0/24"),
                ],
                "InvalidVpcId.NotFound",
            ),
            (
                vec![
                    ("VpcId", v),
                    ("ZoneId", "cn-hangzhou-i"),
                    ("CidrBlock", "10.0.1.0/24"),
                    ("VSwitchName", "https://x"),
                ],
                "InvalidVSwitchName.Malformed",
            ),
            (
                vec![
                    ("VpcId", v),
                    ("ZoneId", "cn-hangzhou-i"),
                    ("CidrBlock", "10.0.1.0/24"),
                    ("Description", "https://x"),
                ],
                "InvalidVSwitchDiscription.Malformed",
            ),
        ];
        for (pairs, code) in cases {
            let r = parse(&params(&pairs)).and_then(|q| handle(&mut st, &ctx(), q));
            assert_eq!(r.err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
    }

    #[test]
    fn quota_of_vswitches_per_vpc() {
        let mut st = state();
        let vpc = new_vpc(&mut st, 0);
        let one = Ctx { quotas: crate::store::Quotas { vswitches_per_vpc: 1, ..Default::default() }, ..ctx() };
        let vsw = |cidr: &str| params(&[("VpcId", vpc.as_str()), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", cidr)]);
        handle(&mut st, &one, parse(&vsw("10.0.0.0/24")).unwrap()).unwrap();
        let before = serde_json::to_value(&st.regions).unwrap();
        let err = handle(&mut st, &one, parse(&vsw("10.0.1.0/24")).unwrap()).err().unwrap();
        assert_eq!(err.code(), "QuotaExceeded.VSwitch");
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
    }
}
