//! Property tests (issue 11): whatever the input, the request path never panics and every refusal
//! is a documented Code.
//!
//! - the parameter decoder (`wire::encoding::decode_pairs`): never panics on any bytes, refuses only
//!   with the wire codes, and gives back exactly what a client encoder put in (RFC 3986, form `+`,
//!   Node Tea's raw `*!'()`);
//! - both signature schemes: every request the independent test signer (`tests/http/signer.rs`)
//!   signs, in every wire style, is accepted by the server's verifier; the same request with one
//!   byte changed in a signed value, name, header, body or the signature, or signed with a secret
//!   one byte off, or sent with the other method, is always refused;
//! - the value parsers: ports and port ranges, CIDR blocks, timestamps, `Authorization` headers,
//!   SNAT address lists, protocols, formats, statuses, integers, lists and tags, and the id and
//!   RequestId generators;
//! - every action of `dispatch::ACTIONS` (parse, then handle) with random parameter sets drawn
//!   from the real parameter names and values of a live world (ids, addresses, CIDRs) mixed with
//!   junk: never a panic, an error is always a Code of docs/error-codes.md (never
//!   `InternalError`), and a refused call leaves the account's resources exactly as they were.
//!
//! `PROPTEST_CASES=N` replaces every property's case count (the defaults keep the file at a few
//! seconds).

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "http/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "http/signer.rs"]
mod signer;
#[path = "robustness/vocabulary.rs"]
mod vocabulary;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use aliyun_nat_emulator::actions::forward_entry::{parse_ip, parse_protocol, Port};
use aliyun_nat_emulator::actions::snat_entry::parse_snat_ips;
use aliyun_nat_emulator::clock::{format_iso, parse_iso, wall_ms};
use aliyun_nat_emulator::config::ServeArgs;
use aliyun_nat_emulator::dispatch::{self, ACTIONS};
use aliyun_nat_emulator::error::ApiError;
use aliyun_nat_emulator::ids::{IdGen, RequestIds};
use aliyun_nat_emulator::model::vpc::parse_cidr;
use aliyun_nat_emulator::model::{EipStatus, NatStatus};
use aliyun_nat_emulator::params::Params;
use aliyun_nat_emulator::store::Ctx;
use aliyun_nat_emulator::wire::auth::{self, Incoming, NonceCache};
use aliyun_nat_emulator::wire::encoding::{decode_pairs, Limits};
use aliyun_nat_emulator::wire::render::Format;
use aliyun_nat_emulator::wire::signature_v3::parse_authorization;
use aliyun_nat_emulator::App;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;

use signer::{rfc3986, Prepared, Req, Style};
use vocabulary::{fitting, focus, strings, JUNK, NAMES};

const LIMITS: Limits = Limits { max_params: 1000, max_value_bytes: 32 * 1024 };
const DOC: &str = include_str!("../docs/error-codes.md");

/// A property's configuration: `cases` unless `PROPTEST_CASES` says otherwise; no regression
/// files (a failure prints its minimal input).
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// Whether a Code is one docs/error-codes.md documents (`Missing<Name>` by its generic row).
/// `InternalError` is documented but is a bug, never an answer to input.
fn documented(code: &str) -> bool {
    if code == "InternalError" {
        return false;
    }
    if DOC.contains(&format!("`{code}`")) {
        return true;
    }
    code.strip_prefix("Missing").is_some_and(|name| {
        DOC.contains("`Missing<Name>`") && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
    })
}

fn assert_documented(e: &ApiError) -> Result<(), TestCaseError> {
    let code = e.code();
    prop_assert!(documented(&code), "undocumented code {code}: {e:?}");
    prop_assert!((400..500).contains(&e.status()), "{code} answers {}", e.status());
    Ok(())
}

// ----------------------------------------------------------------------------------------------
// The parameter decoder
// ----------------------------------------------------------------------------------------------

/// Raw query/body text: mostly the decoder's own alphabet (`%`, hex digits, `&`, `=`, `+`) and
/// high bytes, so that escapes, broken escapes and invalid UTF-8 come up often.
fn raw_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"%&=+aF0917eE".to_vec()),
        2 => any::<u8>(),
        1 => prop::sample::select(vec![0xC3u8, 0xA9, 0xE6, 0x8F, 0xFF, 0x80, 0x00]),
    ];
    prop::collection::vec(byte, 0..200)
}

