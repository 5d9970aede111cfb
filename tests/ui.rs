//! The dashboard (`GET /_emulator/ui`, its fragment and request pages) and `POST /_emulator/nat/trace`
//! over real HTTP: the server in-process on 127.0.0.1:0, resources created through
//! `POST /_emulator/init` (the API's own code path). The browser-side check is `scripts/ui-check`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use aliyun_nat_emulator::config::ServeArgs;
use aliyun_nat_emulator::App;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

struct Server {
    base: String,
    client: reqwest::Client,
    _app: Arc<App>,
    _stop: oneshot::Sender<()>,
}

impl Server {
    async fn start() -> Server {
        Server::with(ServeArgs::for_tests()).await
    }

    async fn with(args: ServeArgs) -> Server {
        let app = App::new(&args).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(aliyun_nat_emulator::serve(app.clone(), listener, async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Server { base, client, _app: app, _stop: tx }
    }

    async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        (r.status().as_u16(), r.headers().clone(), r.text().await.unwrap())
    }

    async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let r = self.client.post(format!("{}{path}", self.base)).body(body.to_owned()).send().await.unwrap();
        let status = r.status().as_u16();
        (status, serde_json::from_str(&r.text().await.unwrap()).unwrap())
    }
}

/// A gateway with an InUse EIP and a DNAT entry tcp EIP:8080 → 10.1.0.10:80:
/// (gateway id, EIP id, EIP address, DNAT entry id, VPC id).
async fn world(s: &Server, gateway_name: &str) -> (String, String, String, String, String) {
    let doc = json!({"account": "testid", "resources": [
        {"action": "CreateVpc", "params": {"RegionId": "cn-hangzhou", "CidrBlock": "10.0.0.0/8"}, "as": "vpc"},
        {"action": "CreateVSwitch", "params": {"RegionId": "cn-hangzhou", "VpcId": "${vpc.VpcId}",
            "ZoneId": "cn-hangzhou-h", "CidrBlock": "10.1.0.0/16"}, "as": "vsw"},
        {"action": "CreateNatGateway", "params": {"RegionId": "cn-hangzhou", "VpcId": "${vpc.VpcId}",
            "VSwitchId": "${vsw.VSwitchId}", "NatType": "Enhanced", "Name": gateway_name}, "as": "gw"},
        {"action": "AllocateEipAddress", "params": {"RegionId": "cn-hangzhou"}, "as": "eip"},
        {"action": "AssociateEipAddress", "params": {"RegionId": "cn-hangzhou", "AllocationId": "${eip.AllocationId}",
            "InstanceId": "${gw.NatGatewayId}", "InstanceType": "Nat"}},
        {"action": "CreateForwardEntry", "params": {"RegionId": "cn-hangzhou",
            "ForwardTableId": "${gw.ForwardTableIds.ForwardTableId.0}", "ExternalIp": "${eip.EipAddress}",
            "ExternalPort": "8080", "InternalIp": "10.1.0.10", "InternalPort": "80", "IpProtocol": "tcp"}, "as": "fwd"}
    ]});
    let (status, r) = s.post("/_emulator/init", &doc.to_string()).await;
    assert_eq!(status, 200, "{r}");
    let res = &r["results"];
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    (
        text(&res["gw"]["NatGatewayId"]),
        text(&res["eip"]["AllocationId"]),
        text(&res["eip"]["EipAddress"]),
        text(&res["fwd"]["ForwardEntryId"]),
        text(&res["vpc"]["VpcId"]),
    )
}

fn packet(gw: &str, direction: &str, src: &str, sport: u16, dst: &str, dport: u16) -> Value {
    json!({"nat_gateway_id": gw, "direction": direction, "src_ip": src, "src_port": sport,
           "dst_ip": dst, "dst_port": dport, "protocol": "TCP"})
}

