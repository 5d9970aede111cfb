//! ListEnhanhcedNatGatewayAvailableZones (sic: the real action name; REAL-SERVICE §8.3): every zone
//! of the region can hold an enhanced gateway. `Zones` is a bare array here, unlike most lists.

use serde::Serialize;

use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    accept_language: Option<String>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    for (k, v) in p.iter() {
        if k.starts_with("Filter.") && k.ends_with(".Key") && v != "PrivateLinkEnabled" {
            return Err(ApiError::invalid(k, "the only filter is PrivateLinkEnabled."));
        }
    }
    Ok(Request { region_id: p.required_string("RegionId")?, accept_language: p.opt_string("AcceptLanguage") })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub zones: Vec<Zone>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Zone {
    pub zone_id: String,
    pub local_name: String,
}

pub fn handle(_st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region = ctx.region(&req.region_id)?;
    Ok(Response {
        zones: region
            .zones
            .iter()
            .map(|z| Zone {
                zone_id: z.zone_id.clone(),
                local_name: z.local_name.pick(req.accept_language.as_deref()).to_owned(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    #[test]
    fn cases() {
        let run = |pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(&state(), &ctx(), q));
        let r = run(&[("RegionId", "eu-central-1"), ("AcceptLanguage", "en-US")]).unwrap();
        assert_eq!(r.zones[0].local_name, "Frankfurt Zone A");
        assert_eq!(run(&[("RegionId", "x")]).err().unwrap().code(), "InvalidRegionId.NotFound");
        assert_eq!(
            run(&[("RegionId", "eu-central-1"), ("Filter.1.Key", "Foo")]).err().unwrap().code(),
            "InvalidParameter"
        );
    }
}