/// A parameter name as clients write them (letters, digits, dots), never empty.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9.]{0,15}"
}

/// A value: arbitrary Unicode, with the characters encoders disagree on made likely.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        3 => prop::collection::vec(prop::sample::select(vec![' ', '*', '~', '+', '%', '&', '=', '/', '描', 'é', 'a', '\'', '!', '(', ')']), 0..12)
            .prop_map(|v| v.into_iter().collect()),
        1 => Just(String::new()),
    ]
}

fn unique_pairs(max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(name(), value(), 0..max).prop_map(|m| m.into_iter().collect())
}

/// The three client encodings of a query or form body.
#[derive(Debug, Clone, Copy)]
enum Enc {
    Rfc3986,
    /// `+` for a space (Python's `quote_plus`, form bodies).
    Plus,
    /// Node Tea: `%20`, and `*!'()` raw.
    Node,
}

fn encode(enc: Enc, s: &str) -> String {
    let e = rfc3986(s);
    match enc {
        Enc::Rfc3986 => e,
        Enc::Plus => e.replace("%20", "+"),
        Enc::Node => {
            e.replace("%2A", "*").replace("%21", "!").replace("%27", "'").replace("%28", "(").replace("%29", ")")
        }
    }
}

#[test]
fn decoder_never_panics_and_refuses_only_with_wire_codes() {
    proptest!(config(500), |(raw in raw_bytes(), max_params in 1usize..50, max_value in 1usize..64)| {
        let limits = Limits { max_params, max_value_bytes: max_value };
        let mut p = Params::new();
        match decode_pairs(&raw, &mut p, limits) {
            Ok(()) => {
                prop_assert!(p.len() <= max_params);
                prop_assert!(p.iter().all(|(k, v)| !k.is_empty() && v.len() <= max_value));
            }
            Err(e) => {
                let code = e.code();
                prop_assert!(
                    ["InvalidParameter.Encoding", "InvalidParameter.Duplicate", "InvalidParameter.TooMany",
                     "InvalidParameter.TooLong"].contains(&code.as_ref()),
                    "{code}"
                );
                assert_documented(&e)?;
            }
        }
    });
}

#[test]
fn decoder_round_trips_what_clients_encode() {
    let enc = prop::sample::select(vec![Enc::Rfc3986, Enc::Plus, Enc::Node]);
    proptest!(config(500), |(pairs in unique_pairs(12), enc in enc)| {
        let raw = pairs.iter().map(|(k, v)| format!("{}={}", encode(enc, k), encode(enc, v))).collect::<Vec<_>>().join("&");
        let mut p = Params::new();
        decode_pairs(raw.as_bytes(), &mut p, LIMITS).map_err(|e| TestCaseError::fail(format!("{e:?} for {raw}")))?;
        let back: Vec<(String, String)> = p.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        prop_assert_eq!(back, pairs);
    });
}

// ----------------------------------------------------------------------------------------------
// Both signature schemes against the server's verifiers
// ----------------------------------------------------------------------------------------------

fn app() -> &'static Arc<App> {
    static APP: OnceLock<Arc<App>> = OnceLock::new();
    APP.get_or_init(|| App::new(&ServeArgs::for_tests()).expect("the default world"))
}

/// What the server's pipeline hands the verifier: the query, query ∪ form body, the headers.
struct Decoded {
    method: String,
    query: Params,
    all: Params,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn decode(p: &Prepared) -> Decoded {
    let query_raw = p.path_and_query.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut query = Params::new();
    decode_pairs(query_raw.as_bytes(), &mut query, LIMITS).expect("the signer's query decodes");
    let mut all = query.clone();
    let mut headers = HeaderMap::new();
    for (k, v) in &p.headers {
        headers.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_bytes(v.as_bytes()).unwrap());
    }
    let body = p.body.clone().unwrap_or_default();
    let form = auth::header_str(&headers, "content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if form && !body.is_empty() {
        decode_pairs(&body, &mut all, LIMITS).expect("the signer's body decodes");
    }
    Decoded { method: p.method.as_str().to_owned(), query, all, headers, body }
}

