//! The load generator's own signer (deliberately not the emulator's code): RPC v1
//! (`HMAC-SHA1`, `SignatureVersion=1.0`) and `ACS3-HMAC-SHA256`, each request with a fresh
//! `SignatureNonce` and the current timestamp, so the emulator's replay protection stays on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub const VERSION: &str = "2016-04-28";
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    V1,
    Acs3,
}

/// RFC 3986: unreserved `A-Z a-z 0-9 - _ . ~` kept, everything else `%XX` (upper-case hex).
pub fn pct(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// `k=v&k=v`, sorted by name, both sides encoded.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut v: Vec<&(String, String)> = pairs.iter().collect();
    v.sort();
    let mut out = String::with_capacity(pairs.iter().map(|(k, x)| k.len() + x.len() + 2).sum::<usize>() * 3 / 2);
    for (i, (k, x)) in v.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        pct(k, &mut out);
        out.push('=');
        pct(x, &mut out);
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) of a Unix time in seconds.
pub fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A nonce unique to this process and request: a per-process random prefix and a counter.
pub fn fresh_nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let prefix = *PREFIX.get_or_init(|| {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        splitmix(t ^ (std::process::id() as u64) << 32)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:016x}-{n:012x}")
}

pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Keys prepared once (as any client would), used for every request.
#[derive(Clone)]
pub struct Signer {
    pub access_key_id: String,
    v1: Hmac<Sha1>,
    v3: Hmac<Sha256>,
}

