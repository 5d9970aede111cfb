//! The signature debugger: when a signature is refused, what the server computed, what the client
//! sent, and the likely cause — found by recomputing the signature the way common client mistakes
//! would have (RFC 3986 slips with `*`, `~` and spaces, a parameter left out of the signature, the
//! other HTTP method) and reporting the first hypothesis whose signature equals the client's.
//!
//! Runs only on a refusal, so it costs nothing on the normal path. It never reveals a signature,
//! the expected one or the client's, nor the secret: only which hypothesis reproduces the client's
//! signature (no signature is ever journaled, issue 11). A security token the client sent is
//! masked in the server's texts ([`mask_token`]).

use hmac::Hmac;
use serde::Serialize;
use sha1::Sha1;
use sha2::Sha256;

use super::{signature_v1, signature_v3};
use crate::journal::cut_text;
use crate::params::Params;

/// How many parameters are tried one by one as "left out of the signature".
const MAX_OMISSIONS: usize = 64;

#[derive(Debug, Clone, Serialize)]
pub struct SignatureDebug {
    /// `RPC v1 (HMAC-SHA1)` or `ACS3-HMAC-SHA256`.
    pub scheme: &'static str,
    pub access_key_id: String,
    pub method: String,
    pub client: ClientSent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerComputed>,
    /// Request timestamp minus the server's wall clock, in seconds (positive: the client is ahead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_skew_seconds: Option<i64>,
    pub likely_cause: Cause,
    /// The hypotheses that were tried, in order.
    pub tried: Vec<&'static str>,
}

/// What the client sent, as far as it helps a diagnosis: never its signature.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientSent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_headers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// ACS3: `x-acs-content-sha256` as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_sha256: Option<String>,
    /// Names of the parameters that came in a form body (not the query).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub body_parameters: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerComputed {
    /// ACS3 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical_request: Option<String>,
    pub string_to_sign: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    /// `star_not_encoded`, `tilde_encoded`, `space_as_plus`, `url_encoder`, `parameter_not_signed`,
    /// `body_signed_as_query`, `wrong_method`, `clock_skew`, `nonce_reused`,
    /// `content_hash_mismatch`, `secret_mismatch`.
    pub code: &'static str,
    pub explanation: String,
}

impl Cause {
    fn new(code: &'static str, explanation: impl Into<String>) -> Cause {
        Cause { code, explanation: explanation.into() }
    }
}

/// A percent-encoder with the common mistakes switchable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Enc {
    star_raw: bool,
    tilde_encoded: bool,
    space_plus: bool,
}

impl Enc {
    fn pct(self, s: &str, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for &b in s.as_bytes() {
            let keep = b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'_' | b'.')
                || (b == b'~' && !self.tilde_encoded)
                || (b == b'*' && self.star_raw);
            if keep {
                out.push(b as char);
            } else if b == b' ' && self.space_plus {
                out.push('+');
            } else {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }

    fn canonical<'a>(self, pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
        let mut v: Vec<(&str, &str)> = pairs.collect();
        v.sort_unstable();
        let mut out = String::new();
        for (i, (k, x)) in v.into_iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            self.pct(k, &mut out);
            out.push('=');
            self.pct(x, &mut out);
        }
        out
    }
}

const ENCODING_HYPOTHESES: [(&str, Enc, &str); 4] = [
    (
        "star_not_encoded",
        Enc { star_raw: true, tilde_encoded: false, space_plus: false },
        "the client left '*' unencoded; RFC 3986 (both signature schemes) requires %2A",
    ),
    (
        "tilde_encoded",
        Enc { star_raw: false, tilde_encoded: true, space_plus: false },
        "the client encoded '~' as %7E; '~' is unreserved in RFC 3986 and must stay as is",
    ),
    (
        "space_as_plus",
        Enc { star_raw: false, tilde_encoded: false, space_plus: true },
        "the client encoded a space as '+' in the signed text; RFC 3986 requires %20",
    ),
    (
        "url_encoder",
        Enc { star_raw: true, tilde_encoded: true, space_plus: true },
        "the client signed with a form/URL encoder (space '+', '*' raw, '~' as %7E) instead of RFC 3986: \
         replace '+' by %20, '*' by %2A and %7E by '~'",
    ),
];