fn verify(d: &Decoded) -> Result<(), ApiError> {
    let scheme = auth::detect(&d.headers, &d.all);
    let incoming =
        Incoming { scheme, method: &d.method, headers: &d.headers, query: &d.query, all: &d.all, body: &d.body };
    // A fresh nonce cache per check: a refused request never uses up a nonce, and the accepted
    // original is checked on its own.
    let nonces = NonceCache::new(64);
    auth::authenticate(&incoming, &app().store, &nonces, wall_ms(), true).map(|_| ())
}

/// One character changed (or one added to an empty text), staying printable ASCII where it was.
fn change_one(s: &str, at: usize) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return "x".into();
    }
    let i = at % chars.len();
    chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

fn with_value(p: &Params, index: usize, rename: bool) -> Params {
    let i = index % p.len().max(1);
    Params::from_pairs(p.iter().enumerate().map(|(j, (k, v))| {
        if j != i {
            (k.to_owned(), v.to_owned())
        } else if rename {
            (change_one(k, index / 7), v.to_owned())
        } else {
            (k.to_owned(), change_one(v, index / 7))
        }
    }))
}

fn style() -> impl Strategy<Value = Style> {
    prop::sample::select(Style::ALL.to_vec())
}

/// Business parameters: names that are no protocol parameter, any values.
fn business() -> impl Strategy<Value = Vec<(String, String)>> {
    let reserved = ["Signature", "Action", "Version", "Format", "Timestamp", "AccessKeyId"];
    unique_pairs(8).prop_map(move |v| {
        v.into_iter().filter(|(k, _)| !k.starts_with("Signature") && !reserved.contains(&k.as_str())).collect()
    })
}

fn signed(style: Style, params: &[(String, String)], account: (&str, &str)) -> Req {
    let mut r = Req::new(style, "DescribeVpcs").creds(account.0, account.1);
    for (k, v) in params {
        r = r.p(k, v);
    }
    r
}

#[derive(Debug, Clone, Copy)]
enum Mutation {
    /// A signed value (v1: any parameter, the protocol's included; ACS3: a query parameter).
    Value,
    /// A signed name.
    Name,
    /// v1: the Signature itself; ACS3: the Authorization header's Signature.
    Signature,
    /// ACS3: a signed header's value.
    Header,
    /// ACS3: one byte of a form body.
    Body,
}

