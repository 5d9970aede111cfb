//! A small client-side signer, written independently of the server's `wire` module (its own
//! RFC 3986 encoder, RPC v1 and ACS3), so that one bug cannot hide itself on both sides.
//!
//! [`Req`] describes a call in one of the wire styles the real SDKs use (WIRE.md); tests tweak it
//! (drop or override a protocol parameter, a header, the raw query or body) and send it.

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Method;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::harness::{Resp, Server};

/// How the request is put on the wire (WIRE.md, "Summary per client").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// pop-core default: `GET /?…` with every parameter in the query.
    V1Get,
    /// pop-core `{method: 'POST'}`: everything, `Signature` included, in a form body.
    V1PostForm,
    /// py-core: `POST /?…`, empty body, `Format=JSON` and an empty `SignatureType=`.
    V1PostQuery,
    /// Terraform (tea-rpc): protocol parameters and `Signature` in the query, `Format=json`,
    /// business parameters in a form body; the signature covers both.
    V1PostSplit,
    /// Python Tea: ACS3, business parameters in the query (`+` for spaces), signs accept and
    /// user-agent too.
    Acs3Py,
    /// Node Tea: ACS3, query with `%20` and raw `*`, signs only host and x-acs-*.
    Acs3Node,
}

impl Style {
    pub const ALL: [Style; 6] =
        [Style::V1Get, Style::V1PostForm, Style::V1PostQuery, Style::V1PostSplit, Style::Acs3Py, Style::Acs3Node];

    pub fn is_acs3(self) -> bool {
        matches!(self, Style::Acs3Py | Style::Acs3Node)
    }
}

/// RFC 3986: unreserved bytes kept, everything else `%XX` in upper case.
pub fn rfc3986(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Python's `quote_plus` (py-tea's query): like RFC 3986 but space → `+`.
fn quote_plus(s: &str) -> String {
    rfc3986(s).replace("%20", "+")
}

/// Node Tea's query encoding: `%20` for spaces, `*!'()` left raw.
fn node_encode(s: &str) -> String {
    rfc3986(s).replace("%2A", "*").replace("%21", "!").replace("%27", "'").replace("%28", "(").replace("%29", ")")
}

fn sorted_canonical(pairs: &[(String, String)]) -> String {
    let mut v: Vec<&(String, String)> = pairs.iter().collect();
    v.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    v.iter().map(|(k, x)| format!("{}={}", rfc3986(k), rfc3986(x))).collect::<Vec<_>>().join("&")
}

/// RPC v1: `METHOD&%2F&pct(canonical)`.
pub fn v1_string_to_sign(method: &str, pairs: &[(String, String)]) -> String {
    format!("{method}&%2F&{}", rfc3986(&sorted_canonical(pairs)))
}

pub fn v1_sign(secret: &str, sts: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("any key length");
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    lower_hex(&Sha256::digest(data))
}

/// ACS3: the canonical request over the query and the signed headers (names lower case).
pub fn acs3_canonical_request(
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    signed: &[&str],
    payload_hash: &str,
) -> String {
    let mut names: Vec<&str> = signed.to_vec();
    names.sort_unstable();
    let mut canon_headers = String::new();
    for n in &names {
        let v = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.trim()).unwrap_or("");
        canon_headers.push_str(&format!("{n}:{v}\n"));
    }
    format!("{method}\n/\n{}\n{canon_headers}\n{}\n{payload_hash}", sorted_canonical(query), names.join(";"))
}

