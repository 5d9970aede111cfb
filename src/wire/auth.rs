//! Who is calling, and is the request genuine: scheme detection, the timestamp window, nonce
//! replay protection and signature verification, in the check order of REAL-SERVICE §4.2.
//! A refused signature, timestamp or nonce also comes with a diagnosis for the request journal
//! ([`super::diagnose`]); the answer to the client is the same either way.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::http::HeaderMap;
use parking_lot::Mutex;

use super::diagnose::{self, ClientSent, SignatureDebug};
use super::{signature_v1, signature_v3};
use crate::clock::{parse_iso, Millis};
use crate::error::ApiError;
use crate::ids::hash_str;
use crate::params::Params;
use crate::store::{Account, Store};

/// How far a request's timestamp may be from the server's clock (the real gateway: 15 minutes).
pub const WINDOW_MS: Millis = 15 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RPC v1, HMAC-SHA1, signature in the `Signature` parameter.
    V1,
    /// ACS3-HMAC-SHA256 in the `Authorization` header.
    Acs3,
    /// Neither (only accepted with `--auth off`).
    Unsigned,
}

pub fn detect(headers: &HeaderMap, params: &Params) -> Scheme {
    let acs3 =
        headers.get("authorization").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim_start().starts_with("ACS3-"));
    if acs3 {
        Scheme::Acs3
    } else if params.get("Signature").is_some() {
        Scheme::V1
    } else {
        Scheme::Unsigned
    }
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Replay protection: nonces seen per AccessKeyId, remembered until their timestamp leaves the
/// window. Bounded: past `capacity` the oldest are forgotten first (a documented weakening,
/// never a growth without limit). Sharded so concurrent requests rarely contend.
pub struct NonceCache {
    shards: Vec<Mutex<NonceShard>>,
    per_shard: usize,
}

#[derive(Default)]
struct NonceShard {
    seen: HashMap<u64, Millis>,
    order: VecDeque<(Millis, u64)>,
}

const SHARDS: usize = 16;

impl NonceCache {
    pub fn new(capacity: usize) -> Self {
        NonceCache {
            shards: (0..SHARDS).map(|_| Mutex::new(NonceShard::default())).collect(),
            per_shard: (capacity / SHARDS).max(1),
        }
    }

    fn key(access_key_id: &str, nonce: &str) -> u64 {
        hash_str(access_key_id) ^ hash_str(nonce).rotate_left(17)
    }

    fn shard(&self, key: u64) -> &Mutex<NonceShard> {
        &self.shards[(key as usize) % SHARDS]
    }

    pub fn seen(&self, access_key_id: &str, nonce: &str, now: Millis) -> bool {
        let key = Self::key(access_key_id, nonce);
        let mut s = self.shard(key).lock();
        s.expire(now);
        s.seen.contains_key(&key)
    }

    /// Remembers a nonce until `expires`.
    pub fn record(&self, access_key_id: &str, nonce: &str, expires: Millis, now: Millis) {
        let key = Self::key(access_key_id, nonce);
        let mut s = self.shard(key).lock();
        s.expire(now);
        if s.seen.insert(key, expires).is_none() {
            s.order.push_back((expires, key));
        }
        while s.seen.len() > self.per_shard {
            match s.order.pop_front() {
                Some((_, k)) => {
                    s.seen.remove(&k);
                }
                None => break,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().seen.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        for s in &self.shards {
            let mut s = s.lock();
            s.seen.clear();
            s.order.clear();
        }
    }
}

impl NonceShard {
    fn expire(&mut self, now: Millis) {
        // Entries are mostly in expiry order (timestamps within the window); stop at the first
        // live one and let the capacity bound handle stragglers.
        while let Some(&(exp, key)) = self.order.front() {
            if exp > now {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&key) == Some(&exp) {
                self.seen.remove(&key);
            }
        }
    }
}

/// What a request proved about itself.
pub struct Authenticated {
    pub account: Arc<Account>,
}

/// Everything the verifier needs from the request.
pub struct Incoming<'a> {
    pub scheme: Scheme,
    pub method: &'a str,
    pub headers: &'a HeaderMap,
    /// Query parameters only (ACS3 signs these; the body is covered by its hash).
    pub query: &'a Params,
    /// Query ∪ form body (v1 signs all of them).
    pub all: &'a Params,
    pub body: &'a [u8],
}

/// A refused request: the error answered, and for the journal what went wrong with the signature.
#[derive(Debug)]
pub struct Refusal {
    pub error: ApiError,
    pub debug: Option<Box<SignatureDebug>>,
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal { error, debug: None }
    }
}

impl Refusal {
    fn with(error: ApiError, debug: SignatureDebug) -> Refusal {
        Refusal { error, debug: Some(Box::new(debug)) }
    }
}

/// Signature presence → timestamp → AccessKeyId → nonce → signature (REAL-SERVICE §4.2).
/// With `strict == false` (`--auth off`) only the AccessKeyId is looked at.
pub fn authenticate(
    req: &Incoming<'_>,
    store: &Store,
    nonces: &NonceCache,
    now: Millis,
    strict: bool,
) -> Result<Authenticated, ApiError> {
    authenticate_explained(req, store, nonces, now, strict).map_err(|r| r.error)
}

