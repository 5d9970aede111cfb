//! The HTTP-level fuzzer (issue 11): the real server in-process on 127.0.0.1:0, and a seeded stream
//! of requests — valid signed calls of every action in every wire style, mixed with mutations of
//! them (bytes flipped, values changed after signing, parameters dropped, duplicated, thousands of
//! them, huge and empty values, wrong types, invalid UTF-8 and percent-encoding, unknown actions,
//! other methods, paths, versions, formats, content types, timestamps, keys; bodies of megabytes,
//! huge headers, replays), raw malformed HTTP over TCP, and slow clients trickling heads and bodies
//! in the background. It asserts, as it goes:
//!
//! - no answer is a 5xx, and an API error is Alibaba-shaped;
//! - no panic anywhere in the process (a panic hook counts them), no `InternalError` in the request
//!   journal, the server answers its health check;
//! - the state dump (`GET /_emulator/state`) is unchanged by refused requests: it is compared with
//!   the last one taken after an accepted write, before every request that could change the state
//!   and at least every 64 refused requests.
//!
//! Bounded in count and time, 127.0.0.1 only. Quick by default (3,000 requests, a few seconds);
//! `NAT_EMULATOR_FUZZ_FULL=1` for the full run (100,000 requests; docs/reliability.md says how long
//! it takes). `NAT_EMULATOR_FUZZ_SEED=N` replays a run (the seed is printed at the start and in any
//! failure); `NAT_EMULATOR_FUZZ_REQUESTS=N` sets the count.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "http/harness.rs"]
mod harness;
#[path = "robustness/rng.rs"]
mod rng;
#[allow(dead_code)]
#[path = "http/signer.rs"]
mod signer;
#[allow(dead_code)]
#[path = "robustness/vocabulary.rs"]
mod vocabulary;
use rng::Rng;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aliyun_nat_emulator::config::ServeArgs;
use aliyun_nat_emulator::dispatch::{self, Kind, ACTIONS};
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use harness::Server;
use signer::{rfc3986, Prepared, Req, Style};
use vocabulary::{fitting, focus, strings, JUNK, NAMES};

/// Panics anywhere in this process (the server's tasks included) since the hook was set.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    });
}

