//! Every gateway error the wire can produce: HTTP status, `Code`, and the error body's shape
//! (JSON `{RequestId, HostId, Code, Message, Recommend}` or XML `<Error>`).

use reqwest::Method;

use crate::harness::{raw_exchange, Server};
use crate::signer::{iso_now, nonce, sha256_hex, Req, Style};

fn no_action(style: Style) -> Req {
    Req { action: None, ..Req::new(style, "DescribeRegions") }
}

fn no_version(style: Style) -> Req {
    Req { version: None, ..Req::new(style, "DescribeRegions") }
}

fn acs3(action: &str) -> Req {
    Req::new(Style::Acs3Node, action)
}

/// `n` parameters `pN=1` as a form body.
fn many_params(n: usize) -> Vec<u8> {
    (0..n).map(|i| format!("p{i}=1")).collect::<Vec<_>>().join("&").into_bytes()
}

fn body(r: Req, raw: &[u8]) -> Req {
    Req { raw_body: Some(raw.to_vec()), ..r }
}

fn query(r: Req, raw: &str) -> Req {
    Req { raw_query: Some(raw.to_owned()), ..r }
}

/// (description, request, HTTP status, Code): one line per case, hence no rustfmt.
#[rustfmt::skip]
fn cases() -> Vec<(&'static str, Req, u16, &'static str)> {
    let vpcs = || Req::get("DescribeVpcs").region("cn-hangzhou");
    let py_core = || Req::new(Style::V1PostQuery, "DescribeVpcs").region("cn-hangzhou");
    vec![
        // Action / Version
        ("v1 without Action", no_action(Style::V1Get), 400, "MissingParameter"),
        ("ACS3 without x-acs-action", no_action(Style::Acs3Py), 400, "MissingParameter"),
        ("v1 without Version", no_version(Style::V1PostForm), 400, "MissingParameter"),
        ("ACS3 without x-acs-version", no_version(Style::Acs3Node), 400, "MissingParameter"),
        ("unknown action", Req::get("DescribeNothing"), 404, "InvalidAction.NotFound"),
        ("action names are case-sensitive", Req::get("describeRegions"), 404, "InvalidAction.NotFound"),
        ("ACS3 unknown action", acs3("DescribeNothing"), 404, "InvalidAction.NotFound"),
        ("other version", Req::get("DescribeRegions").set("Version", "2014-05-26"), 400, "InvalidVersion"),
        ("ACS3 other version", Req { version: Some("2014-05-26".into()), ..acs3("DescribeRegions") }, 400, "InvalidVersion"),
        // Method and Format
        ("PUT", Req::get("DescribeRegions").method(Method::PUT), 403, "UnsupportedHTTPMethod"),
        ("DELETE", Req::get("DescribeRegions").method(Method::DELETE), 403, "UnsupportedHTTPMethod"),
        ("Format=yaml", Req::get("DescribeRegions").set("Format", "yaml"), 400, "InvalidParameter.Format"),
        // Signature parameters
        ("without AccessKeyId", Req::get("DescribeRegions").unset("AccessKeyId"), 400, "MissingParameter"),
        ("without Signature", Req { unsigned: true, ..Req::get("DescribeRegions") }, 400, "MissingParameter"),
        ("without Timestamp", Req::get("DescribeRegions").unset("Timestamp"), 400, "MissingParameter"),
        ("without SignatureNonce", Req::get("DescribeRegions").unset("SignatureNonce"), 400, "MissingParameter"),
        ("without SignatureMethod", Req::get("DescribeRegions").unset("SignatureMethod"), 400, "MissingParameter"),
        ("SignatureMethod=HMAC-SHA256", Req::get("DescribeRegions").set("SignatureMethod", "HMAC-SHA256"), 400, "IncompleteSignature"),
        ("SignatureVersion=2.0", Req::get("DescribeRegions").set("SignatureVersion", "2.0"), 400, "IncompleteSignature"),
        ("ACS3 Authorization without SignedHeaders/Signature", acs3("DescribeRegions").header_after("Authorization", "ACS3-HMAC-SHA256 Credential=testid"), 400, "IncompleteSignature"),
        ("ACS3 Authorization with ';' separators", acs3("DescribeRegions").header_after("Authorization", "ACS3-HMAC-SHA256 Credential=testid;SignedHeaders=host;Signature=ab"), 400, "IncompleteSignature"),
        ("ACS3-HMAC-SM3", Req { algorithm: "ACS3-HMAC-SM3".into(), ..acs3("DescribeRegions") }, 400, "IncompleteSignature"),
        ("ACS3 without x-acs-signature-nonce", acs3("DescribeRegions").drop_header("x-acs-signature-nonce"), 400, "IncompleteSignature"),
        ("ACS3 without x-acs-date", acs3("DescribeRegions").drop_header("x-acs-date"), 400, "IncompleteSignature"),
        // Signatures
        ("v1 GET wrong secret", Req::get("DescribeRegions").creds("testid", "testsecreT"), 400, "SignatureDoesNotMatch"),
        ("v1 POST form wrong secret", Req::new(Style::V1PostForm, "DescribeRegions").creds("testid", "x"), 400, "SignatureDoesNotMatch"),
        ("v1 POST query wrong secret", Req::new(Style::V1PostQuery, "DescribeRegions").creds("testid", "x"), 400, "SignatureDoesNotMatch"),
        ("v1 other account's secret", Req::get("DescribeRegions").creds("testid", "testsecret2"), 400, "SignatureDoesNotMatch"),
        ("ACS3 (Python) wrong secret", Req::new(Style::Acs3Py, "DescribeRegions").creds("testid", "x"), 400, "SignatureDoesNotMatch"),
        ("ACS3 (Node) wrong secret", acs3("DescribeRegions").creds("testid", "x"), 400, "SignatureDoesNotMatch"),
        ("ACS3 signed value changed after signing", acs3("DescribeRegions").header_after("x-acs-action", "DescribeZones"), 400, "SignatureDoesNotMatch"),
        ("ACS3 body hash mismatch", Req { acs3_form: vec![("RegionId".into(), "cn-hangzhou".into())], content_sha256: Some(sha256_hex(b"")), ..acs3("DescribeVpcs") }, 400, "SignatureDoesNotMatch"),
        ("v1 unknown AccessKeyId", Req::get("DescribeRegions").creds("nobody", "testsecret"), 404, "InvalidAccessKeyId.NotFound"),
        ("ACS3 unknown AccessKeyId", acs3("DescribeRegions").creds("nobody", "testsecret"), 404, "InvalidAccessKeyId.NotFound"),
        // Timestamps
        ("Timestamp with a space", Req::get("DescribeRegions").timestamp("2024-01-01 00:00:00"), 400, "InvalidTimeStamp.Format"),
        ("Timestamp with an offset", Req::get("DescribeRegions").timestamp("2024-01-01T00:00:00+08:00"), 400, "InvalidTimeStamp.Format"),
        ("ACS3 x-acs-date malformed", acs3("DescribeRegions").timestamp("yesterday"), 400, "InvalidTimeStamp.Format"),
        ("Timestamp 20 minutes old", Req::get("DescribeRegions").timestamp(&iso_now(-20 * 60)), 400, "InvalidTimeStamp.Expired"),
        ("Timestamp 20 minutes ahead", Req::get("DescribeRegions").timestamp(&iso_now(20 * 60)), 400, "InvalidTimeStamp.Expired"),
        ("ACS3 x-acs-date 20 minutes old", acs3("DescribeRegions").timestamp(&iso_now(-20 * 60)), 400, "InvalidTimeStamp.Expired"),
        ("ACS3 x-acs-date 20 minutes ahead", acs3("DescribeRegions").timestamp(&iso_now(20 * 60)), 400, "InvalidTimeStamp.Expired"),
        // Encoding and limits
        ("bad %-escape in the query", query(vpcs(), "X=%zz"), 400, "InvalidParameter.Encoding"),
        ("truncated %-escape in the query", query(vpcs(), "X=%E6%8"), 400, "InvalidParameter.Encoding"),
        ("non-UTF-8 in the query", query(vpcs(), "X=%FF%FE"), 400, "InvalidParameter.Encoding"),
        ("non-UTF-8 raw bytes in a form body", body(py_core(), b"X=\xff\xfe"), 400, "InvalidParameter.Encoding"),
        ("empty parameter name", query(vpcs(), "=x"), 400, "InvalidParameter.Encoding"),
        ("same param in query and body", query(Req::new(Style::V1PostForm, "DescribeVpcs").region("cn-hangzhou"), "RegionId=cn-hangzhou"), 400, "InvalidParameter.Duplicate"),
        ("same param twice in the query", query(vpcs(), "RegionId=cn-beijing"), 400, "InvalidParameter.Duplicate"),
        ("1001 parameters", body(py_core(), &many_params(1001)), 400, "InvalidParameter.TooMany"),
        ("a value over 32 KiB", body(py_core(), format!("X={}", "a".repeat(32 * 1024 + 1)).as_bytes()), 400, "InvalidParameter.TooLong"),
        // The action's own parameters
        ("DescribeVpcAttribute without VpcId", Req::get("DescribeVpcAttribute").region("cn-hangzhou"), 400, "MissingVpcId"),
        ("DescribeVpcAttribute with an empty VpcId", Req::get("DescribeVpcAttribute").region("cn-hangzhou").p("VpcId", ""), 400, "MissingVpcId"),
        ("DescribeVpcs without RegionId", Req::get("DescribeVpcs"), 400, "MissingRegionId"),
        ("CreateVSwitch without ZoneId", Req::get("CreateVSwitch") .p("VpcId", "vpc-x") .p("CidrBlock", "172.16.0.0/24"), 400, "MissingZoneId"),
        ("unknown region", Req::get("DescribeVpcs").region("mars-north-1"), 404, "InvalidRegionId.NotFound"),
        ("ACS3 unknown region", acs3("DescribeVpcs").region("mars-north-1"), 404, "InvalidRegionId.NotFound"),
        ("PageSize not a number", vpcs().p("PageSize", "abc"), 400, "InvalidParameter"),
        ("PageSize over 50", vpcs().p("PageSize", "51"), 400, "InvalidParameter"),
        ("DryRun neither true nor false", vpcs().p("DryRun", "maybe"), 400, "InvalidParameter"),
        ("unknown VPC", Req::get("DescribeVpcAttribute") .region("cn-hangzhou") .p("VpcId", "vpc-nope"), 404, "InvalidVpcId.NotFound"),
        ("unknown vSwitch", Req::get("DescribeVSwitchAttributes") .region("cn-hangzhou") .p("VSwitchId", "vsw-nope"), 404, "InvalidVSwitchId.NotFound"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_gateway_error_has_its_status_code_and_shape() {
    let server = Server::start().await;
    let cases = cases();
    assert!(cases.len() > 50);
    for (desc, req, status, code) in cases {
        let r = req.send(&server).await;
        assert_eq!((r.status, r.code().as_str()), (status, code), "{desc}: {}", r.text);
        r.err(status, code);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_parameter_names_the_parameter() {
    let server = Server::start().await;
    for (req, name) in [
        (no_action(Style::V1Get), "Action"),
        (no_version(Style::V1Get), "Version"),
        (Req::get("DescribeRegions").unset("AccessKeyId"), "AccessKeyId"),
        (Req::get("DescribeRegions").unset("Timestamp"), "Timestamp"),
        (Req { unsigned: true, ..Req::get("DescribeRegions") }, "Signature"),
    ] {
        let r = req.send(&server).await;
        r.err(400, "MissingParameter");
        assert!(r.message().contains(&format!("\"{name}\"")), "{}", r.text);
    }
    let r = Req::get("DescribeVpcAttribute").region("cn-hangzhou").send(&server).await;
    r.err(400, "MissingVpcId");
    assert_eq!(r.message(), "VpcId is mandatory for this action.");
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_signature_mismatch_carries_the_exact_string_to_sign() {
    let server = Server::start().await;
    for style in [Style::V1Get, Style::V1PostForm, Style::V1PostQuery, Style::V1PostSplit] {
        let r = Req::new(style, "DescribeVpcs")
            .region("cn-hangzhou")
            .p("VpcName", "a b*c~描述")
            .creds("testid", "wrong")
            .send(&server)
            .await;
        r.err(400, "SignatureDoesNotMatch");
        let msg = r.message();
        let (_, sts) = msg.split_once("server string to sign is:").unwrap_or_else(|| panic!("{style:?}: {msg}"));
        assert_eq!(sts, r.signed_text, "{style:?}");
        // py-core does Message.split(':')[1] and compares it with its own string-to-sign.
        assert_eq!(msg.split(':').nth(1), Some(r.signed_text.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nonces_are_single_use_but_only_once_accepted() {
    let server = Server::start().await;
    for style in crate::signer::Style::ALL {
        let n = nonce();
        let call = || Req::new(style, "DescribeRegions").nonce(&n);
        // A first use that fails the signature check does not consume the nonce.
        call().creds("testid", "wrong").send(&server).await.err(400, "SignatureDoesNotMatch");
        // Nor does an expired timestamp.
        call().timestamp(&iso_now(-20 * 60)).send(&server).await.err(400, "InvalidTimeStamp.Expired");
        call().send(&server).await.ok();
        call().send(&server).await.err(400, "SignatureNonceUsed");
        // Nonces are per AccessKeyId.
        call().creds("testid2", "testsecret2").send(&server).await.ok();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn request_ids_are_fresh_upper_case_uuids() {
    let server = Server::start().await;
    let a = Req::get("DescribeNothing").send(&server).await;
    let b = Req::get("DescribeNothing").send(&server).await;
    let (a, b) = (a.err(404, "InvalidAction.NotFound"), b.err(404, "InvalidAction.NotFound"));
    assert_ne!(a["RequestId"], b["RequestId"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn host_id_is_the_host_header_sent() {
    let server = Server::start().await;
    for req in [
        Req::get("DescribeNothing").host("vpc.aliyuncs.com"),
        acs3("DescribeNothing").host("vpc.cn-shanghai.aliyuncs.com"),
    ] {
        let r = req.send(&server).await;
        let v = r.err(404, "InvalidAction.NotFound");
        assert_ne!(v["HostId"], server.authority().as_str());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn xml_errors_have_an_error_root() {
    let server = Server::start().await;
    for (desc, req, status, code) in [
        ("unknown action", Req::get("DescribeNothing").set("Format", "XML"), 404, "InvalidAction.NotFound"),
        (
            "lower-case xml, wrong secret",
            Req::get("DescribeRegions").set("Format", "xml").creds("testid", "x"),
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "missing VpcId",
            Req::new(Style::V1PostForm, "DescribeVpcAttribute").region("cn-hangzhou").set("Format", "XML"),
            400,
            "MissingVpcId",
        ),
        (
            "unknown region",
            Req::get("DescribeVpcs").region("nowhere").set("Format", "XML").host("vpc.aliyuncs.com"),
            404,
            "InvalidRegionId.NotFound",
        ),
        ("PUT", Req::get("DescribeRegions").set("Format", "XML").method(Method::PUT), 403, "UnsupportedHTTPMethod"),
    ] {
        let r = req.send(&server).await;
        assert_eq!(r.status, status, "{desc}: {}", r.text);
        r.xml_err(status, code);
    }
    // The signature message survives XML escaping intact.
    let r = Req::get("DescribeRegions").set("Format", "XML").creds("testid", "x").send(&server).await;
    let msg = r.xml_field("Message").unwrap();
    assert!(msg.ends_with(&format!("server string to sign is:{}", r.signed_text)));
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_root_path_serves_the_api() {
    let server = Server::start().await;
    let prepared = Req::get("DescribeRegions").prepare(&server.authority());
    let path = prepared.path_and_query.replacen('/', "/v1/", 1);
    let r = server.send(&crate::signer::Prepared { path_and_query: path, ..prepared }).await;
    r.err(404, "InvalidAction.NotFound");
}

/// `RequestEntityTooLarge` is tested over a raw connection: the server answers (and closes) before
/// reading the body, so a client still writing may see a broken pipe instead of the answer.
#[tokio::test(flavor = "multi_thread")]
async fn a_declared_body_over_1_mib_is_refused_before_it_is_sent() {
    let server = Server::start().await;
    let head = format!(
        "POST /?Action=DescribeRegions HTTP/1.1\r\nHost: vpc.aliyuncs.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        (1 << 20) + 1
    );
    // Only the head: the answer must not wait for the body.
    let (status, headers, body) = raw_exchange(&server, head.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert_too_large(&headers, &body, "vpc.aliyuncs.com");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_body_over_1_mib_is_refused_too() {
    // No Content-Length: the limit applies while reading.
    let server = Server::start().await;
    let mut payload = format!(
        "POST /?Action=DescribeRegions HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.authority()
    )
    .into_bytes();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..17 {
        payload.extend(format!("{:x}\r\n", chunk.len()).bytes());
        payload.extend(&chunk);
        payload.extend(b"\r\n");
    }
    payload.extend(b"0\r\n\r\n");
    let (status, headers, body) = raw_exchange(&server, &payload).await;
    assert_eq!(status, 413, "{body}");
    assert_too_large(&headers, &body, &server.authority());
}

fn assert_too_large(headers: &[(String, String)], body: &str, host: &str) {
    let v: serde_json::Value = serde_json::from_str(body).expect("a JSON error");
    assert_eq!(v["Code"], "RequestEntityTooLarge");
    assert_eq!(v["HostId"], host);
    let header = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    assert_eq!(header("content-type"), Some(crate::harness::JSON_CT));
    assert_eq!(header("x-acs-request-id"), v["RequestId"].as_str());
}
