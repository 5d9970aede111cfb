//! The control plane (issue 8) over real HTTP: state, clock, config, seed, faults and their report,
//! the request journal and signature debugger, accounts and per-account reset, init data, the
//! OpenAPI document, and every client subcommand of the binary.

use std::time::{Duration, Instant};

use aliyun_nat_emulator::config::ServeArgs;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::Server;
use crate::signer::{iso_now, nonce, rfc3986, v1_sign, Req, Style};

// ---- helpers -------------------------------------------------------------------------------

async fn get(server: &Server, path: &str) -> (u16, Value) {
    let r = server.raw(Method::GET, path, None).await;
    (r.status, if r.text.is_empty() { Value::Null } else { r.json() })
}

async fn post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    let r = server.raw(Method::POST, path, Some(&body.to_string())).await;
    (r.status, r.json())
}

async fn delete(server: &Server, path: &str) -> (u16, Value) {
    let r = server.raw(Method::DELETE, path, None).await;
    (r.status, r.json())
}

#[track_caller]
fn ok(r: (u16, Value)) -> Value {
    assert!((200..300).contains(&r.0), "expected success: {} {}", r.0, r.1);
    r.1
}

#[track_caller]
fn refused(r: (u16, Value), status: u16) -> String {
    assert_eq!(r.0, status, "{}", r.1);
    r.1["error"].as_str().unwrap_or_else(|| panic!("an {{\"error\"}} body: {}", r.1)).to_owned()
}

async fn create_vpc(server: &Server, ak: (&str, &str), region: &str) -> String {
    let v = Req::get("CreateVpc").region(region).creds(ak.0, ak.1).send(server).await.ok();
    v["VpcId"].as_str().expect("VpcId").to_owned()
}

async fn vpc_status(server: &Server, id: &str) -> String {
    let v = Req::get("DescribeVpcAttribute").region("cn-hangzhou").p("VpcId", id).send(server).await.ok();
    v["Status"].as_str().expect("Status").to_owned()
}

async fn vpc_count(server: &Server, ak: (&str, &str), region: &str) -> u64 {
    let v = Req::get("DescribeVpcs").region(region).p("PageSize", "50").creds(ak.0, ak.1).send(server).await.ok();
    v["TotalCount"].as_u64().expect("TotalCount")
}

const A: (&str, &str) = ("testid", "testsecret");
const B: (&str, &str) = ("testid2", "testsecret2");

// ---- state ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn state_dumps_every_resource_with_filters() {
    let server = Server::start().await;
    let vpc = create_vpc(&server, A, "cn-hangzhou").await;

    let all = ok(get(&server, "/_emulator/state").await);
    let accounts = all["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{all}");
    assert!(all["virtual_ms"].as_u64().is_some());
    assert!(accounts[0]["regions"]["cn-hangzhou"]["vpcs"][&vpc].is_object(), "{}", accounts[0]);
    assert!(!all.to_string().contains("testsecret"), "no secret in the state dump");

    let one = ok(get(&server, "/_emulator/state?account=testid&region=cn-hangzhou&type=vpc").await);
    let accounts = one["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["access_key_id"], "testid");
    let regions = accounts[0]["regions"].as_object().unwrap();
    assert_eq!(regions.keys().collect::<Vec<_>>(), ["cn-hangzhou"]);
    let kinds: Vec<&String> = regions["cn-hangzhou"].as_object().unwrap().keys().collect();
    assert_eq!(kinds, ["vpcs"]);
    assert_eq!(regions["cn-hangzhou"]["vpcs"].as_object().unwrap().len(), 2, "default VPC + the new one");

    let two = ok(get(&server, "/_emulator/state?account=testid2&type=NatGateways,vswitch").await);
    let kinds: Vec<&String> = two["accounts"][0]["regions"]["cn-beijing"].as_object().unwrap().keys().collect();
    assert_eq!(kinds, ["vswitches", "nat_gateways"]);
    assert!(two["accounts"][0]["regions"]["cn-hangzhou"]["vswitches"]
        .as_object()
        .unwrap()
        .values()
        .all(|v| v["vpc_id"] != vpc.as_str()));

    refused(get(&server, "/_emulator/state?type=router").await, 400);
    refused(get(&server, "/_emulator/state?account=nobody").await, 404);
    refused(get(&server, "/_emulator/state?region=mars-1").await, 404);
    refused(get(&server, "/_emulator/state?acount=testid").await, 400);
    refused(get(&server, "/_emulator/nothing-here").await, 404);
}