impl Rng {
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// How the run is bounded.
struct Plan {
    seed: u64,
    requests: usize,
    budget: Duration,
}

impl Plan {
    fn from_env() -> Plan {
        let full = std::env::var("NAT_EMULATOR_FUZZ_FULL").is_ok_and(|v| v == "1");
        let seed = std::env::var("NAT_EMULATOR_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
        let requests = std::env::var("NAT_EMULATOR_FUZZ_REQUESTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if full { 100_000 } else { 3_000 });
        let budget = if full { Duration::from_secs(45 * 60) } else { Duration::from_secs(60) };
        Plan { seed, requests, budget }
    }
}

/// One generated request and what the fuzzer knows about it.
#[derive(Clone)]
struct Case {
    kind: &'static str,
    /// The action it names (for telling writes), if any.
    action: Option<String>,
    method: Method,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// A transport error (instead of an answer) is acceptable: the server may answer and close
    /// before the client has written everything (a body of megabytes).
    may_reset: bool,
}

impl Case {
    fn from(kind: &'static str, action: Option<&str>, p: Prepared) -> Case {
        Case {
            kind,
            action: action.map(str::to_owned),
            method: p.method,
            path_and_query: p.path_and_query,
            headers: p.headers,
            body: p.body,
            may_reset: false,
        }
    }

    fn is_write(&self) -> bool {
        self.action.as_deref().and_then(dispatch::find).is_some_and(|d| d.kind() == Kind::Write)
    }

    fn describe(&self) -> String {
        let q: String = self.path_and_query.chars().take(300).collect();
        let b = self.body.as_ref().map(|b| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned());
        format!(
            "[{}] {} {q} headers={:?} body={b:?}",
            self.kind,
            self.method,
            self.headers.iter().take(12).collect::<Vec<_>>()
        )
    }
}

/// What the live world offers: every short string of the last full dump (ids, addresses …), and
/// the resources of `testid` in cn-hangzhou, where writes go.
#[derive(Default)]
struct World {
    values: Vec<String>,
    local: Value,
}

impl World {
    fn update(&mut self, full: &str) {
        let v: Value = serde_json::from_str(&format!("{{{full}")).expect("the dump is JSON");
        self.values.clear();
        strings(&v, &mut self.values);
        self.values.sort();
        self.values.dedup();
        self.local = v["accounts"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["access_key_id"] == "testid"))
            .map(|a| a["regions"]["cn-hangzhou"].clone())
            .unwrap_or(Value::Null);
    }

    /// The local resources of one kind (`vpcs`, `nat_gateways` …).
    fn of(&self, kind: &str) -> Vec<&Value> {
        self.local[kind].as_object().map(|o| o.values().collect()).unwrap_or_default()
    }
}

/// The account and region a write goes to (`testid`, cn-hangzhou), or one that is refused.
const LOCAL: (&str, &str) = ("testid", "testsecret");

/// A signed call of `action` with parameters that mostly fit (or deliberately do not). Writes go
/// to `testid` in cn-hangzhou (or to a region that does not exist), always naming it, so that the
/// fuzzer knows what an accepted write may change; reads go anywhere.
fn valid_call(rng: &mut Rng, world: &World, action: &str) -> Req {
    let style = rng.pick(&Style::ALL);
    let write = dispatch::find(action).is_some_and(|d| d.kind() == Kind::Write);
    let (id, secret) = if write || rng.chance(90) { LOCAL } else { ("testid2", "testsecret2") };
    let mut req = Req::new(style, action).creds(id, secret);
    if rng.chance(50) {
        if let Some(scripted) = scripted(rng, world, action) {
            let mut req = req;
            for (k, v) in scripted {
                req = req.p(k, &v);
            }
            return req.region("cn-hangzhou");
        }
    }
    let mut names: Vec<&str> = vec![];
    // A write always names its region: DeleteVpc, DeleteVSwitch … without one act on the id in
    // whatever region holds it (RegionId is optional there), which this fuzzer would not expect.
    if write || rng.chance(95) {
        let region = if rng.chance(85) {
            "cn-hangzhou"
        } else if write {
            "nowhere"
        } else {
            rng.pick(&["cn-shanghai", "us-west-1", "nowhere", ""])
        };
        req = req.region(region);
        names.push("RegionId");
    }
    for n in focus(action) {
        if rng.chance(25) || names.contains(n) {
            continue;
        }
        let fit = fitting(n, &world.values);
        let v = if !fit.is_empty() && rng.chance(80) { rng.pick(&fit).to_string() } else { rng.pick(JUNK).to_string() };
        req = req.p(n, &v);
        names.push(n);
    }
    for _ in 0..rng.below(3) {
        let n = rng.pick(NAMES);
        if names.contains(&n) || n.starts_with("Signature") || n == "RegionId" {
            continue;
        }
        req = req.p(n, rng.pick(JUNK));
        names.push(n);
    }
    if rng.chance(5) {
        req = req.set("Format", "XML");
    }
    req
}

/// A random /24 (or /28) inside `cidr`.
fn block_in(rng: &mut Rng, cidr: &str, len: u8) -> String {
    let Some((addr, l)) = cidr.split_once('/') else { return "10.0.0.0/24".into() };
    let (Ok(addr), Ok(l)) = (addr.parse::<std::net::Ipv4Addr>(), l.parse::<u8>()) else { return "10.0.0.0/24".into() };
    let l = l.min(len);
    let base = u32::from(addr) & if l == 0 { 0 } else { u32::MAX << (32 - l) };
    let span = 1u64 << (len - l);
    let n = (rng.next() % span) as u32;
    let block = base | (n << (32 - len));
    format!("{}/{len}", std::net::Ipv4Addr::from(block))
}

/// An address inside `cidr` (not its first ones).
fn ip_in(rng: &mut Rng, cidr: &str) -> String {
    let b = block_in(rng, cidr, 28);
    let base: std::net::Ipv4Addr = b.split('/').next().unwrap_or("10.0.0.0").parse().unwrap_or([10, 0, 0, 0].into());
    std::net::Ipv4Addr::from(u32::from(base) + 4 + rng.below(8) as u32).to_string()
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

/// Parameters that make sense together for `action`, from the local resources (None when the
/// world has nothing to act on).
fn scripted(rng: &mut Rng, w: &World, action: &str) -> Option<Vec<(&'static str, String)>> {
    let vpcs = w.of("vpcs");
    let vsws = w.of("vswitches");
    let gws: Vec<&Value> = w.of("nat_gateways");
    let eips = w.of("eips");
    let fwds = w.of("forward_entries");
    let snats = w.of("snat_entries");
    let bound: Vec<&Value> = eips.iter().copied().filter(|e| e["binding"].is_object()).collect();
    let free: Vec<&Value> = eips.iter().copied().filter(|e| !e["binding"].is_object()).collect();
    let any =
        |rng: &mut Rng, v: &Vec<&Value>| -> Option<Value> { (!v.is_empty()).then(|| v[rng.below(v.len())].clone()) };
    let p = match action {
        "CreateVpc" => {
            vec![("CidrBlock", rng.pick(&["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "10.8.0.0/16"]).to_owned())]
        }
        "CreateVSwitch" => {
            let vpc = any(rng, &vpcs)?;
            let zone = vsws.first().map(|v| s(v, "zone_id")).unwrap_or_else(|| "cn-hangzhou-h".into());
            vec![("VpcId", s(&vpc, "id")), ("ZoneId", zone), ("CidrBlock", block_in(rng, &s(&vpc, "cidr"), 24))]
        }
        "CreateNatGateway" => {
            let vsw = any(rng, &vsws)?;
            vec![("VpcId", s(&vsw, "vpc_id")), ("VSwitchId", s(&vsw, "id")), ("NatType", "Enhanced".into())]
        }
        "AllocateEipAddress" => vec![("Bandwidth", rng.pick(&["5", "10", "100"]).to_owned())],
        "AssociateEipAddress" => {
            let (eip, gw) = (any(rng, &free)?, any(rng, &gws)?);
            vec![("AllocationId", s(&eip, "id")), ("InstanceId", s(&gw, "id")), ("InstanceType", "Nat".into())]
        }
        "UnassociateEipAddress" => {
            let eip = any(rng, &bound)?;
            let mut p = vec![
                ("AllocationId", s(&eip, "id")),
                ("InstanceId", eip["binding"]["instance_id"].as_str()?.to_owned()),
            ];
            p.push(("InstanceType", "Nat".into()));
            if rng.chance(50) {
                p.push(("Force", "true".into()));
            }
            p
        }
        "ReleaseEipAddress" | "ModifyEipAddressAttribute" => {
            let eip = any(rng, &eips)?;
            vec![("AllocationId", s(&eip, "id")), ("Name", format!("eip-{}", rng.below(100)))]
        }
        "CreateForwardEntry" => {
            let eip = any(rng, &bound)?;
            let gw = gws.iter().find(|g| g["id"] == eip["binding"]["instance_id"])?;
            let vpc = vpcs.iter().find(|v| v["id"] == gw["vpc_id"])?;
            let port = (1 + rng.below(65535)).to_string();
            let proto = rng.pick(&["TCP", "UDP"]).to_owned();
            vec![
                ("ForwardTableId", s(gw, "forward_table_id")),
                ("ExternalIp", s(&eip, "ip")),
                ("ExternalPort", port.clone()),
                ("InternalIp", ip_in(rng, &s(vpc, "cidr"))),
                ("InternalPort", port),
                ("IpProtocol", proto),
            ]
        }
        "ModifyForwardEntry" | "DeleteForwardEntry" => {
            let e = any(rng, &fwds)?;
            let mut p = vec![("ForwardTableId", s(&e, "table_id")), ("ForwardEntryId", s(&e, "id"))];
            if action == "ModifyForwardEntry" {
                p.push(("ForwardEntryName", format!("name{}", rng.below(100))));
            }
            p
        }
        "CreateSnatEntry" => {
            let eip = any(rng, &bound)?;
            let gw = gws.iter().find(|g| g["id"] == eip["binding"]["instance_id"])?;
            let vpc = vpcs.iter().find(|v| v["id"] == gw["vpc_id"])?;
            vec![
                ("SnatTableId", s(gw, "snat_table_id")),
                ("SnatIp", s(&eip, "ip")),
                ("SourceCIDR", block_in(rng, &s(vpc, "cidr"), 24)),
            ]
        }
        "ModifySnatEntry" | "DeleteSnatEntry" => {
            let e = any(rng, &snats)?;
            vec![("SnatTableId", s(&e, "table_id")), ("SnatEntryId", s(&e, "id"))]
        }
        "DeleteNatGateway" | "ModifyNatGatewayAttribute" | "GetNatGatewayAttribute" | "DescribeNatGateways" => {
            let gw = any(rng, &gws)?;
            let mut p = vec![("NatGatewayId", s(&gw, "id"))];
            if action == "DeleteNatGateway" && rng.chance(70) {
                p.push(("Force", "true".into()));
            }
            if action == "ModifyNatGatewayAttribute" {
                p.push(("Name", format!("gw{}", rng.below(100))));
            }
            p
        }
        "DeleteVSwitch" => vec![("VSwitchId", s(&any(rng, &vsws)?, "id"))],
        "DeleteVpc" | "DescribeVpcAttribute" => vec![("VpcId", s(&any(rng, &vpcs)?, "id"))],
        _ => return None,
    };
    Some(p)
}

fn pick_action(rng: &mut Rng) -> &'static str {
    // Creations more often than their share, so that the world grows and ids get used.
    let creators = [
        "CreateNatGateway",
        "AllocateEipAddress",
        "AssociateEipAddress",
        "CreateForwardEntry",
        "CreateSnatEntry",
        "CreateVSwitch",
        "CreateVpc",
    ];
    if rng.chance(30) {
        rng.pick(&creators)
    } else {
        rng.pick(ACTIONS).name
    }
}

/// Replaces the value of `name` in a query or form text (without re-signing).
fn replace_param(text: &str, name: &str, value: &str) -> String {
    text.split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k == name => format!("{k}={value}"),
            _ => kv.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn set_header(c: &mut Case, k: &str, v: &str) {
    c.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
    c.headers.push((k.to_owned(), v.to_owned()));
}

/// Mutations that re-sign: the signature is right, the content is odd.
const SIGNED: &[usize] = &[5, 6, 9, 14, 15, 18, 19, 20, 23];
/// Mutations after signing, and other breakage.
const BROKEN: &[usize] = &[0, 1, 2, 3, 4, 7, 8, 10, 11, 12, 13, 16, 17, 21, 22];

/// A signed call with one re-signed oddity (`signed`), or with one to three mutations that break
/// it (not re-signed, or not well-formed).
fn mutate(rng: &mut Rng, world: &World, authority: &str, signed: bool) -> Case {
    let action = pick_action(rng);
    let req = valid_call(rng, world, action);
    let mut c = Case::from("mutated", Some(action), req.prepare(authority));
    let rounds = if signed { 1 } else { 1 + rng.below(3) };
    for _ in 0..rounds {
        let mut op = if signed { rng.pick(SIGNED) } else { rng.pick(BROKEN) };
        // Bodies of megabytes and huge headers are slow to make and send: a quarter of their share.
        if (op == 11 || op == 17) && !rng.chance(25) {
            op = 4;
        }
        match op {
            0 => {
                // A byte of the query flipped.
                let mut q = c.path_and_query.clone().into_bytes();
                if q.len() > 2 {
                    let i = 2 + rng.below(q.len() - 2);
                    q[i] = rng.pick(b"%&=+aZ0~*");
                }
                c.path_and_query = String::from_utf8_lossy(&q).into_owned();
            }
            1 => {
                // A byte of the body flipped (any byte: invalid UTF-8 included).
                if let Some(b) = c.body.as_mut().filter(|b| !b.is_empty()) {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
            }
            2 => {
                // A protocol parameter dropped (after signing).
                let name = rng.pick(&[
                    "Signature",
                    "Timestamp",
                    "Action",
                    "Version",
                    "AccessKeyId",
                    "SignatureNonce",
                    "SignatureMethod",
                    "RegionId",
                ]);
                let drop = |t: &str| {
                    t.split('&').filter(|kv| !kv.starts_with(&format!("{name}="))).collect::<Vec<_>>().join("&")
                };
                c.path_and_query = drop(&c.path_and_query);
                if let Some(b) = &c.body {
                    c.body = Some(drop(&String::from_utf8_lossy(b)).into_bytes());
                }
                if rng.chance(50) {
                    c.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization") && !k.starts_with("x-acs-date"));
                }
            }
            3 => {
                // A parameter twice (query, or query and body).
                let dup = format!("RegionId={}", rfc3986(rng.pick(JUNK)));
                if rng.chance(50) || c.body.is_none() {
                    c.path_and_query.push_str(if c.path_and_query.contains('?') { "&" } else { "?" });
                    c.path_and_query.push_str(&dup);
                    c.path_and_query.push('&');
                    c.path_and_query.push_str(&dup);
                } else {
                    let mut b = c.body.take().unwrap_or_default();
                    b.extend_from_slice(format!("&{dup}").as_bytes());
                    c.body = Some(b);
                    set_header(&mut c, "content-type", "application/x-www-form-urlencoded");
                }
            }
            4 => {
                // A value changed after signing.
                let v = rfc3986(rng.pick(JUNK));
                let name = rng.pick(&[
                    "RegionId",
                    "Action",
                    "Version",
                    "Format",
                    "Timestamp",
                    "AccessKeyId",
                    "SignatureNonce",
                ]);
                if let Some((path, q)) = c.path_and_query.split_once('?') {
                    c.path_and_query = format!("{path}?{}", replace_param(q, name, &v));
                }
            }
            5 => {
                // Huge and empty values, re-signed (the signature is right).
                let huge = "v".repeat(if rng.chance(50) { 32 * 1024 } else { 32 * 1024 + 1 });
                let mut r = valid_call(rng, world, action);
                r = r.p("Description", if rng.chance(50) { &huge } else { "" }).p("Name", "");
                if r.style == Style::V1Get && rng.chance(50) {
                    r.style = Style::V1PostForm; // URIs over 64 KiB are hyper's 414
                }
                c = Case::from("huge-or-empty", Some(action), r.prepare(authority));
            }
            6 => {
                // Thousands of parameters, re-signed.
                let mut r = valid_call(rng, world, action);
                r.style = Style::V1PostForm;
                let n = rng.pick(&[500usize, 985, 1001, 3000]);
                for i in 0..n {
                    r = r.p(&format!("Junk{i}"), "x");
                }
                c = Case::from("many-params", Some(action), r.prepare(authority));
            }
            7 => {
                // Invalid UTF-8 and broken percent-encoding.
                let bad = rng.pick(&["%FF%FE", "%C3%28", "%E6%8F", "%", "%4", "%G1", "%zz", "%00", "%ED%A0%80"]);
                let extra = format!("Bad={bad}");
                if c.body.is_some() && rng.chance(50) {
                    let mut b = c.body.take().unwrap();
                    b.extend_from_slice(format!("&{extra}").as_bytes());
                    if rng.chance(30) {
                        b.extend_from_slice(&[0xFF, 0xC0, b'=', 0x80]);
                    }
                    c.body = Some(b);
                    set_header(&mut c, "content-type", "application/x-www-form-urlencoded");
                } else {
                    c.path_and_query.push_str(if c.path_and_query.contains('?') { "&" } else { "?" });
                    c.path_and_query.push_str(&extra);
                }
            }
            8 => {
                // Unknown or random action, re-signed or not.
                let name = if rng.chance(50) {
                    rng.pick(&["DescribeInstances", "describeVpcs", "CreateNatGateway ", "", "Create%00Vpc", "../etc"])
                        .to_string()
                } else {
                    String::from_utf8_lossy(&{
                        let n = 1 + rng.below(12);
                        rng.bytes(n)
                    })
                    .into_owned()
                };
                let r = Req::new(rng.pick(&Style::ALL), &name).region("cn-hangzhou");
                c = Case::from("unknown-action", None, r.prepare(authority));
            }
            9 => {
                // Wrong Version, Format, signature method/version, re-signed.
                let (k, v) = rng.pick(&[
                    ("Version", "2014-05-26"),
                    ("Version", ""),
                    ("Format", "YAML"),
                    ("Format", "xml"),
                    ("SignatureMethod", "HMAC-SHA256"),
                    ("SignatureVersion", "2.0"),
                    ("SignatureType", "x"),
                ]);
                let r = valid_call(rng, world, action).set(k, v);
                c = Case::from("protocol-values", Some(action), r.prepare(authority));
            }
            10 => {
                // Wrong content types.
                let ct = rng.pick(&[
                    "application/json",
                    "text/plain",
                    "multipart/form-data; boundary=x",
                    "application/x-www-form-urlencoded; charset=latin1",
                    "APPLICATION/X-WWW-FORM-URLENCODED",
                    "",
                    "\u{7f}",
                ]);
                if c.body.is_none() || rng.chance(30) {
                    c.body = Some(b"{\"RegionId\":\"cn-hangzhou\"}".to_vec());
                }
                set_header(&mut c, "content-type", ct);
            }
            11 => {
                // A body of megabytes.
                let mb = 1 + rng.below(3);
                let mut b = b"RegionId=cn-hangzhou&Pad=".to_vec();
                b.resize(mb * 1024 * 1024 + rng.below(1000), b'a');
                c.body = Some(b);
                c.method = Method::POST;
                set_header(&mut c, "content-type", "application/x-www-form-urlencoded");
                c.may_reset = true;
                c.kind = "megabytes";
            }
            12 => {
                // Other methods.
                let methods = ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO"];
                c.method = Method::from_bytes(rng.pick(&methods).as_bytes()).unwrap();
            }
            13 => {
                // Other paths (never the control plane's: it may change state on purpose).
                let path = rng.pick(&["/x", "//", "/%00", "/vpc", "/%2e%2e/", "/index.html", "/?"]);
                let q = c.path_and_query.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default();
                c.path_and_query = format!("{path}?{q}");
            }
            14 => {
                // Timestamps: expired, future, malformed, re-signed.
                let ts = rng.pick(&[
                    "2001-01-01T00:00:00Z",
                    "2999-01-01T00:00:00Z",
                    "yesterday",
                    "2024-13-01T00:00:00Z",
                    "2024-02-30T00:00:00Z",
                    "",
                ]);
                let r = valid_call(rng, world, action).timestamp(ts);
                c = Case::from("timestamp", Some(action), r.prepare(authority));
            }
            15 => {
                // Unknown keys, wrong secrets, re-signed.
                let r = valid_call(rng, world, action);
                let r = if rng.chance(50) { r.creds("nobody", "x") } else { r.creds("testid", "testsecret2") };
                c = Case::from("credentials", Some(action), r.prepare(authority));
            }
            16 => {
                // Junk in the ACS3 headers.
                let (k, v) = rng.pick(&[
                    ("authorization", "ACS3-HMAC-SHA256 Credential=testid"),
                    ("authorization", "ACS3-HMAC-SM3 Credential=testid,SignedHeaders=host,Signature=00"),
                    ("authorization", "ACS3-HMAC-SHA256 ,,,="),
                    ("x-acs-content-sha256", "zz"),
                    ("x-acs-date", "not a date"),
                    ("x-acs-signature-nonce", ""),
                    ("x-acs-action", "DescribeVpcs"),
                    ("x-acs-version", "1999-01-01"),
                ]);
                set_header(&mut c, k, v);
            }
            17 => {
                // A huge header (over --max-header-bytes).
                set_header(&mut c, "x-pad", &"h".repeat(70 * 1024 + rng.below(20_000)));
            }
            18 => {
                // Wrong types for the action's own parameters, re-signed.
                let mut r = valid_call(rng, world, action);
                for n in focus(action).iter().take(4) {
                    r.params.retain(|(k, _)| k != n);
                    r = r.p(
                        n,
                        rng.pick(&["-1", "1.5", "true", "{}", "[]", "null", "0x10", "1e9", "NaN", "🙂", "\u{0}"]),
                    );
                }
                c = Case::from("wrong-types", Some(action), r.prepare(authority));
            }
            19 => {
                // ClientToken games: the same token with other parameters.
                let r = valid_call(rng, world, action).p("ClientToken", rng.pick(&["tok-1", "tok-2", "tok-3"]));
                c = Case::from("client-token", Some(action), r.prepare(authority));
            }
            20 => {
                // DryRun, re-signed.
                let r = valid_call(rng, world, action).p("DryRun", "true");
                c = Case::from("dry-run", Some(action), r.prepare(authority));
            }
            21 => {
                // Random bytes as the whole query.
                let junk: String = {
                    let n = 1 + rng.below(200);
                    rng.bytes(n)
                }
                .into_iter()
                .map(|b| format!("%{b:02X}"))
                .collect();
                c.path_and_query = format!("/?{junk}");
            }
            22 => {
                // A Host header of another name (ACS3 signs it).
                set_header(&mut c, "host", rng.pick(&["vpc.aliyuncs.com", "evil.example", "127.0.0.1:1"]));
            }
            _ => {
                // Every parameter name, one junk value each, re-signed.
                let mut r = valid_call(rng, world, action);
                for n in NAMES.iter().filter(|n| !n.starts_with("Signature") && **n != "RegionId") {
                    if rng.chance(30) {
                        r = r.p(n, rng.pick(JUNK));
                    }
                }
                c = Case::from("all-names", Some(action), r.prepare(authority));
            }
        }
    }
    c
}

/// Malformed HTTP and garbage, written on a raw connection.
fn raw_garbage(rng: &mut Rng, authority: &str) -> Vec<u8> {
    let host = authority;
    match rng.below(12) {
        0 => { let n = 1 + rng.below(2000); rng.bytes(n) },
        1 => format!("GET /?Action=DescribeRegions&X=\u{e9}\u{ff} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").into_bytes(),
        2 => {
            let mut v = b"GET /?A=".to_vec();
            v.extend_from_slice(&rng.bytes(50));
            v.extend_from_slice(format!(" HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").as_bytes());
            v
        }
        3 => format!("POST / HTTP/1.1\r\nhost: {host}\r\ncontent-length: 5\r\ncontent-length: 7\r\nconnection: close\r\n\r\nAction").into_bytes(),
        4 => format!("POST / HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\nconnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n").into_bytes(),
        5 => format!("POST / HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\ncontent-type: application/x-www-form-urlencoded\r\nconnection: close\r\n\r\n4\r\nA=b&\r\nFFFFFFFFFFFFFFFFFF\r\n").into_bytes(),
        6 => format!("GET / HTTP/1.1\r\nhost: {host}\r\nbad header line\r\nconnection: close\r\n\r\n").into_bytes(),
        7 => b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        8 => b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        9 => format!("GET /?Action=DescribeRegions HTTP/1.1\nhost: {host}\nconnection: close\n\n").into_bytes(),
        10 => format!("POST / HTTP/1.1\r\nhost: {host}\r\ncontent-length: -1\r\nconnection: close\r\n\r\n").into_bytes(),
        _ => format!("GET {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n", "/".repeat(70_000)).into_bytes(),
    }
}

/// Sends raw bytes and reads one answer (to its `Content-Length`, or until the server closes):
/// the status, if any. The write side stays open: hyper drops a request whose client half-closed.
async fn raw_send(addr: SocketAddr, bytes: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(end) = out.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&out[..end]).to_ascii_lowercase();
            let len = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok());
            if len.is_some_and(|n: usize| out.len() >= end + 4 + n) {
                break;
            }
        }
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&out[..out.len().min(64)]).into_owned();
    head.strip_prefix("HTTP/1.").and_then(|r| r.get(2..5)).and_then(|c| c.parse().ok())
}

/// A slow client: a head, or a body, trickled slower than the request timeout (never valid). It
/// stops writing once the server answers, and returns the answer's status.
async fn slow_client(addr: SocketAddr, body: bool, gap: Duration) -> Option<u16> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    let head: &[u8] =
        b"POST / HTTP/1.1\r\nhost: a\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 40\r\n\r\n";
    let (at_once, trickled): (&[u8], &[u8]) = if body {
        (head, b"Action=DescribeRegions&Version=2016-04-28")
    } else {
        (b"", b"GET /?Action=DescribeRegions&Version=2016-04-28 HTTP/1.1\r\nhost: a\r\nx-slow: 1\r\n\r\n")
    };
    s.write_all(at_once).await.ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    for b in trickled {
        tokio::select! {
            r = s.read(&mut buf) => {
                if let Ok(n) = r {
                    out.extend_from_slice(&buf[..n]);
                }
                break;
            }
            _ = tokio::time::sleep(gap) => {
                if s.write_all(&[*b]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let head = String::from_utf8_lossy(&out[..out.len().min(64)]).into_owned();
    head.strip_prefix("HTTP/1.1 ").and_then(|r| r.get(..3)).and_then(|c| c.parse().ok())
}

#[derive(Default)]
struct Stats {
    sent: usize,
    by_kind: BTreeMap<&'static str, usize>,
    by_status: BTreeMap<u16, usize>,
    codes: BTreeMap<String, usize>,
    resets: usize,
    /// Resets of testid to the world file's state (POST /_emulator/reset).
    resets_world: usize,
    /// Raw requests the connection closed on without an answer (hyper: an HTTP/2 preface …).
    raw_unanswered: usize,
    dumps: usize,
    dump_time: Duration,
    accepted_writes: usize,
    /// Mutation phases in which a mutated write was accepted all the same (a mutation that changed
    /// nothing the signature covers): their full-dump check excludes the written region (which
    /// the per-request check covers).
    partial_checks: usize,
    slow: Vec<Option<u16>>,
}

/// The server under test and the fuzzer's view of its state.
struct Fuzz {
    server: Server,
    client: reqwest::Client,
    plan: Plan,
    rng: Rng,
    stats: Stats,
    world: World,
    /// The full dump (from `"accounts"` on) everything so far is accounted for in.
    baseline: String,
    /// Accepted requests, replayed later (each must then be refused).
    accepted: Vec<Case>,
    /// testid's cn-hangzhou after the last request naming a write, and the requests since.
    last_local: String,
    since: Vec<String>,
}

impl Fuzz {
    fn fail(&self, msg: String) -> ! {
        panic!("fuzz seed {}: {msg}", self.plan.seed)
    }

    async fn dump(&mut self, path: &str) -> String {
        let t = Instant::now();
        let r = self.server.raw(Method::GET, path, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        self.stats.dumps += 1;
        self.stats.dump_time += t.elapsed();
        let at = r.text.find("\"accounts\":").expect("the accounts of the dump");
        r.text[at..].to_owned()
    }

    /// The full dump with `testid`'s cn-hangzhou left out (what a local write may change).
    fn without_local(full: &str) -> Value {
        let mut v: Value = serde_json::from_str(&format!("{{{full}")).expect("the dump is JSON");
        if let Some(accounts) = v["accounts"].as_array_mut() {
            for a in accounts.iter_mut().filter(|a| a["access_key_id"] == "testid") {
                a["regions"]["cn-hangzhou"] = Value::Null;
                a["pending_transitions"] = Value::Null;
                a["next_transition_ms"] = Value::Null;
            }
        }
        v
    }

    /// Sends a case and checks the answer: (status, Code).
    async fn send(&mut self, case: &Case, i: usize) -> (u16, Option<String>) {
        self.stats.sent += 1;
        *self.stats.by_kind.entry(case.kind).or_default() += 1;
        let mut rb = self.client.request(case.method.clone(), self.server.url(&case.path_and_query));
        for (k, v) in &case.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes());
            let value = reqwest::header::HeaderValue::from_bytes(v.as_bytes());
            if let (Ok(name), Ok(value)) = (name, value) {
                rb = rb.header(name, value);
            }
        }
        if let Some(b) = &case.body {
            rb = rb.body(b.clone());
        }
        let (status, text) = match rb.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.text().await.unwrap_or_default())
            }
            Err(_) if case.may_reset => {
                self.stats.resets += 1;
                return (0, None);
            }
            Err(e) => self.fail(format!("no answer ({e}) to request {i}: {}", case.describe())),
        };
        *self.stats.by_status.entry(status).or_default() += 1;
        if status >= 500 {
            self.fail(format!("request {i} answered {status}: {text}\n{}", case.describe()));
        }
        let mut code = None;
        if status >= 400 && !text.is_empty() && case.path_and_query.starts_with("/?") {
            let c = if text.starts_with('{') {
                let v: Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| self.fail(format!("not JSON ({e}): {text}")));
                for k in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
                    if !v[k].is_string() {
                        self.fail(format!("error without {k}: {text}\n{}", case.describe()));
                    }
                }
                v["Code"].as_str().unwrap_or_default().to_owned()
            } else {
                harness::xml_field(&text, "Code").unwrap_or_else(|| self.fail(format!("not an error body: {text}")))
            };
            *self.stats.codes.entry(c.clone()).or_default() += 1;
            code = Some(c);
        }
        if (200..300).contains(&status) {
            if case.kind == "replay" {
                self.fail(format!("a replayed request was accepted: {}", case.describe()));
            }
            if self.accepted.len() < 200 {
                self.accepted.push(case.clone());
            } else {
                let k = self.rng.below(self.accepted.len());
                self.accepted[k] = case.clone();
            }
        }
        (status, code)
    }

