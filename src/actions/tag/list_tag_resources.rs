//! ListTagResources (REAL-SERVICE §8.3): one row per (resource, tag), filtered by `ResourceId.N`
//! and/or `Tag.N` (at least one of them), `MaxResults` 1–50 (default 50) and an opaque
//! `NextToken` that is omitted on the last page (Terraform loops while it is present).

use serde::Serialize;

use super::{all_tagged, resource_ids, Kind};
use crate::actions::has_tags;
use crate::error::ApiError;
use crate::params::{Params, Tag};
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    kind: Kind,
    ids: Vec<String>,
    tags: Vec<Tag>,
    max: usize,
    start: usize,
}

const TOKEN_PREFIX: &str = "nat-emulator-";

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let kind = Kind::parse(p)?;
    let ids = resource_ids(p, false)?;
    let tags = p.tags("Tag")?;
    if ids.is_empty() && tags.is_empty() {
        return Err(ApiError::MissingMandatory("ResourceId.N or Tag.N"));
    }
    let max = p.opt_int("MaxResults", 1, 50)?.unwrap_or(50) as usize;
    let start = match p.opt("NextToken") {
        None => 0,
        Some(t) => t
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ApiError::invalid("NextToken", "it is not a token this service returned."))?,
    };
    Ok(Request { region_id, kind, ids, tags, max, start })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    pub tag_resources: TagResources,
}

#[derive(Debug, Serialize)]
pub struct TagResources {
    #[serde(rename = "TagResource")]
    pub items: Vec<TagResource>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResource {
    pub resource_id: String,
    pub resource_type: &'static str,
    pub tag_key: String,
    pub tag_value: String,
}

pub fn handle(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let mut rows = Vec::new();
    for (id, tags) in all_tagged(rs, req.kind) {
        if !req.ids.is_empty() && !req.ids.iter().any(|x| x == id) {
            continue;
        }
        if !has_tags(tags, &req.tags) {
            continue;
        }
        for t in tags {
            rows.push(TagResource {
                resource_id: id.to_owned(),
                resource_type: req.kind.qualified(),
                tag_key: t.key.clone(),
                tag_value: t.value.clone(),
            });
        }
    }
    let end = req.start.saturating_add(req.max).min(rows.len());
    let items = rows.get(req.start..end).map(<[_]>::to_vec).unwrap_or_default();
    let next_token = (end < rows.len()).then(|| format!("{TOKEN_PREFIX}{end}"));
    Ok(Response { next_token, tag_resources: TagResources { items } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;
    use crate::actions::vpc::create_vpc;

    #[test]
    fn pages_with_next_token() {
        let mut st = state();
        let mut pairs = vec![("RegionId".to_owned(), "cn-hangzhou".to_owned())];
        for i in 1..=3 {
            pairs.push((format!("Tag.{i}.Key"), format!("k{i}")));
        }
        let vpc =
            create_vpc::handle(&mut st, &ctx(), create_vpc::parse(&Params::from_pairs(pairs)).unwrap()).unwrap().vpc_id;
        let run = |pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(&st, &ctx(), q));
        let first =
            run(&[("RegionId", "cn-hangzhou"), ("ResourceType", "VPC"), ("ResourceId.1", &vpc), ("MaxResults", "2")])
                .unwrap();
        assert_eq!(first.tag_resources.items.len(), 2);
        let token = first.next_token.clone().unwrap();
        let second = run(&[
            ("RegionId", "cn-hangzhou"),
            ("ResourceType", "VPC"),
            ("ResourceId.1", &vpc),
            ("MaxResults", "2"),
            ("NextToken", &token),
        ])
        .unwrap();
        assert_eq!(second.tag_resources.items.len(), 1);
        assert!(second.next_token.is_none());
        let json = serde_json::to_value(&second).unwrap();
        assert!(json.get("NextToken").is_none(), "omitted on the last page");
        assert_eq!(json["TagResources"]["TagResource"][0]["ResourceType"], "ALIYUN::VPC::VPC");
        let by_tag = run(&[("RegionId", "cn-hangzhou"), ("ResourceType", "VPC"), ("Tag.1.Key", "k2")]).unwrap();
        assert_eq!(by_tag.tag_resources.items.len(), 3);
        let none =
            run(&[("RegionId", "cn-hangzhou"), ("ResourceType", "NATGATEWAY"), ("ResourceId.1", "ngw-x")]).unwrap();
        assert!(none.tag_resources.items.is_empty());
        assert_eq!(
            run(&[("RegionId", "cn-hangzhou"), ("ResourceType", "VPC")]).err().unwrap().code(),
            "MissingParameter"
        );
        assert_eq!(
            run(&[("RegionId", "cn-hangzhou"), ("ResourceType", "VPC"), ("ResourceId.1", &vpc), ("NextToken", "zz")])
                .err()
                .unwrap()
                .code(),
            "InvalidParameter"
        );
    }
}
