//! VPC and vSwitch behaviour over HTTP: lifecycles on the emulator's clock (advanced, never slept
//! on), account isolation, ClientToken idempotency, DryRun, and refusals that change nothing.

use aliyun_nat_emulator::config::ServeArgs;
use serde_json::Value;

use crate::harness::{without_request_id, Server};
use crate::signer::{Req, Style};

const DELAY_MS: u64 = 5000;

/// Lifecycles of `DELAY_MS` on a frozen clock: only `clock.advance` moves time.
async fn delayed_server() -> Server {
    let server = Server::with(ServeArgs { transition_delay_ms: DELAY_MS, ..ServeArgs::for_tests() }).await;
    server.app.clock.set_frozen(true);
    server
}

fn str_of(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}

async fn vpc_status(server: &Server, id: &str) -> String {
    let v = Req::get("DescribeVpcAttribute").region("cn-hangzhou").p("VpcId", id).send(server).await.ok();
    str_of(&v, "Status")
}

async fn vswitch_status(server: &Server, id: &str) -> String {
    let v = Req::get("DescribeVSwitchAttributes").region("cn-hangzhou").p("VSwitchId", id).send(server).await.ok();
    str_of(&v, "Status")
}

async fn describe_vpcs(server: &Server, key: (&str, &str)) -> Value {
    without_request_id(
        Req::get("DescribeVpcs").region("cn-hangzhou").p("PageSize", "50").creds(key.0, key.1).send(server).await.ok(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn vpc_and_vswitch_lifecycle() {
    let server = delayed_server().await;
    let created = Req::new(Style::Acs3Py, "CreateVpc")
        .region("cn-hangzhou")
        .p("CidrBlock", "10.0.0.0/8")
        .p("VpcName", "lifecycle")
        .send(&server)
        .await
        .ok();
    let vpc = str_of(&created, "VpcId");
    for k in ["VRouterId", "RouteTableId", "ResourceGroupId"] {
        assert!(!str_of(&created, k).is_empty(), "{k}");
    }
    assert_eq!(vpc_status(&server, &vpc).await, "Pending");
    // A Pending VPC takes no vSwitch and cannot be deleted.
    let vsw_req = || {
        Req::get("CreateVSwitch")
            .region("cn-hangzhou")
            .p("VpcId", &vpc)
            .p("ZoneId", "cn-hangzhou-h")
            .p("CidrBlock", "10.1.0.0/24")
    };
    vsw_req().send(&server).await.err(400, "IncorrectVpcStatus");
    Req::get("DeleteVpc").p("VpcId", &vpc).send(&server).await.err(400, "IncorrectVpcStatus");

    server.app.clock.advance(DELAY_MS - 1);
    assert_eq!(vpc_status(&server, &vpc).await, "Pending");
    server.app.clock.advance(1);
    assert_eq!(vpc_status(&server, &vpc).await, "Available");

    let vsw = str_of(&vsw_req().send(&server).await.ok(), "VSwitchId");
    assert!(vsw.starts_with("vsw-"), "{vsw}");
    assert_eq!(vswitch_status(&server, &vsw).await, "Pending");
    let attr = Req::get("DescribeVpcAttribute").region("cn-hangzhou").p("VpcId", &vpc).send(&server).await.ok();
    assert_eq!(attr["VSwitchIds"]["VSwitchId"], serde_json::json!([vsw]));
    Req::get("DeleteVSwitch").p("VSwitchId", &vsw).send(&server).await.err(400, "IncorrectVSwitchStatus");
    server.app.clock.advance(DELAY_MS);
    assert_eq!(vswitch_status(&server, &vsw).await, "Available");

    let r = Req::get("DeleteVpc").p("VpcId", &vpc).send(&server).await;
    r.err(400, "DependencyViolation.VSwitch");
    assert!(r.message().contains(&vsw), "{}", r.text);

    Req::new(Style::V1PostForm, "DeleteVSwitch").region("cn-hangzhou").p("VSwitchId", &vsw).send(&server).await.ok();
    Req::new(Style::Acs3Node, "DeleteVpc").region("cn-hangzhou").p("VpcId", &vpc).send(&server).await.ok();
    Req::get("DescribeVpcAttribute")
        .region("cn-hangzhou")
        .p("VpcId", &vpc)
        .send(&server)
        .await
        .err(404, "InvalidVpcId.NotFound");
    Req::get("DeleteVpc").p("VpcId", &vpc).send(&server).await.err(404, "InvalidVpcId.NotFound");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_virtual_clock_does_not_move_request_timestamps() {
    // Timestamps are signed with the caller's wall clock; advancing the emulator's clock by an hour
    // must not make fresh requests look expired.
    let server = delayed_server().await;
    server.app.clock.advance(60 * 60 * 1000);
    Req::get("DescribeRegions").send(&server).await.ok();
    Req::new(Style::Acs3Node, "DescribeRegions").send(&server).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_are_isolated() {
    let server = Server::start().await;
    let before2 = describe_vpcs(&server, ("testid2", "testsecret2")).await;
    let vpc = str_of(&Req::get("CreateVpc").region("cn-hangzhou").send(&server).await.ok(), "VpcId");
    assert_eq!(describe_vpcs(&server, ("testid2", "testsecret2")).await, before2);
    let other = |action: &str| Req::get(action).region("cn-hangzhou").p("VpcId", &vpc).creds("testid2", "testsecret2");
    other("DescribeVpcAttribute").send(&server).await.err(404, "InvalidVpcId.NotFound");
    other("DeleteVpc").send(&server).await.err(404, "InvalidVpcId.NotFound");
    other("CreateVSwitch")
        .p("ZoneId", "cn-hangzhou-h")
        .p("CidrBlock", "172.16.200.0/24")
        .send(&server)
        .await
        .err(404, "InvalidVpcId.NotFound");
    // Still there for its owner.
    vpc_status(&server, &vpc).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn client_token_makes_creates_idempotent() {
    let server = Server::start().await;
    let create =
        |name: &str| Req::get("CreateVpc").region("cn-hangzhou").p("VpcName", name).p("ClientToken", "token-1");
    let before = describe_vpcs(&server, ("testid", "testsecret")).await["TotalCount"].clone();
    let first = create("a").send(&server).await.ok();
    // A retry (new nonce, new timestamp, another signing style) returns the first reply.
    let again = Req { style: Style::Acs3Py, ..create("a") }.send(&server).await.ok();
    assert_eq!(without_request_id(first.clone()), without_request_id(again));
    let after = describe_vpcs(&server, ("testid", "testsecret")).await;
    assert_eq!(after["TotalCount"].as_u64().unwrap(), before.as_u64().unwrap() + 1);
    create("b").send(&server).await.err(400, "IdempotentParameterMismatch");
    // The token is per account.
    let theirs = create("a").creds("testid2", "testsecret2").send(&server).await.ok();
    assert_ne!(theirs["VpcId"], first["VpcId"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_changes_nothing() {
    let server = Server::start().await;
    let empty_vpc = str_of(&Req::get("CreateVpc").region("cn-hangzhou").send(&server).await.ok(), "VpcId");
    let before = describe_vpcs(&server, ("testid", "testsecret")).await;
    let default =
        before["Vpcs"]["Vpc"].as_array().unwrap().iter().find(|v| v["IsDefault"] == true).expect("a default VPC");
    let default_vsw = default["VSwitchIds"]["VSwitchId"][0].as_str().expect("a default vSwitch").to_owned();
    for (style, req) in [
        (Style::V1Get, Req::get("CreateVpc").region("cn-hangzhou")),
        (Style::Acs3Py, Req::get("DeleteVpc").p("VpcId", &empty_vpc)),
        (Style::V1PostQuery, Req::get("DeleteVSwitch").p("VSwitchId", &default_vsw)),
    ] {
        let r = Req { style, ..req.p("DryRun", "true") }.send(&server).await;
        r.err(400, "DryRunOperation");
    }
    assert_eq!(describe_vpcs(&server, ("testid", "testsecret")).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_requests_change_nothing() {
    let server = Server::start().await;
    let before = describe_vpcs(&server, ("testid", "testsecret")).await;
    let default_vpc = str_of(&before["Vpcs"]["Vpc"][0], "VpcId");
    let create = || Req::get("CreateVpc").region("cn-hangzhou");
    for (req, status, code) in [
        (create().p("CidrBlock", "10.0.0.0/30"), 400, "InvalidParameter"),
        (create().p("VpcName", "http://x"), 400, "InvalidVpcName.Malformed"),
        (create().p("Tag.1.Key", "aliyun-x"), 400, "InvalidTagKey"),
        (create().creds("testid", "wrong"), 400, "SignatureDoesNotMatch"),
        (create().timestamp(&crate::signer::iso_now(-3600)), 400, "InvalidTimeStamp.Expired"),
        (Req::get("DeleteVpc").p("VpcId", &default_vpc), 400, "DependencyViolation.VSwitch"),
        (
            Req::get("CreateVSwitch")
                .p("VpcId", &default_vpc)
                .p("ZoneId", "cn-hangzhou-h")
                .p("CidrBlock", "172.16.0.0/24"),
            400,
            "InvalidCidrBlock.Overlapped",
        ),
        (
            Req::get("CreateVSwitch")
                .p("VpcId", &default_vpc)
                .p("ZoneId", "cn-hangzhou-zz")
                .p("CidrBlock", "172.30.0.0/24"),
            404,
            "InvalidZoneId.NotFound",
        ),
    ] {
        req.send(&server).await.err(status, code);
    }
    assert_eq!(describe_vpcs(&server, ("testid", "testsecret")).await, before);
}