fn relevant(enc: Enc, params: &Params) -> bool {
    params.iter().any(|(k, v)| {
        [k, v].iter().any(|s| {
            (enc.star_raw && s.contains('*'))
                || (enc.tilde_encoded && s.contains('~'))
                || (enc.space_plus && s.contains(' '))
        })
    })
}

fn other_method(method: &str) -> &'static str {
    if method.eq_ignore_ascii_case("GET") {
        "POST"
    } else {
        "GET"
    }
}

fn v1_sts(method: &str, enc: Enc, params: &Params, skip: Option<&str>) -> String {
    let canon = enc.canonical(params.iter().filter(|(k, _)| *k != "Signature" && Some(*k) != skip));
    let mut sts = String::from(method);
    sts.push('&');
    enc.pct("/", &mut sts);
    sts.push('&');
    enc.pct(&canon, &mut sts);
    sts
}

/// Inputs of a v1 diagnosis.
pub struct V1Input<'a> {
    pub method: &'a str,
    pub all: &'a Params,
    pub query: &'a Params,
    pub access_key_id: &'a str,
    pub mac: &'a Hmac<Sha1>,
    pub signature: &'a str,
    pub server_sts: &'a str,
}

fn body_names(all: &Params, query: &Params) -> Vec<String> {
    all.iter().filter(|(k, _)| query.get(k).is_none()).map(|(k, _)| k.to_owned()).collect()
}

pub fn diagnose_v1(inp: &V1Input<'_>) -> SignatureDebug {
    let body = body_names(inp.all, inp.query);
    let mut tried = Vec::new();
    let hit = |sts: &str| signature_v1::matches(&signature_v1::sign(inp.mac, sts), inp.signature);
    let cause = 'found: {
        for (code, enc, why) in ENCODING_HYPOTHESES {
            if relevant(enc, inp.all) {
                tried.push(code);
                if hit(&v1_sts(inp.method, enc, inp.all, None)) {
                    break 'found Cause::new(code, why);
                }
            }
        }
        tried.push("parameter_not_signed");
        for (name, _) in inp.all.iter().filter(|(k, _)| *k != "Signature").take(MAX_OMISSIONS) {
            if hit(&v1_sts(inp.method, Enc::default(), inp.all, Some(name))) {
                let whence = if body.iter().any(|b| b == name) { "form body" } else { "query" };
                break 'found Cause::new(
                    "parameter_not_signed",
                    format!("the client did not sign the parameter {name:?} (sent in the {whence}); RPC v1 signs every parameter of the query and the form body except Signature"),
                );
            }
        }
        if !body.is_empty() {
            tried.push("body_not_signed");
            let query_only = Params::from_pairs(inp.query.iter());
            if hit(&v1_sts(inp.method, Enc::default(), &query_only, None)) {
                break 'found Cause::new(
                    "parameter_not_signed",
                    format!("the client signed the query only; the form-body parameters {body:?} must be signed too"),
                );
            }
        }
        tried.push("wrong_method");
        let other = other_method(inp.method);
        if hit(&v1_sts(other, Enc::default(), inp.all, None)) {
            break 'found Cause::new(
                "wrong_method",
                format!(
                    "the client signed for {other} but sent {}; the string to sign starts with the HTTP method",
                    inp.method
                ),
            );
        }
        Cause::new(
            "secret_mismatch",
            "no common canonicalization mistake reproduces the client's signature: most likely the client signs with \
             another AccessKeySecret than the one this emulator has for the AccessKeyId (compare the string to sign \
             with the client's to rule out a canonicalization difference)",
        )
    };
    SignatureDebug {
        scheme: "RPC v1 (HMAC-SHA1)",
        access_key_id: inp.access_key_id.to_owned(),
        method: inp.method.to_owned(),
        client: ClientSent {
            timestamp: inp.all.get("Timestamp").map(str::to_owned),
            body_parameters: body,
            ..Default::default()
        },
        server: Some(ServerComputed {
            canonical_request: None,
            string_to_sign: cut_text(&mask_tokens(inp.server_sts, &sent_tokens(inp.all, |_| vec![]))),
        }),
        clock_skew_seconds: None,
        likely_cause: cause,
        tried,
    }
}

