//! The emulator's own endpoints (`/_emulator/health`, `/_emulator/reset`) and `--auth off`.

use aliyun_nat_emulator::config::{AuthMode, ServeArgs};
use reqwest::Method;

use crate::harness::Server;
use crate::signer::{Req, Style};

async fn vpc_count(server: &Server, id: &str, secret: &str) -> u64 {
    Req::get("DescribeVpcs").region("cn-hangzhou").creds(id, secret).send(server).await.ok()["TotalCount"]
        .as_u64()
        .expect("TotalCount")
}

async fn create_vpc(server: &Server, id: &str, secret: &str) {
    Req::get("CreateVpc").region("cn-hangzhou").creds(id, secret).send(server).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn health_answers_get_and_head() {
    let server = Server::start().await;
    let r = server.raw(Method::GET, "/_emulator/health", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").is_some_and(|ct| ct.starts_with("application/json")));
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["uptime_seconds"].as_f64().is_some_and(|s| s >= 0.0), "{v}");
    let r = server.raw(Method::HEAD, "/_emulator/health", None).await;
    assert_eq!(r.status, 200);
    assert!(r.text.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_all_and_reset_one() {
    let server = Server::start().await;
    let (a0, b0) =
        (vpc_count(&server, "testid", "testsecret").await, vpc_count(&server, "testid2", "testsecret2").await);
    let grow = || async {
        create_vpc(&server, "testid", "testsecret").await;
        create_vpc(&server, "testid2", "testsecret2").await;
    };

    grow().await;
    let r = server.raw(Method::POST, "/_emulator/reset", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(vpc_count(&server, "testid", "testsecret").await, a0);
    assert_eq!(vpc_count(&server, "testid2", "testsecret2").await, b0);

    grow().await;
    let r = server.raw(Method::POST, "/_emulator/reset", Some(r#"{"account":"testid2"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["reset"], serde_json::json!(["testid2"]));
    assert!(r.json()["duration_us"].is_u64(), "{}", r.text);
    assert_eq!(vpc_count(&server, "testid", "testsecret").await, a0 + 1);
    assert_eq!(vpc_count(&server, "testid2", "testsecret2").await, b0);

    let r = server.raw(Method::POST, "/_emulator/reset", Some("{}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(vpc_count(&server, "testid", "testsecret").await, a0);
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_refusals() {
    let server = Server::start().await;
    create_vpc(&server, "testid", "testsecret").await;
    let before = vpc_count(&server, "testid", "testsecret").await;
    for (body, status) in [(r#"{"account":"nobody"}"#, 404), ("{not json", 400), (r#"{"acount":"testid"}"#, 400)] {
        let r = server.raw(Method::POST, "/_emulator/reset", Some(body)).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(r.json()["error"].is_string(), "{}", r.text);
    }
    assert_eq!(vpc_count(&server, "testid", "testsecret").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_off_accepts_any_signature_but_not_any_key() {
    let server = Server::with(ServeArgs { auth: AuthMode::Off, ..ServeArgs::for_tests() }).await;
    for style in Style::ALL {
        Req::new(style, "DescribeRegions").creds("testid", "wrong").send(&server).await.ok();
        Req::new(style, "DescribeRegions")
            .creds("nobody", "testsecret")
            .send(&server)
            .await
            .err(404, "InvalidAccessKeyId.NotFound");
    }
    // The AccessKeyId still picks the account.
    create_vpc(&server, "testid2", "whatever").await;
    assert_eq!(vpc_count(&server, "testid2", "x").await, vpc_count(&server, "testid", "y").await + 1);
    // An unsigned v1 request is accepted too.
    Req { unsigned: true, ..Req::get("DescribeRegions") }.send(&server).await.ok();
}