#[tokio::test(flavor = "multi_thread")]
async fn nat_trace_over_http() {
    let s = Server::start().await;
    let (gw, _, ip, fwd, _) = world(&s, "edge").await;

    // Inbound: the DNAT entry matches; account and region found by default.
    let (status, t) =
        s.post("/_emulator/nat/trace", &packet(&gw, "inbound", "203.0.113.7", 40000, &ip, 8080).to_string()).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!((t["account"].as_str(), t["region"].as_str()), (Some("testid"), Some("cn-hangzhou")));
    assert_eq!(t["nat_gateway_id"], gw.as_str());
    assert_eq!(t["direction"], "inbound");
    assert_eq!(t["matched"]["entry_id"], fwd.as_str());
    assert_eq!(t["matched"]["kind"], "DNAT");
    assert_eq!(
        t["translated"],
        json!({"src_ip": "203.0.113.7", "src_port": 40000, "dst_ip": "10.1.0.10", "dst_port": 80, "protocol": "tcp"})
    );
    assert!(t["verdict"].as_str().unwrap().contains("forwards the packet to 10.1.0.10:80"), "{t}");
    assert_eq!(t["entries"].as_array().unwrap().len(), 1);

    // Another port: no match, with the reason per entry.
    let mut p = packet(&gw, "inbound", "203.0.113.7", 40000, &ip, 22);
    p["account"] = json!("testid");
    p["region"] = json!("cn-hangzhou");
    let (status, t) = s.post("/_emulator/nat/trace", &p.to_string()).await;
    assert_eq!(status, 200, "{t}");
    assert!(t["matched"].is_null() && t["translated"].is_null(), "{t}");
    assert!(t["entries"][0]["reason"].as_str().unwrap().contains("outside its external port 8080"), "{t}");
    assert!(t["verdict"].as_str().unwrap().contains("drops"), "{t}");

    // Outbound with no SNAT entry.
    let (status, t) =
        s.post("/_emulator/nat/trace", &packet(&gw, "outbound", "10.1.0.10", 40000, "1.1.1.1", 443).to_string()).await;
    assert_eq!(status, 200, "{t}");
    assert!(t["matched"].is_null() && t["verdict"].as_str().unwrap().contains("does not leave the VPC"), "{t}");

    // Refusals: unknown gateway, account, region; the gateway looked for in another region; bad bodies.
    let refused = |r: (u16, Value), status: u16| {
        assert_eq!(r.0, status, "{}", r.1);
        r.1["error"].as_str().unwrap().to_owned()
    };
    let e = refused(
        s.post("/_emulator/nat/trace", &packet("ngw-nope", "inbound", "1.2.3.4", 1, &ip, 80).to_string()).await,
        404,
    );
    assert!(e.contains("ngw-nope"), "{e}");
    let mut p = packet(&gw, "inbound", "1.2.3.4", 1, &ip, 80);
    p["account"] = json!("nobody");
    assert!(refused(s.post("/_emulator/nat/trace", &p.to_string()).await, 404).contains("nobody"));
    p["account"] = json!("testid2");
    refused(s.post("/_emulator/nat/trace", &p.to_string()).await, 404);
    p["account"] = json!("testid");
    p["region"] = json!("cn-beijing");
    assert!(refused(s.post("/_emulator/nat/trace", &p.to_string()).await, 404).contains("cn-beijing"));
    p["region"] = json!("xx-nowhere-1");
    refused(s.post("/_emulator/nat/trace", &p.to_string()).await, 404);
    let mut p = packet(&gw, "inbound", "1.2.3.4", 1, &ip, 80);
    p["colour"] = json!("red");
    assert!(refused(s.post("/_emulator/nat/trace", &p.to_string()).await, 400).contains("colour"));
    for (k, v) in [
        ("src_ip", json!("1.2.3")),
        ("dst_port", json!(70000)),
        ("direction", json!("sideways")),
        ("protocol", json!("")),
    ] {
        let mut p = packet(&gw, "inbound", "1.2.3.4", 1, &ip, 80);
        p[k] = v;
        refused(s.post("/_emulator/nat/trace", &p.to_string()).await, 400);
    }
    refused(s.post("/_emulator/nat/trace", "not json").await, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_pages_over_http() {
    let s = Server::start().await;
    let hostile = "gw-<script>alert(1)</script>";
    let (gw, eip, ip, fwd, vpc) = world(&s, "edge").await;
    // A name that must come out escaped (NAT gateway names allow neither < nor >: set it directly).
    {
        let acc = s._app.store.account("testid").unwrap();
        let mut st = acc.state.write();
        st.regions.get_mut("cn-hangzhou").unwrap().nat_gateways.get_mut(&gw).unwrap().name = hostile.into();
    }

    let (status, headers, html) = s.get("/_emulator/ui?account=testid&region=cn-hangzhou").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    for id in [&gw, &eip, &ip, &fwd, &vpc] {
        assert!(html.contains(id.as_str()), "{id} on the page");
    }
    assert!(html.contains("UsedByForwardTable"));
    assert!(!html.contains(hostile) && html.contains("gw-&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains(r#"<option value="cn-hangzhou" selected>"#), "the filter is kept");

    // The CSP allows exactly the page's own script and style, by hash.
    let csp = headers["content-security-policy"].to_str().unwrap().to_owned();
    let inner = |open: &str, close: &str| {
        let start = html.find(open).unwrap() + open.len();
        html[start..start + html[start..].find(close).unwrap()].to_owned()
    };
    let hash = |t: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(t.as_bytes()));
    assert!(csp.contains(&format!("script-src 'sha256-{}'", hash(&inner("<script>", "</script>")))), "{csp}");
    assert!(csp.contains(&format!("style-src 'sha256-{}'", hash(&inner("<style>", "</style>")))), "{csp}");
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));

    // The fragment: the live parts only.
    let (status, _, frag) = s.get("/_emulator/ui/fragment?account=testid").await;
    assert_eq!(status, 200);
    for slot in ["counts", "world", "clock", "requests", "faults"] {
        assert!(frag.contains(&format!("data-slot=\"{slot}\"")), "{slot}");
    }
    assert!(frag.contains(&fwd) && !frag.contains("<script") && !frag.contains("trace-form"));

    // Unknown filters: 404, the page says why.
    let (status, _, html) = s.get("/_emulator/ui?account=nobody").await;
    assert_eq!(status, 404);
    assert!(html.contains("No account with AccessKeyId") && !html.contains(&gw));
    let (status, _, _) = s.get("/_emulator/ui/fragment?region=xx-nowhere-1").await;
    assert_eq!(status, 404);

    // A journaled request's page; an unknown one.
    let r =
        s.client.get(format!("{}/?Action=DescribeVpcs&AccessKeyId=testid&Signature=x", s.base)).send().await.unwrap();
    let rid = r.headers()["x-acs-request-id"].to_str().unwrap().to_owned();
    let (status, _, html) = s.get("/_emulator/ui").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("<tr class=\"fail\" data-request=\"{rid}\">")),
        "the refused request is highlighted"
    );
    let (status, _, detail) = s.get(&format!("/_emulator/ui/requests/{rid}")).await;
    assert_eq!(status, 200);
    assert!(detail.contains(&rid) && detail.contains("DescribeVpcs") && detail.contains("AccessKeyId"));
    let (status, _, missing) = s.get("/_emulator/ui/requests/NO-SUCH-ID").await;
    assert_eq!(status, 404);
    assert!(missing.contains("No request"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_goes_with_the_control_plane() {
    let mut args = ServeArgs::for_tests();
    args.control = aliyun_nat_emulator::config::ControlMode::Off;
    let s = Server::with(args).await;
    for path in ["/_emulator/ui", "/_emulator/ui/fragment", "/_emulator/ui/requests/X"] {
        let (status, headers, body) = s.get(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!headers["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
    }
    let r = s.client.post(format!("{}/_emulator/nat/trace", s.base)).body("{}").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}