/// Inputs of an ACS3 diagnosis.
pub struct Acs3Input<'a> {
    pub method: &'a str,
    pub query: &'a Params,
    pub all: &'a Params,
    pub access_key_id: &'a str,
    pub signed_headers: &'a [String],
    pub header: &'a dyn Fn(&str) -> Vec<String>,
    pub content_sha256: &'a str,
    pub mac: &'a Hmac<Sha256>,
    pub signature: &'a str,
    pub server_canonical_request: &'a str,
    pub server_sts: &'a str,
}

fn acs3_cr(inp: &Acs3Input<'_>, method: &str, enc: Enc, query: &Params, skip: Option<&str>) -> String {
    let canon = enc.canonical(query.iter().filter(|(k, _)| Some(*k) != skip));
    let mut names: Vec<&str> = inp.signed_headers.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let mut s = format!("{method}\n/\n{canon}\n");
    for name in &names {
        let mut values: Vec<String> = (inp.header)(name).into_iter().map(|v| v.trim().to_owned()).collect();
        values.sort();
        s.push_str(name);
        s.push(':');
        s.push_str(&values.join(","));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(&names.join(";"));
    s.push('\n');
    s.push_str(inp.content_sha256);
    s
}

pub fn diagnose_acs3(inp: &Acs3Input<'_>) -> SignatureDebug {
    let body = body_names(inp.all, inp.query);
    let mut tried = Vec::new();
    let given = inp.signature.to_ascii_lowercase();
    let hit = |cr: &str| {
        let sts = signature_v3::string_to_sign(cr);
        signature_v1::matches(&signature_v3::sign(inp.mac, &sts), &given)
    };
    let cause = 'found: {
        for (code, enc, why) in ENCODING_HYPOTHESES {
            if relevant(enc, inp.query) {
                tried.push(code);
                if hit(&acs3_cr(inp, inp.method, enc, inp.query, None)) {
                    break 'found Cause::new(code, why);
                }
            }
        }
        if !body.is_empty() {
            tried.push("body_signed_as_query");
            if hit(&acs3_cr(inp, inp.method, Enc::default(), inp.all, None)) {
                break 'found Cause::new(
                    "body_signed_as_query",
                    format!("the client put {body:?} in the canonical query but sent them in a form body; ACS3 covers a body by x-acs-content-sha256 only"),
                );
            }
        }
        tried.push("parameter_not_signed");
        for (name, _) in inp.query.iter().take(MAX_OMISSIONS) {
            if hit(&acs3_cr(inp, inp.method, Enc::default(), inp.query, Some(name))) {
                break 'found Cause::new(
                    "parameter_not_signed",
                    format!("the client left the query parameter {name:?} out of its canonical query"),
                );
            }
        }
        tried.push("wrong_method");
        let other = other_method(inp.method);
        if hit(&acs3_cr(inp, other, Enc::default(), inp.query, None)) {
            break 'found Cause::new(
                "wrong_method",
                format!(
                    "the client signed for {other} but sent {}; the canonical request starts with the HTTP method",
                    inp.method
                ),
            );
        }
        Cause::new(
            "secret_mismatch",
            "no common canonicalization mistake reproduces the client's signature: most likely the client signs with \
             another AccessKeySecret than the one this emulator has for the AccessKeyId (or a signed header was \
             changed on the way, e.g. Host by a proxy: compare the canonical request with the client's)",
        )
    };
    SignatureDebug {
        scheme: "ACS3-HMAC-SHA256",
        access_key_id: inp.access_key_id.to_owned(),
        method: inp.method.to_owned(),
        client: ClientSent {
            signed_headers: Some(inp.signed_headers.to_vec()),
            timestamp: (inp.header)("x-acs-date").into_iter().next(),
            content_sha256: Some(inp.content_sha256.to_owned()),
            body_parameters: body,
        },
        server: Some(ServerComputed {
            canonical_request: Some(cut_text(&mask_tokens(
                inp.server_canonical_request,
                &sent_tokens(inp.all, inp.header),
            ))),
            string_to_sign: cut_text(inp.server_sts),
        }),
        clock_skew_seconds: None,
        likely_cause: cause,
        tried,
    }
}

