//! RPC v1 signatures: `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0` (REAL-SERVICE §3.1).
//!
//! `StringToSign = METHOD & %2F & pct(canonical query)` over every parameter of the query and the
//! form body except `Signature` (empty values included); `Signature = base64(HMAC-SHA1(secret&))`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::encoding::{canonical_query, pct};
use crate::params::Params;

pub fn string_to_sign(method: &str, params: &Params) -> String {
    let canon = canonical_query(params.iter().filter(|(k, _)| *k != "Signature"));
    let mut sts = String::with_capacity(method.len() + 5 + canon.len() * 5 / 4);
    sts.push_str(method);
    sts.push_str("&%2F&");
    pct(&canon, &mut sts);
    sts
}

/// base64(HMAC-SHA1) of the string-to-sign with a prepared key (`secret + "&"`).
pub fn sign(mac: &Hmac<Sha1>, string_to_sign: &str) -> String {
    let mut m = mac.clone();
    m.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// Compares in constant time.
pub fn matches(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(secret: &str) -> Hmac<Sha1> {
        Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap()
    }

    /// The official worked example (AlibabaCloudDocs/api, ECS DescribeRegions), REAL-SERVICE §3.1.
    #[test]
    fn official_vector() {
        let p = Params::from_pairs([
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]);
        let sts = string_to_sign("GET", &p);
        assert_eq!(sts, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26");
        assert_eq!(sign(&mac("testsecret"), &sts), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    /// POST with a form body (REAL-SERVICE §3.1, second example).
    #[test]
    fn post_form_vector() {
        let p = Params::from_pairs([
            ("Action", "CreateSnatEntry"),
            ("Format", "json"),
            ("Version", "2016-04-28"),
            ("Timestamp", "2024-01-01T00:00:00Z"),
            ("SignatureNonce", "nonce-1"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("AccessKeyId", "testid"),
            ("RegionId", "cn-hangzhou"),
            ("SnatTableId", "stb-bp190wu8io1vgev8xxxxx"),
            ("SnatIp", "47.98.1.2,47.98.1.3"),
            ("SourceCIDR", "10.1.1.0/24"),
            ("SnatEntryName", "a b*c~"),
        ]);
        let sts = string_to_sign("POST", &p);
        assert_eq!(sts, "POST&%2F&AccessKeyId%3Dtestid%26Action%3DCreateSnatEntry%26Format%3Djson%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dnonce-1%26SignatureVersion%3D1.0%26SnatEntryName%3Da%2520b%252Ac~%26SnatIp%3D47.98.1.2%252C47.98.1.3%26SnatTableId%3Dstb-bp190wu8io1vgev8xxxxx%26SourceCIDR%3D10.1.1.0%252F24%26Timestamp%3D2024-01-01T00%253A00%253A00Z%26Version%3D2016-04-28");
        assert_eq!(sign(&mac("testsecret"), &sts), "gEE2SDpOqNL6/u4b5zTx09JoGxs=");
    }
}