/// [`authenticate`], with a diagnosis of a refused signature, timestamp or nonce.
pub fn authenticate_explained(
    req: &Incoming<'_>,
    store: &Store,
    nonces: &NonceCache,
    now: Millis,
    strict: bool,
) -> Result<Authenticated, Refusal> {
    match req.scheme {
        Scheme::V1 => authenticate_v1(req, store, nonces, now, strict),
        Scheme::Acs3 => authenticate_acs3(req, store, nonces, now, strict),
        Scheme::Unsigned => {
            let ak = req.all.opt("AccessKeyId").ok_or(ApiError::MissingParameter("AccessKeyId".into()))?;
            if strict {
                return Err(ApiError::MissingParameter("Signature".into()).into());
            }
            let account = store.account(ak).ok_or(ApiError::InvalidAccessKeyIdNotFound)?;
            Ok(Authenticated { account })
        }
    }
}

fn check_timestamp(ts: &str, now: Millis) -> Result<Millis, ApiError> {
    let t = parse_iso(ts).ok_or(ApiError::InvalidTimeStampFormat)?;
    if t.abs_diff(now) > WINDOW_MS {
        return Err(ApiError::InvalidTimeStampExpired);
    }
    Ok(t)
}

/// [`check_timestamp`], explaining an expired timestamp as clock skew.
fn check_timestamp_explained(
    ts: &str,
    now: Millis,
    scheme: &'static str,
    ak: &str,
    method: &str,
    client: impl FnOnce() -> ClientSent,
) -> Result<Millis, Refusal> {
    check_timestamp(ts, now).map_err(|e| {
        if e != ApiError::InvalidTimeStampExpired {
            return e.into();
        }
        let skew = parse_iso(ts).map(|t| (t as i64 - now as i64) / 1000).unwrap_or(0);
        let why = format!(
            "the request's timestamp {ts} is {} s {} the server's wall clock; the window is ±{} s: fix the client's \
             clock (the emulator checks timestamps against the wall clock, not its virtual clock)",
            skew.abs(),
            if skew < 0 { "behind" } else { "ahead of" },
            WINDOW_MS / 1000
        );
        Refusal::with(e, diagnose::early(scheme, ak, method, client(), Some(skew), "clock_skew", why))
    })
}

fn nonce_refusal(scheme: &'static str, ak: &str, method: &str, client: ClientSent) -> Refusal {
    Refusal::with(
        ApiError::SignatureNonceUsed,
        diagnose::early(
            scheme,
            ak,
            method,
            client,
            None,
            "nonce_reused",
            "the SignatureNonce was used by an accepted request within the last 15 minutes: a client that retries \
             must sign again with a fresh nonce"
                .into(),
        ),
    )
}

fn authenticate_v1(
    req: &Incoming<'_>,
    store: &Store,
    nonces: &NonceCache,
    now: Millis,
    strict: bool,
) -> Result<Authenticated, Refusal> {
    const SCHEME: &str = "RPC v1 (HMAC-SHA1)";
    let p = req.all;
    let missing = |n: &'static str| ApiError::MissingParameter(n.into());
    let ak = p.opt("AccessKeyId").ok_or(missing("AccessKeyId"))?;
    if !strict {
        let account = store.account(ak).ok_or(ApiError::InvalidAccessKeyIdNotFound)?;
        return Ok(Authenticated { account });
    }
    let signature = p.opt("Signature").ok_or(missing("Signature"))?;
    let ts = p.opt("Timestamp").ok_or(missing("Timestamp"))?;
    let nonce = p.opt("SignatureNonce").ok_or(missing("SignatureNonce"))?;
    match p.opt("SignatureMethod") {
        Some("HMAC-SHA1") => {}
        Some(_) => return Err(ApiError::IncompleteSignature("SignatureMethod must be HMAC-SHA1.".into()).into()),
        None => return Err(missing("SignatureMethod").into()),
    }
    match p.opt("SignatureVersion") {
        Some("1.0") => {}
        Some(_) => return Err(ApiError::IncompleteSignature("SignatureVersion must be 1.0.".into()).into()),
        None => return Err(missing("SignatureVersion").into()),
    }
    let client = || ClientSent { timestamp: Some(ts.to_owned()), ..Default::default() };
    let t = check_timestamp_explained(ts, now, SCHEME, ak, req.method, client)?;
    let account = store.account(ak).ok_or(ApiError::InvalidAccessKeyIdNotFound)?;
    if nonces.seen(ak, nonce, now) {
        return Err(nonce_refusal(SCHEME, ak, req.method, client()));
    }
    let sts = signature_v1::string_to_sign(req.method, p);
    let expected = signature_v1::sign(&account.v1_mac, &sts);
    if !signature_v1::matches(&expected, signature) {
        let debug = diagnose::diagnose_v1(&diagnose::V1Input {
            method: req.method,
            all: p,
            query: req.query,
            access_key_id: ak,
            mac: &account.v1_mac,
            signature,
            server_sts: &sts,
        });
        // The message echoes the string to sign (as the real gateway does) with any security
        // token masked: a token never reaches an error message or the journal (issue 11).
        let string_to_sign = diagnose::mask_tokens(&sts, &diagnose::sent_tokens(p, |_| vec![]));
        return Err(Refusal::with(ApiError::SignatureDoesNotMatchV1 { string_to_sign }, debug));
    }
    nonces.record(ak, nonce, t.max(now) + WINDOW_MS, now);
    Ok(Authenticated { account })
}