pub fn acs3_sign(secret: &str, canonical_request: &str) -> String {
    let sts = format!("ACS3-HMAC-SHA256\n{}", sha256_hex(canonical_request.as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(sts.as_bytes());
    lower_hex(&mac.finalize().into_bytes())
}

/// `YYYY-MM-DDThh:mm:ssZ` for now + `offset_secs` (UTC).
pub fn iso_now(offset_secs: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() as i64
        + offset_secs;
    let (days, rem) = (now.div_euclid(86_400), now.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A fresh 32-hex nonce (unique within the test process).
pub fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_nanos() as u64;
    format!("{t:016x}{:016x}", n ^ (u64::from(std::process::id()) << 40))
}

/// One call, before signing.
#[derive(Debug, Clone)]
pub struct Req {
    pub style: Style,
    /// Overrides the style's HTTP method (the signature uses it too).
    pub method: Option<Method>,
    pub action: Option<String>,
    pub version: Option<String>,
    pub params: Vec<(String, String)>,
    pub key_id: String,
    pub secret: String,
    pub timestamp: String,
    pub nonce: String,
    /// v1 protocol parameters set (`Some`) or removed (`None`) before signing; for ACS3 they are
    /// added to the query.
    pub proto: Vec<(String, Option<String>)>,
    /// Leave `Signature` (v1) or `Authorization` (ACS3) out.
    pub unsigned: bool,
    /// The Host header sent (and signed); default `127.0.0.1:<port>`.
    pub host: Option<String>,
    /// Headers set after signing (replacing one of the same name).
    pub headers_after: Vec<(String, String)>,
    /// Headers removed after signing.
    pub drop_headers: Vec<String>,
    /// ACS3: the `x-acs-content-sha256` value signed and sent (default: the body's hash).
    pub content_sha256: Option<String>,
    /// ACS3: the algorithm named in `Authorization`.
    pub algorithm: String,
    /// Raw text appended to the query after signing (`&` added).
    pub raw_query: Option<String>,
    /// A body sent instead of the computed one (after signing), with a form content type.
    pub raw_body: Option<Vec<u8>>,
    /// ACS3 only: a form body sent (and hashed, so it is signed).
    pub acs3_form: Vec<(String, String)>,
}

/// What went on the wire.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: Method,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The v1 string-to-sign or the ACS3 canonical request.
    pub signed_text: String,
}

impl Req {
    pub fn new(style: Style, action: &str) -> Req {
        Req {
            style,
            method: None,
            action: Some(action.to_owned()),
            version: Some("2016-04-28".to_owned()),
            params: vec![],
            key_id: "testid".into(),
            secret: "testsecret".into(),
            timestamp: iso_now(0),
            nonce: nonce(),
            proto: vec![],
            unsigned: false,
            host: None,
            headers_after: vec![],
            drop_headers: vec![],
            content_sha256: None,
            algorithm: "ACS3-HMAC-SHA256".into(),
            raw_query: None,
            raw_body: None,
            acs3_form: vec![],
        }
    }

    /// A v1 GET (the simplest signed call).
    pub fn get(action: &str) -> Req {
        Req::new(Style::V1Get, action)
    }

    pub fn p(mut self, k: &str, v: &str) -> Req {
        self.params.push((k.into(), v.into()));
        self
    }

    pub fn region(self, r: &str) -> Req {
        self.p("RegionId", r)
    }

    pub fn creds(mut self, id: &str, secret: &str) -> Req {
        self.key_id = id.into();
        self.secret = secret.into();
        self
    }

    pub fn set(mut self, k: &str, v: &str) -> Req {
        self.proto.push((k.into(), Some(v.into())));
        self
    }

    pub fn unset(mut self, k: &str) -> Req {
        self.proto.push((k.into(), None));
        self
    }

    pub fn method(mut self, m: Method) -> Req {
        self.method = Some(m);
        self
    }

    pub fn header_after(mut self, k: &str, v: &str) -> Req {
        self.headers_after.push((k.into(), v.into()));
        self
    }

    pub fn drop_header(mut self, k: &str) -> Req {
        self.drop_headers.push(k.into());
        self
    }

    pub fn timestamp(mut self, ts: &str) -> Req {
        self.timestamp = ts.into();
        self
    }

    pub fn nonce(mut self, n: &str) -> Req {
        self.nonce = n.into();
        self
    }

    pub fn host(mut self, h: &str) -> Req {
        self.host = Some(h.into());
        self
    }

    fn http_method(&self) -> Method {
        self.method.clone().unwrap_or(match self.style {
            Style::V1Get => Method::GET,
            _ => Method::POST,
        })
    }

    fn v1_pairs(&self) -> Vec<(String, String)> {
        let format = match self.style {
            Style::V1PostQuery | Style::V1Get | Style::V1PostForm => "JSON",
            _ => "json",
        };
        let mut proto: Vec<(String, Option<String>)> = vec![
            ("Format".into(), Some(format.into())),
            ("Version".into(), self.version.clone()),
            ("Action".into(), self.action.clone()),
            ("AccessKeyId".into(), Some(self.key_id.clone())),
            ("SignatureMethod".into(), Some("HMAC-SHA1".into())),
            ("SignatureVersion".into(), Some("1.0".into())),
            ("SignatureNonce".into(), Some(self.nonce.clone())),
            ("Timestamp".into(), Some(self.timestamp.clone())),
        ];
        if self.style == Style::V1PostQuery {
            proto.push(("SignatureType".into(), Some(String::new())));
        }
        for (k, v) in &self.proto {
            match proto.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v.clone(),
                None => proto.push((k.clone(), v.clone())),
            }
        }
        let mut pairs = self.params.clone();
        pairs.extend(proto.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
        pairs
    }

    /// Signs and lays out the request for a server answering on `authority` (`host:port`).
    pub fn prepare(&self, authority: &str) -> Prepared {
        let method = self.http_method();
        let host = self.host.clone().unwrap_or_else(|| authority.to_owned());
        let mut headers: Vec<(String, String)> = vec![("host".into(), host.clone())];
        let (mut query, mut body, signed_text) = if self.style.is_acs3() {
            self.prepare_acs3(&method, &host, &mut headers)
        } else {
            self.prepare_v1(&method, &mut headers)
        };
        if let Some(raw) = &self.raw_query {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(raw);
        }
        if let Some(raw) = &self.raw_body {
            body = Some(raw.clone());
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        }
        for (k, v) in &self.headers_after {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
            headers.push((k.clone(), v.clone()));
        }
        headers.retain(|(n, _)| !self.drop_headers.iter().any(|d| d.eq_ignore_ascii_case(n)));
        let path_and_query = if query.is_empty() { "/".to_owned() } else { format!("/?{query}") };
        Prepared { method, path_and_query, headers, body, signed_text }
    }

    fn prepare_v1(&self, method: &Method, headers: &mut Vec<(String, String)>) -> (String, Option<Vec<u8>>, String) {
        let mut pairs = self.v1_pairs();
        let sts = v1_string_to_sign(method.as_str(), &pairs);
        if !self.unsigned {
            pairs.push(("Signature".into(), v1_sign(&self.secret, &sts)));
        }
        if let Some(a) = &self.action {
            headers.push(("x-acs-action".into(), a.clone()));
        }
        let encoded = pairs.iter().map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v))).collect::<Vec<_>>().join("&");
        match self.style {
            Style::V1PostForm => {
                headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
                (String::new(), Some(encoded.into_bytes()), sts)
            }
            Style::V1PostQuery => (encoded, Some(vec![]), sts),
            _ => (encoded, None, sts),
        }
    }

    fn prepare_acs3(
        &self,
        method: &Method,
        host: &str,
        headers: &mut Vec<(String, String)>,
    ) -> (String, Option<Vec<u8>>, String) {
        let mut query = self.params.clone();
        for (k, v) in &self.proto {
            if let Some(v) = v {
                query.push((k.clone(), v.clone()));
            }
        }
        let body: Vec<u8> = if self.acs3_form.is_empty() {
            vec![]
        } else {
            self.acs3_form
                .iter()
                .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes()
        };
        let hash = self.content_sha256.clone().unwrap_or_else(|| sha256_hex(&body));
        headers.clear();
        headers.push(("host".into(), host.to_owned()));
        if let Some(v) = &self.version {
            headers.push(("x-acs-version".into(), v.clone()));
        }
        if let Some(a) = &self.action {
            headers.push(("x-acs-action".into(), a.clone()));
        }
        let py = self.style == Style::Acs3Py;
        headers.push((
            "user-agent".into(),
            if py {
                "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2".into()
            } else {
                "AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2".into()
            },
        ));
        headers.push(("x-acs-date".into(), self.timestamp.clone()));
        headers.push(("x-acs-signature-nonce".into(), self.nonce.clone()));
        headers.push(("accept".into(), "application/json".into()));
        headers.push(("x-acs-content-sha256".into(), hash.clone()));
        headers.push(("x-acs-credentials-provider".into(), "static_ak".into()));
        if !body.is_empty() {
            headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        }
        let mut signed: Vec<&str> = headers
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| k.starts_with("x-acs-") || *k == "host" || *k == "content-type")
            .collect();
        if py {
            signed.extend(["accept", "user-agent"]);
        }
        signed.sort_unstable();
        let cr = acs3_canonical_request(method.as_str(), &query, headers, &signed, &hash);
        if !self.unsigned {
            let sig = acs3_sign(&self.secret, &cr);
            headers.push((
                "Authorization".into(),
                format!(
                    "{} Credential={},SignedHeaders={},Signature={sig}",
                    self.algorithm,
                    self.key_id,
                    signed.join(";")
                ),
            ));
        }
        let enc: fn(&str) -> String = if py { quote_plus } else { node_encode };
        let q = query.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        (q, Some(body), cr)
    }

    pub async fn send(&self, server: &Server) -> Resp {
        server.send(&self.prepare(&server.authority())).await
    }
}

