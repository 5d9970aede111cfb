//! DescribeRegions: the regions of the world (REAL-SERVICE §8.2).

use serde::Serialize;

use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    accept_language: Option<String>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request { accept_language: p.opt_string("AcceptLanguage") })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub regions: Regions,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Regions {
    pub region: Vec<RegionOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionOut {
    pub region_id: String,
    pub region_endpoint: String,
    pub local_name: String,
}

pub fn handle(_st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let lang = req.accept_language.as_deref();
    let region = ctx
        .world
        .regions
        .iter()
        .map(|r| RegionOut {
            region_id: r.region_id.clone(),
            region_endpoint: r.endpoint.clone(),
            local_name: r.local_name.pick(lang).to_owned(),
        })
        .collect();
    Ok(Response { regions: Regions { region } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    #[test]
    fn lists_every_region_in_the_chosen_language() {
        let r = handle(&state(), &ctx(), parse(&params(&[("AcceptLanguage", "en-US")])).unwrap()).unwrap();
        assert_eq!(r.regions.region.len(), world().regions.len());
        assert_eq!(r.regions.region[0].local_name, "China (Hangzhou)");
        let r = handle(&state(), &ctx(), parse(&params(&[])).unwrap()).unwrap();
        assert_eq!(r.regions.region[0].local_name, "华东1（杭州）");
    }
}