#[test]
fn signed_requests_are_accepted_and_one_byte_off_is_refused() {
    let mutation = prop::sample::select(vec![
        Mutation::Value,
        Mutation::Name,
        Mutation::Signature,
        Mutation::Header,
        Mutation::Body,
    ]);
    let account = prop::sample::select(vec![("testid", "testsecret"), ("testid2", "testsecret2")]);
    proptest!(config(200), |(style in style(), params in business(), account in account, form in business(),
                             mutation in mutation, at in any::<usize>())| {
        let form_kept: Vec<(String, String)> =
            form.into_iter().filter(|(k, _)| !params.iter().any(|(p, _)| p == k)).collect();
        let mut req = signed(style, &params, account);
        if style.is_acs3() {
            req.acs3_form = form_kept.clone();
        }
        let prepared = req.prepare("127.0.0.1:8080");
        let d = decode(&prepared);
        if let Err(e) = verify(&d) {
            return Err(TestCaseError::fail(format!("refused {e:?}: {prepared:?}")));
        }
        let refused = |d: &Decoded, what: &str| -> Result<(), TestCaseError> {
            match verify(d) {
                Ok(()) => Err(TestCaseError::fail(format!("{what} accepted: {prepared:?}"))),
                Err(e) => assert_documented(&e),
            }
        };
        if style.is_acs3() {
            match mutation {
                Mutation::Value | Mutation::Name if !d.query.is_empty() => {
                    let query = with_value(&d.query, at, matches!(mutation, Mutation::Name));
                    let all = Params::from_pairs(query.iter().chain(d.all.iter().filter(|(k, _)| d.query.get(k).is_none())));
                    refused(&Decoded { query, all, headers: d.headers.clone(), body: d.body.clone(), method: d.method.clone() }, "a changed query")?;
                }
                Mutation::Body if !d.body.is_empty() => {
                    let mut body = d.body.clone();
                    let i = at % body.len();
                    body[i] = if body[i] == b'a' { b'b' } else { b'a' };
                    refused(&Decoded { body, query: d.query.clone(), all: d.all.clone(), headers: d.headers.clone(), method: d.method.clone() }, "a changed body")?;
                }
                _ => {
                    // A signed header (Authorization's Signature included).
                    let authz = auth::header_str(&d.headers, "authorization").unwrap().to_owned();
                    let signed_names: Vec<String> = parse_authorization(&authz).unwrap().signed_headers;
                    let mut headers = d.headers.clone();
                    if matches!(mutation, Mutation::Signature) {
                        let (head, sig) = authz.rsplit_once("Signature=").unwrap();
                        let v = format!("{head}Signature={}", change_one(sig, at));
                        headers.insert("authorization", HeaderValue::from_str(&v).unwrap());
                    } else {
                        let name = &signed_names[at % signed_names.len()];
                        let old = auth::header_str(&d.headers, name).unwrap_or("");
                        let v = change_one(old.trim(), at / 3);
                        headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(&v).unwrap());
                    }
                    refused(&Decoded { headers, query: d.query.clone(), all: d.all.clone(), body: d.body.clone(), method: d.method.clone() }, "a changed header")?;
                }
            }
        } else {
            let all = match mutation {
                Mutation::Signature => {
                    let sig = d.all.get("Signature").unwrap();
                    Params::from_pairs(d.all.iter().map(|(k, v)| if k == "Signature" { (k.to_owned(), change_one(sig, at)) } else { (k.to_owned(), v.to_owned()) }))
                }
                // Any parameter but Signature: a business or a protocol parameter.
                m => {
                    let unsigned = Params::from_pairs(d.all.iter().filter(|(k, _)| *k != "Signature"));
                    let mut changed = with_value(&unsigned, at, matches!(m, Mutation::Name));
                    changed.push("Signature".into(), d.all.get("Signature").unwrap().to_owned()).unwrap();
                    changed
                }
            };
            refused(&Decoded { query: all.clone(), all, headers: d.headers.clone(), body: vec![], method: d.method.clone() }, "a changed parameter")?;
        }
        // The other method.
        let other = if d.method == "GET" { "POST" } else { "GET" };
        let e = verify(&Decoded { method: other.into(), query: d.query.clone(), all: d.all.clone(), headers: d.headers.clone(), body: d.body.clone() });
        prop_assert_eq!(e.map_err(|e| e.code()), Err("SignatureDoesNotMatch".into()));
        // A secret one byte off.
        let wrong = change_one(account.1, at);
        let mut req = signed(style, &params, (account.0, &wrong));
        if style.is_acs3() {
            req.acs3_form = form_kept.clone();
        }
        let e = verify(&decode(&req.prepare("127.0.0.1:8080")));
        prop_assert_eq!(e.map_err(|e| e.code()), Err("SignatureDoesNotMatch".into()));
    });
}

// ----------------------------------------------------------------------------------------------
// Value parsers
// ----------------------------------------------------------------------------------------------

#[test]
fn ports_parse_to_valid_ranges_and_round_trip() {
    let text = prop_oneof![
        "[0-9/]{0,12}",
        "[0-9]{1,6}/[0-9]{1,6}",
        any::<String>(),
        prop::sample::select(vec![
            "Any".to_owned(),
            "any".into(),
            "ANY".into(),
            "0".into(),
            "65536".into(),
            "/".into()
        ]),
    ];
    proptest!(config(2000), |(s in text, a in 1u16.., b in 1u16..)| {
        if let Some(p) = Port::parse(&s) {
            if let Port::Range(x, y) = p {
                prop_assert!(1 <= x && x <= y, "{s} → {x}/{y}");
            }
            prop_assert_eq!(Port::parse(&p.to_string()), Some(p));
            prop_assert!(p.width() >= 1);
        }
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert_eq!(Port::parse(&format!("{lo}/{hi}")), Some(Port::Range(lo, hi)));
        prop_assert_eq!(Port::parse(&lo.to_string()), Some(Port::Range(lo, lo)));
        if lo < hi {
            prop_assert_eq!(Port::parse(&format!("{hi}/{lo}")), None);
        }
        prop_assert!(Port::Range(lo, hi).overlaps(Port::Range(hi, hi)) && Port::Any.overlaps(Port::Range(lo, lo)));
    });
}