// ---- clock and config -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn virtual_clock_moves_lifecycles_but_not_timestamp_checks() {
    let server = Server::with(ServeArgs { transition_delay_ms: 60_000, ..ServeArgs::for_tests() }).await;
    let c = ok(get(&server, "/_emulator/clock").await);
    for k in ["wall", "wall_ms", "virtual", "virtual_ms", "offset_ms", "frozen"] {
        assert!(c.get(k).is_some(), "{k}: {c}");
    }
    assert_eq!(c["frozen"], false);

    let c = ok(post(&server, "/_emulator/clock", json!({"freeze": true})).await);
    assert_eq!(c["frozen"], true);
    let frozen_at = c["virtual_ms"].as_u64().unwrap();
    let vpc = create_vpc(&server, A, "cn-hangzhou").await;
    assert_eq!(vpc_status(&server, &vpc).await, "Pending");
    let c = ok(post(&server, "/_emulator/clock", json!({"advance_seconds": 59})).await);
    assert_eq!(c["virtual_ms"].as_u64().unwrap(), frozen_at + 59_000);
    assert_eq!(vpc_status(&server, &vpc).await, "Pending");
    ok(post(&server, "/_emulator/clock", json!({"advance_seconds": 1})).await);
    assert_eq!(vpc_status(&server, &vpc).await, "Available");

    // An hour ahead: lifecycles jump, and signed requests (wall-clock timestamps) still pass.
    let c = ok(post(&server, "/_emulator/clock", json!({"advance_seconds": 3600, "freeze": false})).await);
    assert_eq!(c["frozen"], false);
    assert!(c["offset_ms"].as_i64().unwrap() >= 3_600_000, "{c}");
    Req::get("DescribeRegions").send(&server).await.ok();

    refused(post(&server, "/_emulator/clock", json!({"advance_seconds": -1})).await, 400);
    refused(post(&server, "/_emulator/clock", json!({})).await, 400);
    refused(post(&server, "/_emulator/clock", json!({"rewind": 1})).await, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn delays_and_quotas_change_at_run_time() {
    let server = Server::start().await;
    let c = ok(get(&server, "/_emulator/config").await);
    assert_eq!(c["delays"]["vpc_create_ms"], 0);
    assert_eq!(c["quotas"]["vpcs_per_region"], 10);

    let c = ok(post(&server, "/_emulator/config", json!({"transition_delay_ms": 60_000})).await);
    let delays = c["delays"].as_object().unwrap();
    assert!(delays.iter().filter(|(k, _)| k.ends_with("_ms")).all(|(_, v)| v == 60_000), "{c}");
    let vpc = create_vpc(&server, A, "cn-hangzhou").await;
    assert_eq!(vpc_status(&server, &vpc).await, "Pending");

    let c = ok(post(&server, "/_emulator/config", json!({"delays": {"vpc_create_ms": 0}})).await);
    assert_eq!(c["delays"]["vpc_create_ms"], 0);
    assert_eq!(c["delays"]["nat_create_ms"], 60_000, "a partial change keeps the rest");
    let vpc = create_vpc(&server, A, "cn-hangzhou").await;
    assert_eq!(vpc_status(&server, &vpc).await, "Available");

    ok(post(&server, "/_emulator/config", json!({"quotas": {"vpcs_per_region": 1}})).await);
    Req::get("CreateVpc").region("cn-shanghai").send(&server).await.err(400, "QuotaExceeded.Vpc");

    refused(post(&server, "/_emulator/config", json!({"delays": {"vpc_ms": 1}})).await, 400);
    refused(post(&server, "/_emulator/config", json!({"delay": {}})).await, 400);
    refused(post(&server, "/_emulator/config", json!({"quotas": {"vpcs_per_region": -1}})).await, 400);
    assert_eq!(ok(get(&server, "/_emulator/config").await)["quotas"]["vpcs_per_region"], 1);
}

// ---- seed ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn seed_repeats_ids_and_request_ids() {
    let server = Server::start().await;
    let run = || async {
        ok(post(&server, "/_emulator/reset", json!({})).await);
        ok(post(&server, "/_emulator/seed", json!({"seed": 42})).await);
        let v = Req::get("CreateVpc").region("cn-hangzhou").send(&server).await.ok();
        (v["VpcId"].as_str().unwrap().to_owned(), v["RequestId"].as_str().unwrap().to_owned())
    };
    let first = run().await;
    Req::get("CreateVpc").region("cn-hangzhou").send(&server).await.ok();
    let second = run().await;
    assert_eq!(first, second);
    assert_eq!(ok(get(&server, "/_emulator/seed").await)["seed"], 42);
    ok(post(&server, "/_emulator/seed", json!({"seed": 43})).await);
    ok(post(&server, "/_emulator/reset", json!({})).await);
    let v = Req::get("CreateVpc").region("cn-hangzhou").send(&server).await.ok();
    assert_ne!(v["VpcId"].as_str().unwrap(), first.0);
    refused(post(&server, "/_emulator/seed", json!({"seed": "x"})).await, 400);
    refused(post(&server, "/_emulator/seed", json!({})).await, 400);
}

