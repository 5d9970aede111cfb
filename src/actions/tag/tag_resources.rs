//! TagResources (REAL-SERVICE §8.3): adds or overwrites tags on up to 50 resources of one type.
//! All resources must exist (else nothing changes); a resource holds at most 20 tags.

use serde::Serialize;

use super::{resource_ids, tags_mut, Kind};
use crate::error::ApiError;
use crate::params::{Params, Tag};
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    kind: Kind,
    ids: Vec<String>,
    tags: Vec<Tag>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let ids = resource_ids(p, true)?;
    let kind = Kind::parse(p)?;
    let tags = p.tags("Tag")?;
    if tags.is_empty() {
        return Err(ApiError::missing("Tag"));
    }
    Ok(Request { region_id, kind, ids, tags })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region_mut(&req.region_id)?;
    for id in &req.ids {
        let have = tags_mut(rs, req.kind, id).ok_or_else(|| ApiError::InvalidResourceIdNotFound { id: id.clone() })?;
        let new_keys = req.tags.iter().filter(|t| !have.iter().any(|h| h.key == t.key)).count();
        if have.len() + new_keys > 20 {
            return Err(ApiError::TagQuotaExceeded { id: id.clone() });
        }
    }
    for id in &req.ids {
        if let Some(have) = tags_mut(rs, req.kind, id) {
            for t in &req.tags {
                match have.iter_mut().find(|h| h.key == t.key) {
                    Some(h) => h.value = t.value.clone(),
                    None => have.push(t.clone()),
                }
            }
        }
    }
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    #[test]
    fn tags_and_refuses() {
        let mut st = state();
        let vpc = default_vpc(&st, "cn-hangzhou");
        let run =
            |st: &mut AccountState, pairs: &[(&str, &str)]| parse(&params(pairs)).and_then(|q| handle(st, &ctx(), q));
        run(
            &mut st,
            &[
                ("RegionId", "cn-hangzhou"),
                ("ResourceType", "vpc"),
                ("ResourceId.1", &vpc),
                ("Tag.1.Key", "a"),
                ("Tag.1.Value", "1"),
            ],
        )
        .unwrap();
        run(
            &mut st,
            &[
                ("RegionId", "cn-hangzhou"),
                ("ResourceType", "VPC"),
                ("ResourceId.1", &vpc),
                ("Tag.1.Key", "a"),
                ("Tag.1.Value", "2"),
            ],
        )
        .unwrap();
        assert_eq!(st.regions["cn-hangzhou"].vpcs[&vpc].tags, vec![Tag { key: "a".into(), value: "2".into() }]);
        let before = serde_json::to_value(&st.regions).unwrap();
        for (pairs, code) in [
            (vec![("RegionId", "cn-hangzhou"), ("ResourceType", "VPC"), ("Tag.1.Key", "a")], "MissingResourceId"),
            (vec![("RegionId", "cn-hangzhou"), ("ResourceType", "VPC"), ("ResourceId.1", vpc.as_str())], "MissingTag"),
            (
                vec![("RegionId", "cn-hangzhou"), ("ResourceId.1", vpc.as_str()), ("Tag.1.Key", "a")],
                "MissingResourceType",
            ),
            (
                vec![
                    ("RegionId", "cn-hangzhou"),
                    ("ResourceType", "ECS"),
                    ("ResourceId.1", vpc.as_str()),
                    ("Tag.1.Key", "a"),
                ],
                "InvalidParameter",
            ),
            (
                vec![
                    ("RegionId", "cn-hangzhou"),
                    ("ResourceType", "VPC"),
                    ("ResourceId.1", vpc.as_str()),
                    ("ResourceId.2", "vpc-x"),
                    ("Tag.1.Key", "b"),
                ],
                "InvalidResourceId.NotFound",
            ),
            (
                vec![
                    ("RegionId", "cn-hangzhou"),
                    ("ResourceType", "NATGATEWAY"),
                    ("ResourceId.1", vpc.as_str()),
                    ("Tag.1.Key", "b"),
                ],
                "InvalidResourceId.NotFound",
            ),
            (
                vec![
                    ("RegionId", "cn-hangzhou"),
                    ("ResourceType", "VPC"),
                    ("ResourceId.1", vpc.as_str()),
                    ("Tag.1.Key", "aliyun:x"),
                ],
                "InvalidTagKey",
            ),
        ] {
            assert_eq!(run(&mut st, &pairs).err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
        let mut pairs: Vec<(String, String)> = vec![
            ("RegionId".into(), "cn-hangzhou".into()),
            ("ResourceType".into(), "VPC".into()),
            ("ResourceId.1".into(), vpc.clone()),
        ];
        for i in 1..=20 {
            pairs.push((format!("Tag.{i}.Key"), format!("k{i}")));
        }
        let p = crate::params::Params::from_pairs(pairs);
        assert_eq!(parse(&p).and_then(|q| handle(&mut st, &ctx(), q)).err().unwrap().code(), "QuotaExceeded.TagNum");
    }
}