#[test]
fn cidrs_parse_to_networks_within_the_mask_bounds() {
    let text =
        prop_oneof![any::<String>(), "[0-9./]{0,20}", "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}/[0-9]{1,2}"];
    proptest!(config(2000), |(s in text, addr in any::<u32>(), len in 0u8..=32, min in 0u8..=32, max in 0u8..=32)| {
        if let Some(net) = parse_cidr(&s, min, max) {
            prop_assert!(net.prefix_len() >= min && net.prefix_len() <= max);
            prop_assert_eq!(net.network(), net.addr());
            prop_assert_eq!(parse_cidr(&net.to_string(), min, max), Some(net));
        }
        // A network address within the bounds parses unless it touches a reserved range.
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        let text = format!("{}/{len}", std::net::Ipv4Addr::from(addr & mask));
        let parsed = parse_cidr(&text, min, max);
        if len < min || len > max {
            prop_assert_eq!(parsed, None);
        }
        if let Some(net) = parsed {
            prop_assert_eq!(net.to_string(), text);
        }
    });
}

#[test]
fn timestamps_parse_or_refuse_and_round_trip() {
    let text = prop_oneof![
        any::<String>(),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,4})?Z",
        "[0-9T:Z.-]{0,24}",
    ];
    proptest!(config(2000), |(s in text, secs in 0u64..253_402_300_799)| {
        let _ = parse_iso(&s);
        let t = format_iso(secs * 1000);
        prop_assert_eq!(parse_iso(&t), Some(secs * 1000), "{}", t);
    });
}

#[test]
fn authorization_headers_parse_or_are_incomplete() {
    let text = prop_oneof![
        any::<String>(),
        "ACS3-HMAC-SHA256 [A-Za-z=,; ]{0,40}",
        "ACS3-HMAC-SHA256 Credential=[a-z]{0,6},SignedHeaders=[a-z;-]{0,20},Signature=[0-9a-f]{0,8}",
    ];
    proptest!(config(2000), |(s in text)| {
        match parse_authorization(&s) {
            Ok(a) => prop_assert!(!a.access_key_id.is_empty() && !a.signature.is_empty() && a.signed_headers.iter().all(|h| !h.is_empty())),
            Err(e) => {
                prop_assert_eq!(e.code(), "IncompleteSignature");
                assert_documented(&e)?;
            }
        }
    });
}

#[test]
fn small_parsers_never_panic_and_refuse_with_documented_codes() {
    let text = prop_oneof![
        any::<String>(),
        "[0-9.,: ]{0,40}",
        prop::sample::select(vec![
            "TCP".to_owned(),
            "udp".into(),
            "Any".into(),
            "json".into(),
            "XML".into(),
            "InUse".into(),
            "available".into()
        ]),
    ];
    proptest!(config(2000), |(s in text, limit in 0usize..5, n in any::<i64>())| {
        match parse_snat_ips(&s, limit) {
            Ok(ips) => {
                prop_assert!(!ips.is_empty() && ips.len() <= limit);
                prop_assert!(ips.iter().all(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok()));
            }
            Err(e) => assert_documented(&e)?,
        }
        match parse_protocol(&s) {
            Ok(p) => prop_assert!(["tcp", "udp", "any"].contains(&p.as_str())),
            Err(e) => prop_assert_eq!(e.code(), "InvalidProtocal.ValueNotSupported"),
        }
        if let Err(e) = parse_ip(&s, ApiError::InvalidExternalIpMalformed) {
            prop_assert_eq!(e.code(), "InvalidExternalIp.Malformed");
        }
        if let Err(e) = Format::parse(Some(&s)) {
            prop_assert_eq!(e.code(), "InvalidParameter.Format");
        }
        if let Some(st) = NatStatus::parse(&s) {
            prop_assert!(st.as_str().eq_ignore_ascii_case(&s));
        }
        if let Some(st) = EipStatus::parse(&s) {
            prop_assert!(st.as_str().eq_ignore_ascii_case(&s));
        }
        // Typed getters of Params: a value or a documented error.
        let p = Params::from_pairs([("PageSize", s.as_str()), ("PageNumber", s.as_str()), ("DryRun", s.as_str()),
                                    ("X.1", s.as_str()), ("Tag.1.Key", s.as_str()), ("Tag.1.Value", s.as_str())]);
        for r in [p.paging(50).map(|_| ()), p.opt_bool("DryRun").map(|_| ()), p.list("X").map(|_| ()),
                  p.tags("Tag").map(|_| ()), p.opt_int("PageSize", n.min(0), n.max(0)).map(|_| ())] {
            if let Err(e) = r {
                assert_documented(&e)?;
            }
        }
        let q = Params::from_pairs([(format!("X.{s}"), "v"), (format!("Tag.{s}"), "v")]);
        for r in [q.list("X").map(|_| ()), q.tags("Tag").map(|_| ())] {
            if let Err(e) = r {
                assert_documented(&e)?;
            }
        }
    });
}