/// A signed request: method, path-and-query, extra headers.
#[derive(Debug, Clone)]
pub struct Signed {
    pub method: &'static str,
    pub path_and_query: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Signer {
    pub fn new(access_key_id: &str, secret: &str) -> Signer {
        Signer {
            access_key_id: access_key_id.to_owned(),
            v1: Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("any key length"),
            v3: Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length"),
        }
    }

    pub fn sign(&self, scheme: Scheme, action: &str, params: &[(String, String)], host: &str) -> Signed {
        match scheme {
            Scheme::V1 => self.sign_v1(action, params, &fresh_nonce(), &iso8601(now_secs())),
            Scheme::Acs3 => self.sign_acs3(action, params, host, &fresh_nonce(), &iso8601(now_secs())),
        }
    }

    /// RPC v1 over GET: every parameter in the query, `Signature` last.
    pub fn sign_v1(&self, action: &str, params: &[(String, String)], nonce: &str, timestamp: &str) -> Signed {
        let mut all: Vec<(String, String)> = Vec::with_capacity(params.len() + 8);
        all.extend([
            ("AccessKeyId".to_owned(), self.access_key_id.clone()),
            ("Action".to_owned(), action.to_owned()),
            ("Format".to_owned(), "JSON".to_owned()),
            ("SignatureMethod".to_owned(), "HMAC-SHA1".to_owned()),
            ("SignatureNonce".to_owned(), nonce.to_owned()),
            ("SignatureVersion".to_owned(), "1.0".to_owned()),
            ("Timestamp".to_owned(), timestamp.to_owned()),
            ("Version".to_owned(), VERSION.to_owned()),
        ]);
        all.extend(params.iter().cloned());
        let canon = canonical_query(&all);
        let sig = self.v1_signature("GET", &canon);
        let mut q = String::with_capacity(canon.len() + 40);
        q.push_str("/?");
        q.push_str(&canon);
        q.push_str("&Signature=");
        pct(&sig, &mut q);
        Signed { method: "GET", path_and_query: q, headers: vec![] }
    }

    pub fn v1_signature(&self, method: &str, canonical: &str) -> String {
        let mut sts = String::with_capacity(canonical.len() * 5 / 4 + 8);
        sts.push_str(method);
        sts.push_str("&%2F&");
        pct(canonical, &mut sts);
        let mut m = self.v1.clone();
        m.update(sts.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
    }

    /// ACS3-HMAC-SHA256 as the Tea SDKs send it: POST, the action's parameters in the query, an
    /// empty body, `x-acs-*` headers signed.
    pub fn sign_acs3(&self, action: &str, params: &[(String, String)], host: &str, nonce: &str, date: &str) -> Signed {
        let canon = canonical_query(params);
        let headers: Vec<(&'static str, String)> = vec![
            ("host", host.to_owned()),
            ("x-acs-action", action.to_owned()),
            ("x-acs-content-sha256", EMPTY_SHA256.to_owned()),
            ("x-acs-date", date.to_owned()),
            ("x-acs-signature-nonce", nonce.to_owned()),
            ("x-acs-version", VERSION.to_owned()),
        ];
        let signature = self.acs3_signature("POST", &canon, &headers, EMPTY_SHA256);
        let signed_names: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
        let mut out_headers: Vec<(&'static str, String)> = headers.into_iter().filter(|(k, _)| *k != "host").collect();
        out_headers.push((
            "authorization",
            format!(
                "ACS3-HMAC-SHA256 Credential={},SignedHeaders={},Signature={signature}",
                self.access_key_id,
                signed_names.join(";")
            ),
        ));
        let path_and_query = if canon.is_empty() { "/".to_owned() } else { format!("/?{canon}") };
        Signed { method: "POST", path_and_query, headers: out_headers }
    }

    /// `headers` sorted by (lower-case) name, all of them signed.
    pub fn acs3_signature(
        &self,
        method: &str,
        canonical_query: &str,
        headers: &[(&str, String)],
        payload_hash: &str,
    ) -> String {
        let mut hs: Vec<&(&str, String)> = headers.iter().collect();
        hs.sort_by_key(|(k, _)| *k);
        let mut cr = String::with_capacity(512);
        cr.push_str(method);
        cr.push_str("\n/\n");
        cr.push_str(canonical_query);
        cr.push('\n');
        for (k, v) in &hs {
            cr.push_str(k);
            cr.push(':');
            cr.push_str(v.trim());
            cr.push('\n');
        }
        cr.push('\n');
        cr.push_str(&hs.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(";"));
        cr.push('\n');
        cr.push_str(payload_hash);
        let sts = format!("ACS3-HMAC-SHA256\n{}", hex(&Sha256::digest(cr.as_bytes())));
        let mut m = self.v3.clone();
        m.update(sts.as_bytes());
        hex(&m.finalize().into_bytes())
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

pub fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official worked example (ECS DescribeRegions), RPC v1.
    #[test]
    fn v1_official_vector() {
        let s = Signer::new("testid", "testsecret");
        let all = pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]);
        assert_eq!(s.v1_signature("GET", &canonical_query(&all)), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    /// The documented ACS3 example (DescribeNatGateways).
    #[test]
    fn acs3_documented_vector() {
        let s = Signer::new("testid", "testsecret");
        let q = canonical_query(&pairs(&[("NatGatewayId", "ngw-bp1uewa15k4iy5770ya89"), ("RegionId", "cn-hangzhou")]));
        let headers = vec![
            ("host", "vpc.aliyuncs.com".to_owned()),
            ("x-acs-action", "DescribeNatGateways".to_owned()),
            ("x-acs-content-sha256", EMPTY_SHA256.to_owned()),
            ("x-acs-date", "2024-01-01T00:00:00Z".to_owned()),
            ("x-acs-signature-nonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf".to_owned()),
            ("x-acs-version", "2016-04-28".to_owned()),
        ];
        assert_eq!(
            s.acs3_signature("POST", &q, &headers, EMPTY_SHA256),
            "1dad231fb43df919309e1bcc8535b75128cab5ee42ebe32339e18314cddb7864"
        );
    }

    #[test]
    fn timestamps_and_nonces() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_456_231_584), "2016-02-23T12:46:24Z");
        assert_eq!(iso8601(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_ne!(fresh_nonce(), fresh_nonce());
    }
}
