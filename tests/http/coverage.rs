//! The drift report (`GET /_emulator/coverage`) and `--strict-params`: parameters a signed request
//! carries that its action does not read, actions the emulator does not implement, what is never
//! "unknown" (protocol and owner parameters, RegionId, ClientToken on writes), reset, and refusal.
//! (The SDK lane drives the same report with real SDK calls: sdk/python/test_coverage.py,
//! sdk/node/test/coverage.test.js.)

use aliyun_nat_emulator::config::ServeArgs;
use reqwest::Method;
use serde_json::Value;

use crate::harness::Server;
use crate::signer::{Req, Style};

async fn coverage(server: &Server, query: &str) -> Value {
    let r = server.raw(Method::GET, &format!("/_emulator/coverage{query}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

async fn vpc_count(server: &Server) -> u64 {
    Req::get("DescribeVpcs").region("cn-hangzhou").send(server).await.ok()["TotalCount"].as_u64().expect("TotalCount")
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_parameters_are_accepted_and_reported() {
    let server = Server::start().await;
    let empty = coverage(&server, "").await;
    assert_eq!(empty["ignored_parameters"], serde_json::json!({}));
    assert_eq!(empty["unknown_actions"], serde_json::json!({}));
    assert_eq!(empty["strict_params"], false);
    assert_eq!(empty["implemented_actions"].as_u64(), Some(aliyun_nat_emulator::dispatch::ACTIONS.len() as u64));

    for (i, style) in Style::ALL.into_iter().enumerate() {
        let mut req = Req::new(style, "DescribeVpcs")
            .region("cn-hangzhou")
            .p("PageSize", "5")
            .p("Tag.1.Key", "env")
            .p("NewSdkParameter", "x")
            .p("Filter.1.Key", "k");
        if !style.is_acs3() {
            // (The ACS3 styles send, and may sign, their SDK's own User-Agent.)
            req = req.header_after("user-agent", &format!("drift-test/{i}"));
        }
        req.send(&server).await.ok();
    }
    let v = coverage(&server, "").await;
    let per = &v["ignored_parameters"]["DescribeVpcs"];
    let keys: Vec<&String> = per.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["Filter.1.Key", "NewSdkParameter"], "{v}");
    let seen = &per["NewSdkParameter"];
    assert_eq!(seen["count"].as_u64(), Some(Style::ALL.len() as u64));
    assert_eq!(seen["refused"], 0);
    assert_eq!(seen["accounts"], serde_json::json!(["testid"]));
    let agents: Vec<&str> =
        seen["user_agents"].as_array().expect("user agents").iter().filter_map(|a| a.as_str()).collect();
    assert!(agents.contains(&"drift-test/0") && agents.contains(&"drift-test/1"), "{agents:?}");
    assert!(agents.len() <= aliyun_nat_emulator::coverage::MAX_AGENTS, "bounded: {agents:?}");
    assert!(seen["first_seen_ms"].as_u64() <= seen["last_seen_ms"].as_u64());
    assert!(seen["first_seen"].as_str().is_some_and(|t| t.ends_with('Z')));

    // ?action= narrows the report.
    let one = coverage(&server, "?action=CreateVpc").await;
    assert_eq!(one["ignored_parameters"], serde_json::json!({}));
    let bad = server.raw(Method::GET, "/_emulator/coverage?acton=x", None).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn protocol_owner_region_and_client_token_are_never_unknown() {
    let server = Server::start().await;
    for style in Style::ALL {
        Req::new(style, "CreateVpc")
            .region("cn-hangzhou")
            .p("ClientToken", &crate::signer::nonce())
            .p("OwnerId", "1")
            .p("OwnerAccount", "a")
            .p("ResourceOwnerId", "2")
            .p("ResourceOwnerAccount", "b")
            .send(&server)
            .await
            .ok();
    }
    Req::get("DescribeRegions").region("cn-hangzhou").send(&server).await.ok();
    let v = coverage(&server, "").await;
    assert_eq!(v["ignored_parameters"], serde_json::json!({}), "{v}");
    // ClientToken is a write's: on a read it is reported.
    Req::get("DescribeVpcs").region("cn-hangzhou").p("ClientToken", "t").send(&server).await.ok();
    let v = coverage(&server, "").await;
    assert_eq!(v["ignored_parameters"]["DescribeVpcs"]["ClientToken"]["count"], 1, "{v}");
    // DryRun on an action that does not read it is reported, not silently dropped.
    let r = Req::get("GetNatGatewayAttribute").region("cn-hangzhou").p("NatGatewayId", "ngw-x").p("DryRun", "true");
    r.send(&server).await;
    let v = coverage(&server, "?action=GetNatGatewayAttribute").await;
    assert_eq!(v["ignored_parameters"]["GetNatGatewayAttribute"]["DryRun"]["count"], 1, "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_actions_are_reported_and_unsigned_requests_are_not() {
    let server = Server::start().await;
    let r = Req::get("CreateVpcPeerConnection")
        .region("cn-hangzhou")
        .p("VpcId", "vpc-1")
        .p("AcceptingVpcId", "vpc-2")
        .header_after("user-agent", "future-sdk/9")
        .send(&server)
        .await;
    r.err(404, "InvalidAction.NotFound");
    let v = coverage(&server, "").await;
    let a = &v["unknown_actions"]["CreateVpcPeerConnection"];
    assert_eq!(a["count"], 1, "{v}");
    assert_eq!(a["parameters"], serde_json::json!(["AcceptingVpcId", "VpcId"]));
    assert_eq!(a["user_agents"], serde_json::json!(["future-sdk/9"]));
    // A request whose signature fails says nothing about what the action reads.
    Req::get("DescribeVpcs")
        .region("cn-hangzhou")
        .p("Sneaky", "1")
        .creds("testid", "wrong")
        .send(&server)
        .await
        .err(400, "SignatureDoesNotMatch");
    let v = coverage(&server, "").await;
    assert_eq!(v["ignored_parameters"], serde_json::json!({}), "{v}");
}

async fn drift(server: &Server) {
    Req::get("DescribeVpcs").region("cn-hangzhou").p("Drift", "1").send(server).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_resets_with_the_world() {
    let server = Server::start().await;
    drift(&server).await;
    // Resetting one account leaves the (emulator-wide) report.
    let r = server.raw(Method::POST, "/_emulator/reset", Some(r#"{"account":"testid2"}"#)).await;
    assert_eq!(r.status, 200);
    assert_eq!(coverage(&server, "").await["ignored_parameters"]["DescribeVpcs"]["Drift"]["count"], 1);
    let r = server.raw(Method::POST, "/_emulator/reset", None).await;
    assert_eq!(r.status, 200);
    let v = coverage(&server, "").await;
    assert_eq!(v["ignored_parameters"], serde_json::json!({}), "{v}");
    drift(&server).await;
    let r = server.raw(Method::DELETE, "/_emulator/coverage", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(coverage(&server, "").await["ignored_parameters"], serde_json::json!({}));
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_params_refuses_unknown_parameters() {
    let server = Server::with(ServeArgs { strict_params: true, ..ServeArgs::for_tests() }).await;
    let before = vpc_count(&server).await;
    for style in Style::ALL {
        let r = Req::new(style, "CreateVpc").region("cn-hangzhou").p("VpcNmae", "typo").send(&server).await;
        let e = r.err(400, "InvalidParameter");
        let m = e["Message"].as_str().expect("a message");
        assert!(m.contains("\"VpcNmae\"") && m.contains("CreateVpc") && m.contains("--strict-params"), "{m}");
    }
    assert_eq!(vpc_count(&server).await, before, "nothing was created");
    // Known parameters (with protocol and owner ones, ClientToken on a write) pass.
    let ok = Req::get("CreateVpc").region("cn-hangzhou").p("VpcName", "fine").p("ClientToken", "t-1").p("OwnerId", "1");
    ok.send(&server).await.ok();
    assert_eq!(vpc_count(&server).await, before + 1);
    let v = coverage(&server, "").await;
    assert_eq!(v["strict_params"], true);
    assert_eq!(v["ignored_parameters"]["CreateVpc"]["VpcNmae"]["refused"].as_u64(), Some(Style::ALL.len() as u64));
    assert_eq!(v["refused_requests"].as_u64(), Some(Style::ALL.len() as u64));
    // XML callers get the same refusal in XML.
    let r = Req::get("DescribeVpcs").region("cn-hangzhou").set("Format", "XML").p("Extra", "1").send(&server).await;
    r.xml_err(400, "InvalidParameter");
}

#[tokio::test(flavor = "multi_thread")]
async fn known_parameters_are_listed() {
    let server = Server::start().await;
    let r = server.raw(Method::GET, "/_emulator/coverage/known?action=CreateNatGateway", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    let names: Vec<&str> =
        v["actions"]["CreateNatGateway"].as_array().expect("a list").iter().filter_map(|n| n.as_str()).collect();
    for n in ["VpcId", "VSwitchId", "Tag.N.Key", "BandwidthPackage.N.IpCount", "ClientToken"] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(!names.contains(&"Signature"), "protocol parameters are listed once, under common");
    assert!(v["common"].as_array().expect("a list").iter().any(|n| n == "RegionId"));
    let all = server.raw(Method::GET, "/_emulator/coverage/known", None).await.json();
    assert_eq!(all["actions"].as_object().map(|m| m.len()), Some(aliyun_nat_emulator::dispatch::ACTIONS.len()));
    let r = server.raw(Method::GET, "/_emulator/coverage/known?action=Nope", None).await;
    assert_eq!(r.status, 404);
}