#[test]
fn ids_and_request_ids_have_their_shapes() {
    proptest!(config(1000), |(seed in any::<u64>(), n in 0usize..40)| {
        let mut g = IdGen::new(seed);
        let id = g.resource_id("ngw", "bp1");
        prop_assert_eq!(id.len(), "ngw-".len() + 21);
        prop_assert!(id[4..].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{}", id);
        let plain = g.plain_id("rg", n);
        prop_assert_eq!(plain.len(), 3 + n);
        let rids = RequestIds::new(seed);
        let rid = rids.next();
        let groups: Vec<usize> = rid.split('-').map(str::len).collect();
        prop_assert_eq!(groups, vec![8, 4, 4, 4, 12]);
        prop_assert!(rid.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'A'..=b'F').contains(&b)), "{}", rid);
        prop_assert_ne!(rids.next(), rid);
    });
}

// ----------------------------------------------------------------------------------------------
// Every action's parse (and handle) step
// ----------------------------------------------------------------------------------------------

/// A live world for the actions: a gateway with a bound EIP, a DNAT and an SNAT entry (made
/// through dispatch), and every short string of its state dump as a value.
struct World {
    app: Arc<App>,
    now: u64,
    values: Vec<String>,
}

fn run(w: &World, action: &str, params: &Params) -> Result<dispatch::Reply, ApiError> {
    let app = &w.app;
    let def = dispatch::find(action).expect("a known action");
    let account = app.store.account("testid").expect("testid");
    let settings = *app.settings.read();
    let ctx = Ctx {
        now: w.now,
        world: &app.store.world,
        delays: settings.delays,
        quotas: settings.quotas,
        pools: &app.store.pools,
    };
    dispatch::execute(def, &account, params, &ctx)
}

fn resources(w: &World) -> Value {
    let account = w.app.store.account("testid").expect("testid");
    let st = account.state.read();
    serde_json::to_value(&st.regions).expect("the state serializes")
}

fn world() -> World {
    let app = App::new(&ServeArgs::for_tests()).expect("the default world");
    let mut w = World { now: app.clock.now_ms(), app, values: vec![] };
    let p = |pairs: &[(&str, &str)]| Params::from_pairs(pairs.iter().copied());
    let dump = resources(&w);
    let vpc = dump["cn-hangzhou"]["vpcs"].to_string();
    let vpc_id = vpc.split('"').find(|s| s.starts_with("vpc-")).expect("a default VPC").to_owned();
    let vsw = dump["cn-hangzhou"]["vswitches"].to_string();
    let vsw_id = vsw.split('"').find(|s| s.starts_with("vsw-")).expect("a default vSwitch").to_owned();
    let r = |k: &str, v: &dispatch::Reply| v.to_map()[k].as_str().expect(k).to_owned();
    let gw =
        run(&w, "CreateNatGateway", &p(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc_id), ("VSwitchId", &vsw_id)]))
            .expect("a gateway");
    let gw_id = r("NatGatewayId", &gw);
    let eip = run(&w, "AllocateEipAddress", &p(&[("RegionId", "cn-hangzhou")])).expect("an EIP");
    let (eip_id, eip_ip) = (r("AllocationId", &eip), r("EipAddress", &eip));
    run(
        &w,
        "AssociateEipAddress",
        &p(&[("RegionId", "cn-hangzhou"), ("AllocationId", &eip_id), ("InstanceId", &gw_id), ("InstanceType", "Nat")]),
    )
    .expect("bound");
    let state = resources(&w);
    let text = state.to_string();
    let ftb = text.split('"').find(|s| s.starts_with("ftb-")).expect("a DNAT table").to_owned();
    let stb = text.split('"').find(|s| s.starts_with("stb-")).expect("an SNAT table").to_owned();
    run(
        &w,
        "CreateForwardEntry",
        &p(&[
            ("RegionId", "cn-hangzhou"),
            ("ForwardTableId", &ftb),
            ("ExternalIp", &eip_ip),
            ("ExternalPort", "80"),
            ("InternalIp", "172.16.0.10"),
            ("InternalPort", "8080"),
            ("IpProtocol", "TCP"),
        ]),
    )
    .expect("a DNAT entry");
    let eip2 = run(&w, "AllocateEipAddress", &p(&[("RegionId", "cn-hangzhou")])).expect("an EIP");
    let (eip2_id, eip2_ip) = (r("AllocationId", &eip2), r("EipAddress", &eip2));
    run(
        &w,
        "AssociateEipAddress",
        &p(&[("RegionId", "cn-hangzhou"), ("AllocationId", &eip2_id), ("InstanceId", &gw_id), ("InstanceType", "Nat")]),
    )
    .expect("bound");
    run(
        &w,
        "CreateSnatEntry",
        &p(&[("RegionId", "cn-hangzhou"), ("SnatTableId", &stb), ("SnatIp", &eip2_ip), ("SourceVSwitchId", &vsw_id)]),
    )
    .expect("an SNAT entry");
    let mut values = vec![];
    strings(&resources(&w), &mut values);
    values.sort();
    values.dedup();
    w.values = values;
    w
}