fn authenticate_acs3(
    req: &Incoming<'_>,
    store: &Store,
    nonces: &NonceCache,
    now: Millis,
    strict: bool,
) -> Result<Authenticated, Refusal> {
    const SCHEME: &str = "ACS3-HMAC-SHA256";
    let authz = header_str(req.headers, "authorization")
        .ok_or(ApiError::IncompleteSignature("The Authorization header is not ASCII.".into()))?;
    let auth = signature_v3::parse_authorization(authz)?;
    if !strict {
        let account = store.account(&auth.access_key_id).ok_or(ApiError::InvalidAccessKeyIdNotFound)?;
        return Ok(Authenticated { account });
    }
    let incomplete = |d: &'static str| ApiError::IncompleteSignature(d.into());
    let date = header_str(req.headers, "x-acs-date").ok_or(incomplete("The x-acs-date header is required."))?;
    let nonce = header_str(req.headers, "x-acs-signature-nonce")
        .filter(|n| !n.is_empty())
        .ok_or(incomplete("The x-acs-signature-nonce header is required."))?;
    let content_hash = header_str(req.headers, "x-acs-content-sha256")
        .ok_or(incomplete("The x-acs-content-sha256 header is required."))?;
    for h in ["x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"] {
        if !auth.signed_headers.iter().any(|s| s == h) {
            return Err(ApiError::IncompleteSignature(format!("The {h} header must be signed.").into()).into());
        }
    }
    let client = || ClientSent {
        signed_headers: Some(auth.signed_headers.clone()),
        timestamp: Some(date.to_owned()),
        content_sha256: Some(content_hash.to_owned()),
        body_parameters: vec![],
    };
    let t = check_timestamp_explained(date, now, SCHEME, &auth.access_key_id, req.method, client)?;
    let account = store.account(&auth.access_key_id).ok_or(ApiError::InvalidAccessKeyIdNotFound)?;
    if nonces.seen(&auth.access_key_id, nonce, now) {
        return Err(nonce_refusal(SCHEME, &auth.access_key_id, req.method, client()));
    }
    let body_hash = signature_v3::sha256_hex(req.body);
    if !content_hash.eq_ignore_ascii_case(&body_hash) {
        return Err(Refusal::with(
            ApiError::SignatureDoesNotMatchV3 {
                detail: "The x-acs-content-sha256 header is not the SHA-256 of the body.".into(),
            },
            diagnose::early(
                SCHEME,
                &auth.access_key_id,
                req.method,
                client(),
                None,
                "content_hash_mismatch",
                format!(
                    "x-acs-content-sha256 is {content_hash} but the body's SHA-256 is {body_hash}: the client hashed \
                     another body than it sent (e.g. before form-encoding it)"
                ),
            ),
        ));
    }
    let header = |name: &str| -> Vec<String> {
        req.headers.get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect()
    };
    let cr = signature_v3::canonical_request(req.method, req.query, &auth.signed_headers, header, content_hash);
    let sts = signature_v3::string_to_sign(&cr);
    let expected = signature_v3::sign(&account.v3_mac, &sts);
    if !signature_v1::matches(&expected, &auth.signature.to_ascii_lowercase()) {
        let debug = diagnose::diagnose_acs3(&diagnose::Acs3Input {
            method: req.method,
            query: req.query,
            all: req.all,
            access_key_id: &auth.access_key_id,
            signed_headers: &auth.signed_headers,
            header: &header,
            content_sha256: content_hash,
            mac: &account.v3_mac,
            signature: &auth.signature,
            server_canonical_request: &cr,
            server_sts: &sts,
        });
        return Err(Refusal::with(
            ApiError::SignatureDoesNotMatchV3 {
                detail: format!("server string to sign is:{}", sts.replace('\n', "\\n")).into(),
            },
            debug,
        ));
    }
    nonces.record(&auth.access_key_id, nonce, t.max(now) + WINDOW_MS, now);
    Ok(Authenticated { account })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_cache_remembers_then_forgets() {
        let c = NonceCache::new(1024);
        assert!(!c.seen("a", "n1", 0));
        c.record("a", "n1", 100, 0);
        assert!(c.seen("a", "n1", 50));
        assert!(!c.seen("b", "n1", 50), "per AccessKeyId");
        assert!(!c.seen("a", "n1", 100), "expired");
    }

    #[test]
    fn nonce_cache_is_bounded() {
        let c = NonceCache::new(SHARDS * 4);
        for i in 0..10_000 {
            c.record("a", &i.to_string(), 1_000_000, 0);
        }
        assert!(c.len() <= SHARDS * 4);
    }
}
