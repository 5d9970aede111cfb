//! DescribeZones: the zones of one region (REAL-SERVICE §8.2).

use serde::Serialize;

use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    accept_language: Option<String>,
    zone_type: Option<String>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        accept_language: p.opt_string("AcceptLanguage"),
        zone_type: p.opt_string("ZoneType"),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub zones: Zones,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Zones {
    pub zone: Vec<ZoneOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ZoneOut {
    pub zone_id: String,
    pub local_name: String,
    pub zone_type: String,
}

pub fn handle(_st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region = ctx.region(&req.region_id)?;
    // Every zone of the world is a standard cloud zone; another ZoneType matches none.
    let standard = req.zone_type.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("AvailabilityZone"));
    let zone = if standard {
        region
            .zones
            .iter()
            .map(|z| ZoneOut {
                zone_id: z.zone_id.clone(),
                local_name: z.local_name.pick(req.accept_language.as_deref()).to_owned(),
                zone_type: "AvailabilityZone".into(),
            })
            .collect()
    } else {
        vec![]
    };
    Ok(Response { zones: Zones { zone } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    fn run(pairs: &[(&str, &str)]) -> Result<Response, ApiError> {
        handle(&state(), &ctx(), parse(&params(pairs))?)
    }

    #[test]
    fn cases() {
        let r = run(&[("RegionId", "cn-hangzhou")]).unwrap();
        assert!(r.zones.zone.iter().any(|z| z.zone_id == "cn-hangzhou-h"));
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("ZoneType", "EdgeZone")]).unwrap().zones.zone.len(), 0);
        assert_eq!(run(&[]).err().unwrap().code(), "MissingRegionId");
        assert_eq!(run(&[("RegionId", "mars-1")]).err().unwrap().code(), "InvalidRegionId.NotFound");
    }
}
