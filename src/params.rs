//! Decoded request parameters and their typed getters.
//!
//! `wire` builds a [`Params`] from the query string and the form body (already percent-decoded,
//! duplicates refused); actions read typed values from it in their `parse` step. Raw strings end
//! here: a getter either returns a typed value or the documented error. Depends only on `error`.

use crate::error::ApiError;
use crate::model::nat_gateway::canonical;

/// Protocol parameters: signed and checked by `wire`, never business input, never part of a
/// ClientToken fingerprint. Owner parameters are accepted on every action and ignored.
pub const PROTOCOL_PARAMS: &[&str] = &[
    "AccessKeyId",
    "Action",
    "Format",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureType",
    "SignatureVersion",
    "SecurityToken",
    "Timestamp",
    "Version",
    "OwnerId",
    "OwnerAccount",
    "ResourceOwnerId",
    "ResourceOwnerAccount",
    "CallerBid",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a pair; a name seen before is refused (`InvalidParameter.Duplicate`).
    pub fn push(&mut self, name: String, value: String) -> Result<(), ApiError> {
        if self.get(&name).is_some() {
            return Err(ApiError::DuplicateParameter(name));
        }
        self.pairs.push((name, value));
        Ok(())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Params { pairs: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs, in the order they arrived.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        let i = self.pairs.iter().position(|(k, _)| k == name)?;
        Some(self.pairs.remove(i).1)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        #[cfg(debug_assertions)]
        reads::note(name);
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A present, non-empty value (empty values count as absent, as on the real gateway).
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    pub fn opt_string(&self, name: &str) -> Option<String> {
        self.opt(name).map(str::to_owned)
    }

    /// Required: absent or empty → `Missing<Name>`.
    pub fn required(&self, name: &'static str) -> Result<&str, ApiError> {
        self.opt(name).ok_or(ApiError::missing(name))
    }

    pub fn required_string(&self, name: &'static str) -> Result<String, ApiError> {
        self.required(name).map(str::to_owned)
    }

    /// Booleans arrive as `true`/`false` (Node, Go) or `True`/`False` (both Python SDKs).
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(name, "expected true or false.")),
        }
    }

    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        Ok(self.opt_bool(name)?.unwrap_or(default))
    }

    /// One of `allowed` (any case), returned in its canonical spelling; anything else is
    /// `InvalidParameter` listing the valid values.
    pub fn one_of(&self, name: &str, allowed: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => canonical(v, allowed)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(name, format!("valid values are {}.", allowed.join(", ")))),
        }
    }

    /// An integer within `min..=max`.
    pub fn opt_int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.opt(name) else {
            return Ok(None);
        };
        let n: i64 =
            v.parse().map_err(|_| ApiError::invalid(name, format!("expected an integer from {min} to {max}.")))?;
        if n < min || n > max {
            return Err(ApiError::invalid(name, format!("expected an integer from {min} to {max}.")));
        }
        Ok(Some(n))
    }

    /// `PageNumber` (default 1) and `PageSize` (default 10, 1..=`max`).
    pub fn paging(&self, max_page_size: i64) -> Result<Paging, ApiError> {
        let number = self.opt_int("PageNumber", 1, i32::MAX as i64)?.unwrap_or(1) as usize;
        let size = self.opt_int("PageSize", 1, max_page_size)?.unwrap_or(10) as usize;
        Ok(Paging { number, size })
    }

    /// A `Name.N` list, ordered by N (1-based; gaps allowed, as the SDKs never send them).
    pub fn list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        #[cfg(debug_assertions)]
        reads::note_with(|| format!("{name}.N"));
        let mut items: Vec<(u32, &str)> = Vec::new();
        for (k, v) in self.iter() {
            let Some(rest) = k.strip_prefix(name).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let n = parse_index(rest).ok_or_else(|| ApiError::invalid(k, "expected Name.N with N from 1."))?;
            items.push((n, v));
        }
        items.sort_by_key(|(n, _)| *n);
        Ok(items.into_iter().map(|(_, v)| v.to_owned()).collect())
    }

    /// `Tag.N.Key` / `Tag.N.Value` (N = 1..=20). Keys: 1–128 characters, not starting with
    /// `aliyun` or `acs:`, no `http://`/`https://`. Values: 0–128 characters.
    pub fn tags(&self, name: &str) -> Result<Vec<Tag>, ApiError> {
        #[cfg(debug_assertions)]
        {
            reads::note_with(|| format!("{name}.N.Key"));
            reads::note_with(|| format!("{name}.N.Value"));
        }
        let mut by_n: std::collections::BTreeMap<u32, (Option<&str>, Option<&str>)> = Default::default();
        for (k, v) in self.iter() {
            let Some(rest) = k.strip_prefix(name).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let Some((n, field)) = rest.split_once('.') else {
                return Err(ApiError::invalid(k, "expected Tag.N.Key or Tag.N.Value."));
            };
            let n = parse_index(n).ok_or_else(|| ApiError::invalid(k, "expected Tag.N with N from 1."))?;
            let slot = by_n.entry(n).or_default();
            match field {
                "Key" => slot.0 = Some(v),
                "Value" => slot.1 = Some(v),
                _ => return Err(ApiError::invalid(k, "expected Tag.N.Key or Tag.N.Value.")),
            }
        }
        if by_n.len() > 20 {
            return Err(ApiError::InvalidTagKey { reason: "At most 20 tags can be given" });
        }
        let mut tags = Vec::with_capacity(by_n.len());
        for (_, (key, value)) in by_n {
            let key = key.unwrap_or("");
            validate_tag_key(key)?;
            let value = value.unwrap_or("");
            if value.chars().count() > 128 || has_url_prefix(value) {
                return Err(ApiError::InvalidTagValue {
                    reason: "A value has at most 128 characters and no http:// or https://",
                });
            }
            if tags.iter().any(|t: &Tag| t.key == key) {
                return Err(ApiError::InvalidTagKey { reason: "Tag keys must be unique" });
            }
            tags.push(Tag { key: key.to_owned(), value: value.to_owned() });
        }
        Ok(tags)
    }

    /// The business parameters (protocol and owner parameters removed), sorted: the fingerprint
    /// of a request for ClientToken idempotency.
    pub fn fingerprint(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| !PROTOCOL_PARAMS.contains(&k.as_str()) && k != "ClientToken")
            .cloned()
            .collect();
        v.sort();
        v
    }
}