// ---- faults --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn injected_errors_never_change_state_and_are_reported() {
    let server = Server::start().await;
    let before = vpc_count(&server, A, "cn-hangzhou").await;
    let rule = ok(post(
        &server,
        "/_emulator/faults",
        json!({"match": {"action": "CreateVpc", "account": "testid"}, "error": "Throttling", "when": {"first": 2}}),
    )
    .await);
    let id = rule["id"].as_str().unwrap().to_owned();
    assert_eq!(rule["error"]["status"], 400);
    assert_eq!(rule["error"]["message"], "Request was denied due to request throttling.");

    // The same request three times, as a retrying client would send it.
    let call = || Req::get("CreateVpc").region("cn-hangzhou").p("Description", "retry me");
    let r = call().send(&server).await;
    r.err(400, "Throttling");
    assert_eq!(r.header("x-acs-retry-after"), Some("1"));
    assert_eq!(vpc_count(&server, A, "cn-hangzhou").await, before, "an injected fault changes nothing");
    tokio::time::sleep(Duration::from_millis(20)).await;
    call().send(&server).await.err(400, "Throttling");
    // Another account is not matched.
    Req::get("CreateVpc").region("cn-hangzhou").creds(B.0, B.1).send(&server).await.ok();
    tokio::time::sleep(Duration::from_millis(20)).await;
    call().send(&server).await.ok();
    assert_eq!(vpc_count(&server, A, "cn-hangzhou").await, before + 1);

    let list = ok(get(&server, "/_emulator/faults").await);
    assert_eq!(list["faults"][0]["matched"], 3);
    assert_eq!(list["faults"][0]["injected"], 2);

    let rep = ok(get(&server, "/_emulator/faults/report").await);
    let injected = rep["injected"].as_array().unwrap();
    assert_eq!(injected.len(), 2, "{rep}");
    for f in injected {
        assert_eq!(f["retried"], true, "{f}");
        assert!(f["backoff_ms"].as_f64().unwrap() >= 15.0, "{f}");
    }
    assert_eq!(injected[0]["retry_outcome"]["code"], "Throttling");
    assert_eq!(injected[1]["retry_outcome"]["status"], 200);
    let ep = &rep["episodes"][0];
    assert_eq!((ep["attempts"].as_u64(), ep["retries"].as_u64()), (Some(3), Some(2)), "{ep}");
    assert_eq!(ep["recovered"], true);
    assert_eq!(ep["backoffs_ms"].as_array().unwrap().len(), 2);
    assert_eq!(
        rep["rules"][0],
        json!({"rule": id, "injected": 2, "retried": 2, "not_retried": 0, "mean_backoff_ms": rep["rules"][0]["mean_backoff_ms"]})
    );
    assert_eq!(
        ok(get(&server, &format!("/_emulator/faults/report?rule={id}")).await)["injected"].as_array().unwrap().len(),
        2
    );

    // The journal notes the fault.
    let reqs = ok(get(&server, "/_emulator/requests?code=Throttling").await);
    assert_eq!(reqs["requests"].as_array().unwrap().len(), 2);
    assert_eq!(reqs["requests"][0]["fault"]["rules"], json!([id]));

    assert_eq!(ok(delete(&server, &format!("/_emulator/faults/{id}")).await)["deleted"], json!([id]));
    refused(delete(&server, &format!("/_emulator/faults/{id}")).await, 404);
    ok(delete(&server, "/_emulator/faults/report").await);
    assert_eq!(ok(get(&server, "/_emulator/faults/report").await)["episodes"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_matching_presets_and_when() {
    let server = Server::start().await;
    let vpc = create_vpc(&server, A, "cn-hangzhou").await;
    // resource_id + custom error + nth.
    ok(post(
        &server,
        "/_emulator/faults",
        json!({"match": {"resource_id": vpc, "region": "cn-hangzhou"}, "error": {"status": 418, "code": "Teapot", "message": "short and stout"}, "when": {"nth": 2}}),
    )
    .await);
    let attr = || Req::get("DescribeVpcAttribute").region("cn-hangzhou").p("VpcId", &vpc);
    attr().send(&server).await.ok();
    let r = attr().send(&server).await;
    r.err(418, "Teapot");
    assert_eq!(r.message(), "short and stout");
    attr().send(&server).await.ok();
    Req::get("DescribeVpcs").region("cn-hangzhou").send(&server).await.ok();
    ok(delete(&server, "/_emulator/faults").await);

    // Presets with their real status.
    for (preset, status) in [
        ("ServiceUnavailable", 503),
        ("InternalError", 500),
        ("OperationConflict", 409),
        ("TaskConflict", 400),
        ("IncorrectStatus.NATGW", 400),
        ("Throttling.User", 400),
    ] {
        ok(post(&server, "/_emulator/faults", json!({"match": {"action": "DescribeZones"}, "error": preset})).await);
        Req::get("DescribeZones").region("cn-hangzhou").send(&server).await.err(status, preset);
        ok(delete(&server, "/_emulator/faults").await);
    }

    // A seeded probability gives the same sequence twice.
    let mut runs = Vec::new();
    for _ in 0..2 {
        ok(post(
            &server,
            "/_emulator/faults",
            json!({"match": {"action": "DescribeRegions"}, "error": "Throttling", "when": {"probability": 0.5, "seed": 9}}),
        )
        .await);
        let mut seq = Vec::new();
        for _ in 0..16 {
            seq.push(Req::get("DescribeRegions").send(&server).await.status == 400);
        }
        runs.push(seq);
        ok(delete(&server, "/_emulator/faults").await);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].iter().any(|b| *b) && runs[0].iter().any(|b| !*b), "{:?}", runs[0]);

    for bad in [
        json!({}),
        json!({"error": "NoSuchPreset"}),
        json!({"error": "Throttling", "when": {"nth": 1, "first": 1}}),
        json!({"error": "Throttling", "match": {"acton": "X"}}),
        json!({"error": {"code": "X"}}),
    ] {
        refused(post(&server, "/_emulator/faults", bad).await, 400);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_latency_holds_no_lock() {
    let server = Server::start().await;
    ok(post(
        &server,
        "/_emulator/faults",
        json!({"match": {"action": "DescribeVpcs", "account": "testid"}, "latency_ms": 800}),
    )
    .await);
    let slow = {
        let req = Req::get("DescribeVpcs").region("cn-hangzhou").prepare(&server.authority());
        let client = server.client.clone();
        let url = server.url(&req.path_and_query);
        tokio::spawn(async move {
            let t = Instant::now();
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), t.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The same account's writes and the other account's reads go through meanwhile.
    let t = Instant::now();
    create_vpc(&server, A, "cn-hangzhou").await;
    vpc_count(&server, B, "cn-hangzhou").await;
    assert!(t.elapsed() < Duration::from_millis(500), "{:?}", t.elapsed());
    let (status, took) = slow.await.unwrap();
    assert_eq!(status, 200);
    assert!(took >= Duration::from_millis(800), "{took:?}");
    let reqs = ok(get(&server, "/_emulator/requests?action=DescribeVpcs&account=testid").await);
    assert_eq!(reqs["requests"][0]["fault"]["latency_ms"], 800);
    assert!(reqs["requests"][0]["duration_ms"].as_f64().unwrap() >= 800.0);
}

// ---- request journal and signature debugger --------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn journal_lists_filters_and_drops_secrets() {
    let server = Server::with(ServeArgs { journal_size: 5, ..ServeArgs::for_tests() }).await;
    let created = Req::get("CreateVpc").region("cn-hangzhou").p("Description", "journal me").send(&server).await.ok();
    let rid = created["RequestId"].as_str().unwrap().to_owned();
    Req::get("DescribeVpcs").region("cn-hangzhou").p("VpcId", "vpc-nope").send(&server).await.ok();
    Req::get("DescribeVpcAttribute")
        .region("cn-hangzhou")
        .p("VpcId", "vpc-nope")
        .send(&server)
        .await
        .err(404, "InvalidVpcId.NotFound");
    Req::new(Style::Acs3Py, "DescribeRegions").set("SecurityToken", "sts-token-value").send(&server).await.ok();

    let all = ok(get(&server, "/_emulator/requests").await);
    let list = all["requests"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(all["capacity"], 5);
    assert_eq!(list[0]["action"], "DescribeRegions", "newest first");
    assert_eq!(list[3]["request_id"], rid.as_str());
    assert!(list[3]["duration_ms"].as_f64().is_some());

    let one = ok(get(&server, &format!("/_emulator/requests/{rid}")).await);
    assert_eq!(one["action"], "CreateVpc");
    assert_eq!(one["account"], "testid");
    assert_eq!(one["region"], "cn-hangzhou");
    assert_eq!(one["status"], 200);
    assert_eq!(one["params"]["Description"], "journal me");
    assert_eq!(one["params"]["AccessKeyId"], "testid");
    assert!(one["params"].get("Signature").is_none(), "{one}");

    let errs = ok(get(&server, "/_emulator/requests?code=InvalidVpcId.NotFound").await);
    assert_eq!(errs["requests"].as_array().unwrap().len(), 1);
    assert_eq!(errs["requests"][0]["status"], 404);
    let oks = ok(get(&server, "/_emulator/requests?code=ok&limit=2").await);
    assert_eq!(oks["requests"].as_array().unwrap().len(), 2);
    let by_action = ok(get(&server, "/_emulator/requests?action=DescribeVpcs").await);
    assert_eq!(by_action["requests"].as_array().unwrap().len(), 1);
    let everything = server.raw(Method::GET, "/_emulator/requests?limit=100", None).await.text;
    assert!(!everything.contains("sts-token-value") && !everything.contains("testsecret"));
    for r in ok(get(&server, "/_emulator/requests").await)["requests"].as_array().unwrap() {
        let d = ok(get(&server, &format!("/_emulator/requests/{}", r["request_id"].as_str().unwrap())).await);
        assert!(!d.to_string().contains("sts-token-value"), "{d}");
    }

    // Bounded: the oldest go first.
    for _ in 0..5 {
        Req::get("DescribeRegions").send(&server).await.ok();
    }
    assert_eq!(ok(get(&server, "/_emulator/requests").await)["stored"], 5);
    refused(get(&server, &format!("/_emulator/requests/{rid}")).await, 404);
    refused(get(&server, "/_emulator/requests?limit=0").await, 400);
    ok(delete(&server, "/_emulator/requests").await);
    assert_eq!(ok(get(&server, "/_emulator/requests").await)["stored"], 0);
}

/// v1 pairs exactly as `Req::get(action)` sends them, for signing by hand.
fn v1_pairs(req: &Req) -> Vec<(String, String)> {
    let mut pairs = req.params.clone();
    for (k, v) in [
        ("Format", "JSON"),
        ("Version", "2016-04-28"),
        ("Action", req.action.as_deref().unwrap()),
        ("AccessKeyId", req.key_id.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", req.nonce.as_str()),
        ("Timestamp", req.timestamp.as_str()),
    ] {
        pairs.push((k.into(), v.into()));
    }
    pairs
}

/// A v1 string-to-sign with a faulty encoder applied at both levels.
fn faulty_sts(method: &str, pairs: &[(String, String)], enc: fn(&str) -> String) -> String {
    let mut v: Vec<&(String, String)> = pairs.iter().collect();
    v.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let canon = v.iter().map(|(k, x)| format!("{}={}", enc(k), enc(x))).collect::<Vec<_>>().join("&");
    format!("{method}&%2F&{}", enc(&canon))
}

/// Sends `req` (v1 GET) signed over `signed` with `enc`, plus an optional extra form body.
async fn send_signed_by_hand(
    server: &Server,
    req: Req,
    method: &str,
    signed: &[(String, String)],
    enc: fn(&str) -> String,
    body: Option<&str>,
) -> String {
    let sig = v1_sign("testsecret", &faulty_sts(method, signed, enc));
    let mut req = Req { unsigned: true, ..req };
    req.raw_query = Some(format!("Signature={}", rfc3986(&sig)));
    if let Some(b) = body {
        req.raw_body = Some(b.as_bytes().to_vec());
        req = req.method(Method::POST);
    }
    let r = req.send(server).await;
    r.err(400, "SignatureDoesNotMatch");
    let rid = r.json()["RequestId"].as_str().unwrap().to_owned();
    let d = ok(get(server, &format!("/_emulator/requests/{rid}")).await);
    assert_eq!(d["code"], "SignatureDoesNotMatch");
    assert!(d["signature"]["server"]["string_to_sign"].as_str().unwrap().starts_with(if body.is_some() {
        "POST&"
    } else {
        "GET&"
    }));
    // No signature is ever journaled (issue 11): neither the client's nor the expected one.
    assert!(d["signature"]["client"].get("signature").is_none(), "{d}");
    assert!(!d.to_string().contains(sig.as_str()), "{d}");
    assert!(!d.to_string().contains("testsecret"));
    d["signature"]["likely_cause"]["code"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn signature_debugger_finds_the_likely_cause() {
    let server = Server::start().await;
    let good = |s: &str| rfc3986(s);
    let java = |s: &str| rfc3986(s).replace("%20", "+").replace("%2A", "*").replace('~', "%7E");
    let star = |s: &str| rfc3986(s).replace("%2A", "*");
    let tilde = |s: &str| rfc3986(s).replace('~', "%7E");
    let plus = |s: &str| rfc3986(s).replace("%20", "+");

    let base = || Req::get("DescribeVpcs").region("cn-hangzhou");
    for (desc, enc, cause) in [
        ("a*b", star as fn(&str) -> String, "star_not_encoded"),
        ("a~b", tilde, "tilde_encoded"),
        ("a b", plus, "space_as_plus"),
        ("a b*c~", java, "url_encoder"),
    ] {
        let req = base().p("VpcName", desc);
        let pairs = v1_pairs(&req);
        assert_eq!(send_signed_by_hand(&server, req, "GET", &pairs, enc, None).await, cause, "{desc}");
    }
    // Wrong method.
    let req = base();
    let pairs = v1_pairs(&req);
    assert_eq!(send_signed_by_hand(&server, req, "POST", &pairs, good, None).await, "wrong_method");
    // A form-body parameter left out of the signature.
    let req = base();
    let pairs = v1_pairs(&req);
    assert_eq!(
        send_signed_by_hand(&server, req, "POST", &pairs, good, Some("VpcName=from-body")).await,
        "parameter_not_signed"
    );
    // A query parameter left out.
    let req = base().p("VpcName", "x");
    let pairs: Vec<(String, String)> = v1_pairs(&req).into_iter().filter(|(k, _)| k != "VpcName").collect();
    assert_eq!(send_signed_by_hand(&server, req, "GET", &pairs, good, None).await, "parameter_not_signed");

    // Wrong secret, both schemes.
    for style in [Style::V1Get, Style::Acs3Py] {
        let r = Req::new(style, "DescribeRegions").creds("testid", "not-the-secret").send(&server).await;
        r.err(400, "SignatureDoesNotMatch");
        let rid = r.json()["RequestId"].as_str().unwrap().to_owned();
        let d = ok(get(&server, &format!("/_emulator/requests/{rid}")).await);
        assert_eq!(d["signature"]["likely_cause"]["code"], "secret_mismatch", "{d}");
        if style.is_acs3() {
            let cr = d["signature"]["server"]["canonical_request"].as_str().unwrap();
            assert!(cr.starts_with("POST\n/\n"), "{cr}");
            assert!(d["signature"]["client"]["signed_headers"].as_array().unwrap().contains(&json!("x-acs-date")));
        }
        let list = ok(get(&server, "/_emulator/requests?code=SignatureDoesNotMatch&limit=1").await);
        assert_eq!(list["requests"][0]["likely_cause"], "secret_mismatch");
    }

    // Clock skew and a reused nonce.
    let r = Req::get("DescribeRegions").timestamp(&iso_now(-3600)).send(&server).await;
    r.err(400, "InvalidTimeStamp.Expired");
    let d = ok(get(&server, &format!("/_emulator/requests/{}", r.json()["RequestId"].as_str().unwrap())).await);
    assert_eq!(d["signature"]["likely_cause"]["code"], "clock_skew");
    let skew = d["signature"]["clock_skew_seconds"].as_i64().unwrap();
    assert!((-3610..=-3590).contains(&skew), "{skew}");
    let n = nonce();
    Req::get("DescribeRegions").nonce(&n).send(&server).await.ok();
    let r = Req::get("DescribeRegions").nonce(&n).send(&server).await;
    r.err(400, "SignatureNonceUsed");
    let d = ok(get(&server, &format!("/_emulator/requests/{}", r.json()["RequestId"].as_str().unwrap())).await);
    assert_eq!(d["signature"]["likely_cause"]["code"], "nonce_reused");
}

// ---- accounts and isolation ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn accounts_are_listed_without_secrets_and_added_at_run_time() {
    let server = Server::start().await;
    let r = server.raw(Method::GET, "/_emulator/accounts", None).await;
    assert_eq!(r.status, 200);
    assert!(!r.text.contains("testsecret"), "{}", r.text);
    let ids: Vec<String> = r.json()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["access_key_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["testid", "testid2"]);
    assert!(r.json()["accounts"][0]["account_id"].as_u64().is_some());

    let added = post(
        &server,
        "/_emulator/accounts",
        json!({"access_key_id": "worker7", "access_key_secret": "s7", "name": "w7"}),
    )
    .await;
    assert_eq!(added.0, 201, "{}", added.1);
    assert_eq!(added.1["access_key_id"], "worker7");
    let uid = added.1["account_id"].as_u64().unwrap();
    assert_eq!(uid.to_string().len(), 16);
    let with_id = post(
        &server,
        "/_emulator/accounts",
        json!({"access_key_id": "worker8", "access_key_secret": "s8", "account_id": 1234}),
    )
    .await;
    assert_eq!((with_id.0, with_id.1["account_id"].as_u64()), (201, Some(1234)));

    // Its own default world, its own signatures.
    let w7 = ("worker7", "s7");
    let n = vpc_count(&server, w7, "cn-hangzhou").await;
    assert_eq!(n, 1);
    create_vpc(&server, w7, "cn-hangzhou").await;
    assert_eq!(vpc_count(&server, w7, "cn-hangzhou").await, 2);
    assert_eq!(vpc_count(&server, A, "cn-hangzhou").await, 1);
    Req::get("DescribeRegions").creds("worker7", "s8").send(&server).await.err(400, "SignatureDoesNotMatch");
    let v = Req::get("DescribeVpcs").region("cn-hangzhou").creds(w7.0, w7.1).send(&server).await.ok();
    assert_eq!(v["Vpcs"]["Vpc"][0]["OwnerId"].as_u64().unwrap_or(uid), uid);
    ok(post(&server, "/_emulator/reset", json!({"account": "worker7"})).await);
    assert_eq!(vpc_count(&server, w7, "cn-hangzhou").await, 1);

    refused(
        post(&server, "/_emulator/accounts", json!({"access_key_id": "worker7", "access_key_secret": "x"})).await,
        409,
    );
    refused(post(&server, "/_emulator/accounts", json!({"access_key_id": "w9"})).await, 400);
    refused(
        post(&server, "/_emulator/accounts", json!({"access_key_id": "has space", "access_key_secret": "x"})).await,
        400,
    );
    refused(
        post(&server, "/_emulator/accounts", json!({"access_key_id": "w9", "access_key_secret": "x", "secret": 1}))
            .await,
        400,
    );
    assert!(!server.raw(Method::GET, "/_emulator/accounts", None).await.text.contains("s7"));
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_workloads_and_resetting_one_account() {
    let server = std::sync::Arc::new(Server::start().await);
    let regions = ["cn-shanghai", "cn-beijing"];
    let before_a: u64 = vpc_count(&server, A, regions[0]).await + vpc_count(&server, A, regions[1]).await;

    // Account A creates 8 VPCs while account B creates and is reset, over and over.
    let sa = server.clone();
    let worker_a = tokio::spawn(async move {
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(create_vpc(&sa, A, regions[i % 2]).await);
        }
        ids
    });
    let sb = server.clone();
    let worker_b = tokio::spawn(async move {
        for i in 0..8 {
            create_vpc(&sb, B, regions[i % 2]).await;
            ok(post(&sb, "/_emulator/reset", json!({"account": "testid2"})).await);
        }
    });
    let ids = worker_a.await.unwrap();
    worker_b.await.unwrap();

    let after_a = vpc_count(&server, A, regions[0]).await + vpc_count(&server, A, regions[1]).await;
    assert_eq!(after_a, before_a + 8, "no write of account A was lost to B's resets");
    assert_eq!(vpc_count(&server, B, regions[0]).await, 1);
    assert_eq!(vpc_count(&server, B, regions[1]).await, 1);
    let state = ok(get(&server, "/_emulator/state?account=testid&type=vpc").await);
    for id in &ids {
        assert!(state.to_string().contains(id.as_str()), "{id}");
    }
}

// ---- init data ------------------------------------------------------------------------------

fn init_doc() -> Value {
    json!({
        "account": "testid",
        "resources": [
            {"action": "CreateVpc", "params": {"RegionId": "cn-hangzhou", "CidrBlock": "10.0.0.0/8", "VpcName": "init-vpc"}, "as": "vpc1"},
            {"action": "CreateVSwitch", "params": {"RegionId": "cn-hangzhou", "VpcId": "${vpc1.VpcId}", "ZoneId": "cn-hangzhou-h", "CidrBlock": "10.1.0.0/16"}, "as": "vsw1"},
            {"action": "CreateNatGateway", "params": {"RegionId": "cn-hangzhou", "VpcId": "${vpc1.VpcId}", "VSwitchId": "${vsw1.VSwitchId}", "NatType": "Enhanced", "Name": "gw-${vpc1.VpcId}", "Tag": [{"Key": "env", "Value": "init"}]}, "as": "gw1"},
            {"action": "AllocateEipAddress", "params": {"RegionId": "cn-hangzhou"}, "as": "eip1"},
            {"action": "AssociateEipAddress", "params": {"RegionId": "cn-hangzhou", "AllocationId": "${eip1.AllocationId}", "InstanceId": "${gw1.NatGatewayId}", "InstanceType": "Nat"}},
            {"account": "testid2", "action": "CreateVpc", "params": {"RegionId": "cn-beijing"}}
        ]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn init_file_creates_resources_through_the_api_code() {
    let dir = std::env::temp_dir().join(format!("nat-emulator-init-{}", nonce()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("init.json");
    std::fs::write(&path, init_doc().to_string()).unwrap();
    let server =
        Server::with(ServeArgs { init: Some(path.clone()), transition_delay_ms: 5000, ..ServeArgs::for_tests() }).await;

    let st = ok(get(&server, "/_emulator/state?account=testid&region=cn-hangzhou").await);
    let rs = &st["accounts"][0]["regions"]["cn-hangzhou"];
    let gws = rs["nat_gateways"].as_object().unwrap();
    assert_eq!(gws.len(), 1);
    let gw = gws.values().next().unwrap();
    assert_eq!(gw["status"], "Available", "init runs with no lifecycle delay: {gw}");
    let eip = rs["eips"].as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(eip["status"], "InUse", "{eip}");
    let vpcs = rs["vpcs"].as_object().unwrap();
    assert!(vpcs.values().any(|v| v["name"] == "init-vpc" && v["status"] == "Available"), "{vpcs:?}");
    assert_eq!(vpc_count(&server, B, "cn-beijing").await, 2);
    // The configured delay still applies to API calls.
    let vpc = create_vpc(&server, A, "cn-hangzhou").await;
    assert_eq!(vpc_status(&server, &vpc).await, "Pending");

    // YAML, and a failing item stops the start with its name.
    let yaml = dir.join("init.yaml");
    std::fs::write(
        &yaml,
        "resources:\n  - action: CreateVpc\n    params: {RegionId: cn-hangzhou}\n    as: v\n  - action: CreateVSwitch\n    as: bad\n    params:\n      VpcId: ${v.VpcId}\n      ZoneId: cn-hangzhou-h\n      CidrBlock: 192.168.0.0/16\n",
    )
    .unwrap();
    let e = aliyun_nat_emulator::App::new(&ServeArgs { init: Some(yaml.clone()), ..ServeArgs::for_tests() })
        .err()
        .expect("a failing init stops the start");
    assert!(e.contains("item 2 (CreateVSwitch as bad)") && e.contains("InvalidParameter"), "{e}");
    std::fs::write(&yaml, "- action: CreateVpc\n  params:\n    RegionId: cn-shanghai\n").unwrap();
    let app = aliyun_nat_emulator::App::new(&ServeArgs { init: Some(yaml), ..ServeArgs::for_tests() }).unwrap();
    assert_eq!(app.store.account("testid").unwrap().state.read().regions["cn-shanghai"].vpcs.len(), 2);
    std::fs::write(
        &path,
        r#"[{"action": "CreateVpc", "params": {"RegionId": "cn-hangzhou", "VpcId": "${nope.VpcId}"}}]"#,
    )
    .unwrap();
    let e = aliyun_nat_emulator::App::new(&ServeArgs { init: Some(path), ..ServeArgs::for_tests() }).err().unwrap();
    assert!(e.contains("item 1") && e.contains("nope"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);

    // The same document at run time.
    let r = ok(post(
        &server,
        "/_emulator/init",
        json!([{"action": "CreateVpc", "params": {"RegionId": "cn-shenzhen"}, "as": "x"}]),
    )
    .await);
    assert_eq!(r["applied"], 1);
    assert!(r["results"]["x"]["VpcId"].as_str().unwrap().starts_with("vpc-"));
    let e = refused(post(&server, "/_emulator/init", json!([{"action": "NoSuchAction"}])).await, 400);
    assert!(e.contains("item 1"), "{e}");
    refused(post(&server, "/_emulator/init", json!({"resources": [], "extra": 1})).await, 400);
}

// ---- OpenAPI ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn openapi_document_lists_every_route() {
    let server = Server::start().await;
    let doc = ok(get(&server, "/_emulator/openapi.json").await);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in aliyun_nat_emulator::control::ROUTES {
        let item = paths.get(*path).unwrap_or_else(|| panic!("{path} not in the document"));
        let op = item.get(method.to_lowercase()).unwrap_or_else(|| panic!("{method} {path} not in the document"));
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}");
        // Every listed route is served (not the control plane's 404 fallback, not 405).
        let concrete = path.replace("{id}", "flt-0").replace("{request_id}", "NONE");
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let body = if *method == "POST" { Some("{}") } else { None };
        let r = server.raw(m, &concrete, body).await;
        assert_ne!(r.status, 405, "{method} {path}");
        assert!(!r.text.contains("no such control endpoint"), "{method} {path}: {}", r.text);
    }
    // Every $ref resolves.
    let text = doc.to_string();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(doc["components"]["schemas"].get(name).is_some(), "{name}");
    }
}

// ---- subcommands -----------------------------------------------------------------------------

/// Runs the built binary with `args`; (exit code, stdout, stderr).
async fn bin(args: Vec<String>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_aliyun-nat-emulator"))
            .args(&args)
            .env_remove("NAT_EMULATOR_URL")
            .output()
            .expect("the binary runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

async fn cli_json(server: &Server, args: &[&str]) -> Value {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.push("--url".into());
    v.push(format!("http://{}", server.addr));
    let (code, out, err) = bin(v).await;
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn subcommands_drive_every_endpoint() {
    let server = Server::start().await;
    let vpc = create_vpc(&server, B, "cn-hangzhou").await;

    let st = cli_json(&server, &["state", "--account", "testid2", "--region", "cn-hangzhou", "--type", "vpc"]).await;
    assert!(st.to_string().contains(&vpc));

    let c = cli_json(&server, &["clock"]).await;
    assert_eq!(c["frozen"], false);
    let c = cli_json(&server, &["clock", "--freeze", "--advance", "2.5"]).await;
    assert_eq!(c["frozen"], true);
    let c2 = cli_json(&server, &["clock", "--unfreeze"]).await;
    assert!(c2["virtual_ms"].as_u64() >= c["virtual_ms"].as_u64());

    let cfg = cli_json(&server, &["config", "--transition-delay-ms", "7"]).await;
    assert_eq!(cfg["delays"]["nat_create_ms"], 7);
    let cfg = cli_json(&server, &["config", "--set", r#"{"quotas":{"vpcs_per_region":11}}"#]).await;
    assert_eq!(cfg["quotas"]["vpcs_per_region"], 11);
    assert_eq!(cli_json(&server, &["config"]).await["delays"]["vpc_create_ms"], 7);

    assert_eq!(cli_json(&server, &["seed", "77"]).await["seed"], 77);
    assert_eq!(cli_json(&server, &["seed"]).await["seed"], 77);

    let added =
        cli_json(&server, &["accounts", "add", "--access-key-id", "cli1", "--access-key-secret", "cli-secret"]).await;
    assert_eq!(added["access_key_id"], "cli1");
    let list = cli_json(&server, &["accounts"]).await;
    assert_eq!(list["accounts"].as_array().unwrap().len(), 3);
    assert!(!list.to_string().contains("cli-secret"));

    let rule = cli_json(
        &server,
        &["faults", "add", "--action", "DescribeZones", "--error", "ServiceUnavailable", "--first", "1"],
    )
    .await;
    assert_eq!(rule["error"]["status"], 503);
    let custom =
        cli_json(&server, &["faults", "add", "--json", r#"{"match":{"action":"DescribeRegions"},"latency_ms":1}"#])
            .await;
    Req::get("DescribeZones").region("cn-hangzhou").send(&server).await.err(503, "ServiceUnavailable");
    Req::get("DescribeZones").region("cn-hangzhou").send(&server).await.ok();
    let faults = cli_json(&server, &["faults", "list"]).await;
    assert_eq!(faults["faults"].as_array().unwrap().len(), 2);
    let rep = cli_json(&server, &["faults", "report"]).await;
    assert_eq!(rep["injected"][0]["retried"], true);
    let del = cli_json(&server, &["faults", "delete", custom["id"].as_str().unwrap()]).await;
    assert_eq!(del["deleted"], json!([custom["id"]]));
    cli_json(&server, &["faults", "delete", "--all"]).await;
    assert_eq!(cli_json(&server, &["faults"]).await["faults"], json!([]));

    let reqs = cli_json(&server, &["requests", "--limit", "2", "--code", "ServiceUnavailable"]).await;
    let rid = reqs["requests"][0]["request_id"].as_str().unwrap().to_owned();
    let one = cli_json(&server, &["requests", "--id", &rid]).await;
    assert_eq!(one["action"], "DescribeZones");
    cli_json(&server, &["requests", "--action", "DescribeZones", "--account", "testid"]).await;

    let reset = cli_json(&server, &["reset", "--account", "testid2"]).await;
    assert_eq!(reset["reset"], json!(["testid2"]));
    assert_eq!(vpc_count(&server, B, "cn-hangzhou").await, 1);
    assert_eq!(cli_json(&server, &["reset"]).await["reset"].as_array().unwrap().len(), 3);

    // Failures: a 4xx exits 1 with the error on stderr; an unreachable emulator too.
    let url = format!("http://{}", server.addr);
    let (code, _, err) = bin(vec!["requests".into(), "--id".into(), "NOPE".into(), "--url".into(), url.clone()]).await;
    assert_eq!(code, 1);
    assert!(err.contains("404"), "{err}");
    let (code, _, _) = bin(vec!["faults".into(), "delete".into(), "--url".into(), url.clone()]).await;
    assert_eq!(code, 2);
    let (code, _, err) = bin(vec!["state".into(), "--url".into(), "http://127.0.0.1:1".into()]).await;
    assert_eq!(code, 1, "{err}");

    // healthcheck, with a base URL or the full one.
    let (code, _, err) = bin(vec!["healthcheck".into(), "--url".into(), format!("{url}/_emulator/health")]).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = bin(vec!["healthcheck".into(), "--url".into(), url]).await;
    assert_eq!(code, 0, "{err}");
}
