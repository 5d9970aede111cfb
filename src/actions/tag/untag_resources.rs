//! UnTagResources (REAL-SERVICE §8.3): removes the given `TagKey.N` (or, with `All=true`, every
//! tag) from up to 50 resources of one type.

use serde::Serialize;

use super::{resource_ids, tags_mut, Kind};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    kind: Kind,
    ids: Vec<String>,
    keys: Vec<String>,
    all: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let ids = resource_ids(p, true)?;
    let kind = Kind::parse(p)?;
    let keys = p.list("TagKey")?;
    if keys.len() > 20 {
        return Err(ApiError::invalid("TagKey.N", "at most 20 tag keys."));
    }
    Ok(Request { region_id, kind, ids, keys, all: p.bool_or("All", false)? })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region_mut(&req.region_id)?;
    for id in &req.ids {
        tags_mut(rs, req.kind, id).ok_or_else(|| ApiError::InvalidResourceIdNotFound { id: id.clone() })?;
    }
    for id in &req.ids {
        if let Some(have) = tags_mut(rs, req.kind, id) {
            if req.all {
                have.clear();
            } else {
                have.retain(|t| !req.keys.contains(&t.key));
            }
        }
    }
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;
    use crate::actions::vpc::create_vpc;

    #[test]
    fn untags() {
        let mut st = state();
        let p = params(&[("RegionId", "cn-hangzhou"), ("Tag.1.Key", "a"), ("Tag.2.Key", "b"), ("Tag.3.Key", "c")]);
        let vpc = create_vpc::handle(&mut st, &ctx(), create_vpc::parse(&p).unwrap()).unwrap().vpc_id;
        let run =
            |st: &mut AccountState, pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(st, &ctx(), q));
        run(
            &mut st,
            &[("RegionId", "cn-hangzhou"), ("ResourceType", "VPC"), ("ResourceId.1", &vpc), ("TagKey.1", "a")],
        )
        .unwrap();
        assert_eq!(st.regions["cn-hangzhou"].vpcs[&vpc].tags.len(), 2);
        run(&mut st, &[("RegionId", "cn-hangzhou"), ("ResourceType", "VPC"), ("ResourceId.1", &vpc), ("All", "true")])
            .unwrap();
        assert!(st.regions["cn-hangzhou"].vpcs[&vpc].tags.is_empty());
        let e = run(
            &mut st,
            &[("RegionId", "cn-hangzhou"), ("ResourceType", "VPC"), ("ResourceId.1", "vpc-x"), ("All", "true")],
        );
        assert_eq!(e.err().unwrap().code(), "InvalidResourceId.NotFound");
    }
}