    /// testid's cn-hangzhou (where writes go), as `GET /_emulator/state?account=testid&region=…`
    /// shows it, serialized in-process (the endpoint copies the whole account first).
    fn local(&mut self) -> String {
        let t = Instant::now();
        let account = self.server.app.store.account("testid").expect("testid");
        let text = serde_json::to_string(&account.state.read().regions["cn-hangzhou"]).expect("serializes");
        self.stats.dumps += 1;
        self.stats.dump_time += t.elapsed();
        text
    }

    /// One request of a phase: true for an accepted write. After every request naming a write
    /// action, testid's cn-hangzhou is compared with its last snapshot unless that request was
    /// accepted: a refused request that changed it is caught at once (with the few reads and raw
    /// requests sent since the last snapshot, which cannot change anything either).
    async fn step(&mut self, i: usize, valid: bool) -> bool {
        let authority = self.server.authority();
        let roll = self.rng.below(100);
        let (status, case) = if !valid && roll < 10 {
            let bytes = raw_garbage(&mut self.rng, &authority);
            self.stats.sent += 1;
            *self.stats.by_kind.entry("raw").or_default() += 1;
            let status = raw_send(self.server.addr, &bytes).await;
            if status.is_none() {
                self.stats.raw_unanswered += 1;
            }
            if let Some(status) = status {
                *self.stats.by_status.entry(status).or_default() += 1;
                if status >= 500 {
                    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
                    self.fail(format!("raw request answered {status}: {text:?}"));
                }
            }
            (status.unwrap_or(0), None)
        } else {
            let case = if valid && self.rng.chance(60) {
                let action = pick_action(&mut self.rng);
                let req = valid_call(&mut self.rng, &self.world, action);
                Case::from("valid", Some(action), req.prepare(&authority))
            } else if valid {
                mutate(&mut self.rng, &self.world, &authority, true)
            } else if roll < 20 && !self.accepted.is_empty() {
                let mut c = self.accepted[self.rng.below(self.accepted.len())].clone();
                c.kind = "replay";
                c
            } else {
                mutate(&mut self.rng, &self.world, &authority, false)
            };
            let (status, _) = self.send(&case, i).await;
            (status, Some(case))
        };
        let write = case.as_ref().is_some_and(Case::is_write);
        let accepted_write = write && (200..300).contains(&status);
        let what = case.map(|c| c.describe().chars().take(400).collect::<String>()).unwrap_or_else(|| "raw".into());
        self.since.push(format!("#{i} {status} {what}"));
        if write {
            let now = self.local();
            if accepted_write {
                self.stats.accepted_writes += 1;
            } else if now != self.last_local {
                self.fail(format!("refused requests changed the state: {:?}", self.since));
            }
            self.last_local = now;
            self.since.clear();
        }
        accepted_write
    }