#[test]
fn every_action_answers_any_parameters_with_a_documented_code_and_refusals_change_nothing() {
    let w = world();
    let names: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    let mut vocabulary: Vec<String> = JUNK.iter().map(|s| s.to_string()).collect();
    vocabulary.extend(w.values.iter().cloned());
    let action = prop::sample::select(ACTIONS.iter().map(|a| a.name).collect::<Vec<_>>());
    let value = prop_oneof![6 => prop::sample::select(vocabulary), 1 => any::<String>(), 1 => "[ -~]{0,300}"];
    let name = prop_oneof![8 => prop::sample::select(names), 1 => name()];
    let params = prop::collection::btree_map(name, value, 0..6);
    let tally: RefCell<BTreeMap<String, usize>> = RefCell::default();
    let account = w.app.store.account("testid").unwrap();
    let snapshot = || serde_json::to_string(&account.state.read().regions).expect("the state serializes");
    proptest!(config(1500), |(action in action, params in params, with_region in prop::bool::weighted(0.9), dice in any::<u64>())| {
        let mut p = Params::from_pairs(params);
        if with_region && p.get("RegionId").is_none() {
            p.push("RegionId".into(), "cn-hangzhou".into()).unwrap();
        }
        // The action's own parameters, mostly with fitting values.
        let mut d = dice;
        let mut roll = |n: u64| { d = d.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (d >> 33) % n.max(1) };
        for n in focus(action) {
            if p.get(n).is_some() || roll(10) < 3 {
                continue;
            }
            let fit = fitting(n, &w.values);
            let v = if !fit.is_empty() && roll(10) < 8 { fit[roll(fit.len() as u64) as usize] } else { JUNK[roll(JUNK.len() as u64) as usize] };
            p.push((*n).into(), v.into()).unwrap();
        }
        account.state.write().settle(w.now);
        let before = snapshot();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run(&w, action, &p)));
        let result = match outcome {
            Ok(r) => r,
            Err(_) => return Err(TestCaseError::fail(format!("{action} panicked on {p:?}"))),
        };
        if let Err(e) = &result {
            assert_documented(e).map_err(|f| TestCaseError::fail(format!("{action} {p:?}: {f}")))?;
            let code = e.code().into_owned();
            if code != "DryRunOperation" {
                prop_assert!(snapshot() == before, "{} {:?} refused with {} but changed the state", action, p, code);
            }
            *tally.borrow_mut().entry(code).or_default() += 1;
        } else {
            *tally.borrow_mut().entry("ok".into()).or_default() += 1;
        }
    });
    let tally = tally.into_inner();
    // The vocabulary reaches past parsing: successes and the resource-level refusals happen.
    if config(1500).cases >= 1000 {
        assert!(tally.get("ok").copied().unwrap_or(0) > 20, "{tally:?}");
        assert!(tally.len() > 40, "only {} distinct outcomes: {tally:?}", tally.len());
    }
}