/// Debug builds only: the parameter names looked up while an action runs, so that a test fails
/// when an action reads a name `coverage::KNOWN` does not list (`coverage::verify_reads`). One
/// thread-local check per lookup; release builds compile none of it.
#[cfg(debug_assertions)]
pub mod reads {
    use std::cell::RefCell;

    thread_local! {
        static READS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
    }

    pub fn note(name: &str) {
        note_with(|| name.to_owned());
    }

    pub fn note_with(name: impl FnOnce() -> String) {
        READS.with(|r| {
            if let Some(v) = r.borrow_mut().as_mut() {
                v.push(name());
            }
        });
    }

    /// Runs `f`, returning what it returned and every name it looked up (recording stops even
    /// if `f` panics).
    pub fn recording<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
        struct Stop;
        impl Drop for Stop {
            fn drop(&mut self) {
                READS.with(|r| r.borrow_mut().take());
            }
        }
        READS.with(|r| *r.borrow_mut() = Some(Vec::new()));
        let stop = Stop;
        let out = f();
        let names = READS.with(|r| r.borrow_mut().take()).unwrap_or_default();
        drop(stop);
        (out, names)
    }
}

pub fn validate_tag_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() {
        return Err(ApiError::InvalidTagKey { reason: "A key must not be empty" });
    }
    if key.chars().count() > 128 {
        return Err(ApiError::InvalidTagKey { reason: "A key has at most 128 characters" });
    }
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("aliyun") || lower.starts_with("acs:") {
        return Err(ApiError::InvalidTagKey { reason: "A key must not start with aliyun or acs:" });
    }
    if has_url_prefix(key) || key.contains("http://") || key.contains("https://") {
        return Err(ApiError::InvalidTagKey { reason: "A key must not contain http:// or https://" });
    }
    Ok(())
}

fn parse_index(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| *n >= 1)
}

pub fn has_url_prefix(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub number: usize,
    pub size: usize,
}

impl Paging {
    /// The offset of the first item of this page (saturating: a page past the end is empty).
    pub fn offset(&self) -> usize {
        (self.number - 1).saturating_mul(self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn booleans_from_every_sdk() {
        for (v, want) in [("true", true), ("True", true), ("TRUE", true), ("false", false), ("False", false)] {
            assert_eq!(p(&[("DryRun", v)]).opt_bool("DryRun"), Ok(Some(want)));
        }
        assert_eq!(p(&[("DryRun", "")]).opt_bool("DryRun"), Ok(None));
        assert_eq!(p(&[("DryRun", "yes")]).opt_bool("DryRun").unwrap_err().code(), "InvalidParameter");
    }

    #[test]
    fn required_treats_empty_as_missing() {
        assert_eq!(p(&[("VpcId", "")]).required("VpcId").unwrap_err().code(), "MissingVpcId");
        assert_eq!(p(&[]).required("VpcId").unwrap_err().code(), "MissingVpcId");
    }

    #[test]
    fn paging_bounds() {
        assert_eq!(p(&[]).paging(50), Ok(Paging { number: 1, size: 10 }));
        assert_eq!(p(&[("PageSize", "50"), ("PageNumber", "3")]).paging(50), Ok(Paging { number: 3, size: 50 }));
        for bad in ["0", "51", "-1", "abc", "99999999999999999999"] {
            assert!(p(&[("PageSize", bad)]).paging(50).is_err(), "{bad}");
        }
        assert!(p(&[("PageNumber", "0")]).paging(50).is_err());
        let far = p(&[("PageNumber", "2147483647"), ("PageSize", "50")]).paging(50).unwrap();
        assert!(far.offset() > 1_000_000);
    }

    #[test]
    fn lists_and_tags() {
        let q = p(&[("X.2", "b"), ("X.1", "a"), ("Tag.1.Key", "env"), ("Tag.1.Value", "dev"), ("Tag.2.Key", "k")]);
        assert_eq!(q.list("X").unwrap(), vec!["a", "b"]);
        let tags = q.tags("Tag").unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[1], Tag { key: "k".into(), value: "".into() });
        assert!(p(&[("Tag.1.Key", "aliyun-x")]).tags("Tag").is_err());
        assert!(p(&[("Tag.1.Value", "v")]).tags("Tag").is_err(), "value without key");
        assert!(p(&[("Tag.0.Key", "k")]).tags("Tag").is_err());
        let long = "v".repeat(129);
        for bad in [long.as_str(), "https://x"] {
            let e = p(&[("Tag.1.Key", "k"), ("Tag.1.Value", bad)]).tags("Tag").unwrap_err();
            assert_eq!(e.code(), "InvalidTagValue", "{bad}");
        }
        assert_eq!(p(&[("Tag.1.Key", "k"), ("Tag.1.Value", &"v".repeat(128))]).tags("Tag").unwrap().len(), 1);
    }

    #[test]
    fn duplicates_refused() {
        let mut q = Params::new();
        q.push("A".into(), "1".into()).unwrap();
        assert_eq!(q.push("A".into(), "2".into()).unwrap_err().code(), "InvalidParameter.Duplicate");
    }
}