/// The security and bearer tokens a request carries (parameters or ACS3 headers).
pub fn sent_tokens(all: &Params, header: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut out: Vec<String> =
        ["SecurityToken", "BearerToken"].iter().filter_map(|n| all.opt(n)).map(str::to_owned).collect();
    out.extend(["x-acs-security-token", "x-acs-bearer-token"].iter().flat_map(|h| header(h)));
    out.retain(|t| !t.trim().is_empty());
    out
}

/// `text` (a string-to-sign or canonical request) with every token in it masked, as sent and
/// RFC 3986-encoded once and twice (the v1 string-to-sign encodes values twice); an
/// `authorization` header line (a client may list it in SignedHeaders) loses its value. Tokens
/// shorter than 4 characters are left: they are no credential and would garble the text.
pub fn mask_tokens(text: &str, tokens: &[String]) -> String {
    // Unreserved characters only: the same text in every encoding.
    const MASK: &str = "masked-security-token";
    let mut out = text.to_owned();
    for t in tokens.iter().map(|t| t.trim()).filter(|t| t.len() >= 4) {
        let once = super::encoding::pct_string(t);
        let twice = super::encoding::pct_string(&once);
        for form in [twice, once, t.to_owned()] {
            if out.contains(&form) {
                out = out.replace(&form, MASK);
            }
        }
    }
    if out.contains("authorization:") {
        out = out
            .split('\n')
            .map(|l| if l.starts_with("authorization:") { "authorization:[masked]" } else { l })
            .collect::<Vec<_>>()
            .join("\n");
    }
    out
}

/// A refusal before the signature was checked (timestamp, nonce, body hash).
pub fn early(
    scheme: &'static str,
    access_key_id: &str,
    method: &str,
    client: ClientSent,
    skew_seconds: Option<i64>,
    cause: &'static str,
    explanation: String,
) -> SignatureDebug {
    SignatureDebug {
        scheme,
        access_key_id: access_key_id.to_owned(),
        method: method.to_owned(),
        client,
        server: None,
        clock_skew_seconds: skew_seconds,
        likely_cause: Cause::new(cause, explanation),
        tried: vec![cause],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Mac;

    #[test]
    fn the_default_encoder_is_the_servers() {
        let p = Params::from_pairs([("A", "a b*c~/"), ("B", "描")]);
        assert_eq!(Enc::default().canonical(p.iter()), super::super::encoding::canonical_query(p.iter()));
        assert_eq!(v1_sts("GET", Enc::default(), &p, None), signature_v1::string_to_sign("GET", &p));
    }

    #[test]
    fn url_encoder_mistake_is_found() {
        let mac = Hmac::<Sha1>::new_from_slice(b"testsecret&").unwrap();
        let p = Params::from_pairs([("AccessKeyId", "testid"), ("Description", "a b*c~")]);
        let wrong = signature_v1::sign(&mac, &v1_sts("GET", ENCODING_HYPOTHESES[3].1, &p, None));
        let sts = signature_v1::string_to_sign("GET", &p);
        let d = diagnose_v1(&V1Input {
            method: "GET",
            all: &p,
            query: &p,
            access_key_id: "testid",
            mac: &mac,
            signature: &wrong,
            server_sts: &sts,
        });
        assert_eq!(d.likely_cause.code, "url_encoder");
        let other = Hmac::<Sha1>::new_from_slice(b"other&").unwrap();
        let d = diagnose_v1(&V1Input {
            method: "GET",
            all: &p,
            query: &p,
            access_key_id: "testid",
            mac: &other,
            signature: &wrong,
            server_sts: &sts,
        });
        assert_eq!(d.likely_cause.code, "secret_mismatch");
    }
}