    /// `n` requests, then the full dump: unchanged outside testid's cn-hangzhou when a write was
    /// accepted, else unchanged altogether.
    async fn phase(&mut self, n: usize, valid: bool) {
        let first = self.stats.sent;
        let mut wrote = false;
        for k in 0..n {
            wrote |= self.step(first + k, valid).await;
        }
        let full = self.dump("/_emulator/state").await;
        if wrote {
            let (now, before) = (Self::without_local(&full), Self::without_local(&self.baseline));
            if now != before {
                let mut diffs = Vec::new();
                diff("", &before, &now, &mut diffs);
                self.fail(format!(
                    "requests {first}..{} changed the state outside testid's cn-hangzhou: {diffs:?}",
                    first + n
                ));
            }
            self.world.update(&full);
            if !valid {
                self.stats.partial_checks += 1;
            }
        } else if full != self.baseline {
            self.fail(format!("requests {first}..{}, all refused, changed the state", first + n));
        }
        self.baseline = full;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_the_http_surface() {
    count_panics();
    let plan = Plan::from_env();
    eprintln!(
        "fuzz: seed {} ({} requests, budget {:?}; replay with NAT_EMULATOR_FUZZ_SEED={})",
        plan.seed, plan.requests, plan.budget, plan.seed
    );
    let args = ServeArgs { request_timeout_ms: 1_000, journal_size: 2_000, ..ServeArgs::for_tests() };
    let server = Server::with(args).await;
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().unwrap();
    let mut f = Fuzz {
        server,
        client,
        rng: Rng(plan.seed),
        plan,
        stats: Stats::default(),
        world: World::default(),
        baseline: String::new(),
        accepted: vec![],
        last_local: String::new(),
        since: vec![],
    };
    f.last_local = f.local();
    f.baseline = f.dump("/_emulator/state").await;
    let full = f.baseline.clone();
    f.world.update(&full);
    let mut slow = tokio::task::JoinSet::new();
    let started = Instant::now();
    let mut next_check = 500;
    let mut next_reset = 10_000;
    while f.stats.sent < f.plan.requests {
        if started.elapsed() > f.plan.budget {
            eprintln!("fuzz: time budget reached after {} requests", f.stats.sent);
            break;
        }
        // Slow clients run beside the stream (a few at once).
        while let Some(r) = slow.try_join_next() {
            f.stats.slow.push(r.unwrap());
        }
        if slow.len() < 2 && f.rng.chance(30) {
            let body = f.rng.chance(50);
            let addr = f.server.addr;
            slow.spawn(async move { slow_client(addr, body, Duration::from_millis(150)).await });
        }
        let left = f.plan.requests - f.stats.sent;
        let n = (8 + f.rng.below(24)).min(left);
        f.phase(n, true).await;
        let left = f.plan.requests.saturating_sub(f.stats.sent);
        let n = (32 + f.rng.below(64)).min(left);
        if n > 0 {
            f.phase(n, false).await;
        }
        if f.stats.sent >= next_check {
            next_check += 500;
            check_alive(&f.server, &f.plan).await;
        }
        // A saturated world (every quota reached) makes every snapshot slow and most writes
        // refusals: back to the world file's state now and then (ids are never handed out again).
        if f.last_local.len() > 200_000 || f.stats.sent >= next_reset {
            next_reset = f.stats.sent + 10_000;
            let r = f.server.raw(Method::POST, "/_emulator/reset", Some(r#"{"account":"testid"}"#)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            f.stats.resets_world += 1;
            f.baseline = f.dump("/_emulator/state").await;
            let full = f.baseline.clone();
            f.world.update(&full);
            f.last_local = f.local();
        }
    }
    while let Some(r) = slow.join_next().await {
        f.stats.slow.push(r.unwrap());
    }
    check_alive(&f.server, &f.plan).await;
    let elapsed = started.elapsed();
    let st = &f.stats;
    eprintln!(
        "fuzz: seed {} — {} requests in {:.1} s; {} accepted writes; {} state snapshots compared ({:.1} s); {} \
         mutation phases with an accepted write; {} resets on megabyte bodies; {} raw requests closed unanswered; {} world resets; slow clients {:?}\n  by kind \
         {:?}\n  by status {:?}\n  {} distinct codes: {:?}",
        f.plan.seed,
        st.sent,
        elapsed.as_secs_f64(),
        st.accepted_writes,
        st.dumps,
        st.dump_time.as_secs_f64(),
        st.partial_checks,
        st.resets,
        st.raw_unanswered,
        st.resets_world,
        st.slow,
        st.by_kind,
        st.by_status,
        st.codes.len(),
        st.codes
    );
    assert!(!st.slow.is_empty() && st.slow.iter().all(|s| *s == Some(408)), "slow clients: {:?}", st.slow);
    if f.plan.requests >= 2_000 {
        // The stream reaches past the wire: accepted writes and many distinct refusals.
        assert!(st.accepted_writes >= 50, "only {} accepted writes", st.accepted_writes);
        assert!(st.codes.len() >= 50, "only {} distinct codes", st.codes.len());
    }
}

/// Where two JSON documents differ (paths, at most 20).
fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if out.len() >= 20 || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                diff(&format!("{path}/{k}"), x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}/{i}"), p, q, out);
            }
        }
        _ => out.push(format!("{path}: {} → {}", short(a), short(b))),
    }
}

fn short(v: &Value) -> String {
    v.to_string().chars().take(300).collect()
}

/// The server answers, nothing panicked, and the journal holds no InternalError.
async fn check_alive(server: &Server, plan: &Plan) {
    let h = server.raw(Method::GET, "/_emulator/health", None).await;
    assert_eq!(h.status, 200, "fuzz seed {}: health {}", plan.seed, h.text);
    let j = server.raw(Method::GET, "/_emulator/requests?code=InternalError", None).await;
    assert_eq!(j.status, 200);
    assert_eq!(j.json()["requests"].as_array().map(Vec::len), Some(0), "fuzz seed {}: {}", plan.seed, j.text);
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "fuzz seed {}: a panic (see the output above)", plan.seed);
}