#[test]
fn signer_matches_the_documented_v1_vectors() {
    // REAL-SERVICE §3.1, the official ECS example.
    let pairs: Vec<(String, String)> = [
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let sts = v1_string_to_sign("GET", &pairs);
    assert_eq!(v1_sign("testsecret", &sts), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    assert_eq!(rfc3986("a b*c~/:描"), "a%20b%2Ac~%2F%3A%E6%8F%8F");
}

#[test]
fn signer_matches_the_documented_acs3_vector() {
    // REAL-SERVICE §3.2.
    let query: Vec<(String, String)> =
        vec![("RegionId".into(), "cn-hangzhou".into()), ("NatGatewayId".into(), "ngw-bp1uewa15k4iy5770ya89".into())];
    let empty = sha256_hex(b"");
    let headers: Vec<(String, String)> = [
        ("host", "vpc.aliyuncs.com"),
        ("x-acs-action", "DescribeNatGateways"),
        ("x-acs-content-sha256", empty.as_str()),
        ("x-acs-date", "2024-01-01T00:00:00Z"),
        ("x-acs-signature-nonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("x-acs-version", "2016-04-28"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let cr = acs3_canonical_request("POST", &query, &headers, &signed, &empty);
    assert_eq!(acs3_sign("testsecret", &cr), "1dad231fb43df919309e1bcc8535b75128cab5ee42ebe32339e18314cddb7864");
}

#[test]
fn iso_now_has_the_sdk_shape() {
    let ts = iso_now(0);
    assert_eq!(ts.len(), 20, "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
    assert_ne!(nonce(), nonce());
}
