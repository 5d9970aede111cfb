//! NAT gateways over HTTP: the lifecycle on the emulator's clock (advanced, never slept on) in
//! every signing style, JSON and XML shapes, ClientToken idempotency, DeleteNatGateway `Force`,
//! VPC/vSwitch dependencies, what a deleted gateway gives back, account isolation, and refusals
//! (Code and HTTP status, JSON and XML) that change nothing. Helpers here are shared with `eip`.

use aliyun_nat_emulator::config::ServeArgs;
use serde_json::{json, Value};

use crate::harness::{without_request_id, xml_root, Server, XML_CT};
use crate::signer::{nonce, Req, Style};

pub const REGION: &str = "cn-hangzhou";
pub const DELAY_MS: u64 = 3000;
pub const OTHER: (&str, &str) = ("testid2", "testsecret2");
pub const MISSING_NAT: &str = "ngw-bp1missing00000000000";

/// Lifecycles of `DELAY_MS` on a frozen clock: only `clock.advance` moves time.
pub async fn delayed_server() -> Server {
    let server = Server::with(ServeArgs { transition_delay_ms: DELAY_MS, ..ServeArgs::for_tests() }).await;
    server.app.clock.set_frozen(true);
    server
}

pub fn str_of(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}

/// A signed call in `cn-hangzhou`.
pub fn call(style: Style, action: &str) -> Req {
    Req::new(style, action).region(REGION)
}

pub fn get(action: &str) -> Req {
    call(Style::V1Get, action)
}

/// The same request again with a fresh nonce (a clone would replay the first one's).
pub fn again(r: &Req) -> Req {
    r.clone().nonce(&nonce())
}

/// (VpcId, VSwitchId) of the default VPC and its first vSwitch.
pub async fn default_vpc(server: &Server, key: (&str, &str)) -> (String, String) {
    let v = get("DescribeVpcs").p("IsDefault", "true").creds(key.0, key.1).send(server).await.ok();
    let vpc = &v["Vpcs"]["Vpc"][0];
    (str_of(vpc, "VpcId"), vpc["VSwitchIds"]["VSwitchId"][0].as_str().expect("a default vSwitch").to_owned())
}

/// CreateNatGateway (Enhanced unless `extra` says otherwise) in `vsw`; the reply.
pub async fn create_nat(server: &Server, vpc: &str, vsw: &str, extra: &[(&str, &str)]) -> Value {
    let mut r = get("CreateNatGateway").p("VpcId", vpc).p("VSwitchId", vsw);
    if !extra.iter().any(|(k, _)| *k == "NatType") {
        r = r.p("NatType", "Enhanced");
    }
    for (k, v) in extra {
        r = r.p(k, v);
    }
    r.send(server).await.ok()
}

/// The gateway as DescribeNatGateways shows it (`Null` when it is not listed).
pub async fn gateway(server: &Server, id: &str) -> Value {
    let v = get("DescribeNatGateways").p("NatGatewayId", id).send(server).await.ok();
    let list = v["NatGateways"]["NatGateway"].as_array().expect("NatGateways.NatGateway").clone();
    assert!(list.len() <= 1, "{v}");
    assert_eq!(v["TotalCount"], list.len());
    list.into_iter().next().unwrap_or(Value::Null)
}

pub async fn nat_status(server: &Server, id: &str) -> Value {
    gateway(server, id).await["Status"].clone()
}

/// Both accounts' gateways and EIPs in `cn-hangzhou` (RequestIds dropped): what a refused request
/// must leave exactly as it was.
pub async fn snapshot(server: &Server) -> Value {
    let mut out = vec![];
    for key in [("testid", "testsecret"), OTHER] {
        for (action, size) in [("DescribeNatGateways", "50"), ("DescribeEipAddresses", "100")] {
            let v = get(action).p("PageSize", size).creds(key.0, key.1).send(server).await.ok();
            out.push(without_request_id(v));
        }
    }
    Value::Array(out)
}

/// Each refused request, in the style of its row, answered in JSON and then (the same request,
/// Format=XML) in XML, with the same status and Code.
pub async fn assert_refusals(server: &Server, rows: Vec<(Req, u16, &str)>) {
    for (i, (req, status, code)) in rows.into_iter().enumerate() {
        let req = Req { style: Style::ALL[i % Style::ALL.len()], ..req };
        let r = again(&req).send(server).await;
        r.err(status, code);
        again(&req).set("Format", "XML").send(server).await.xml_err(status, code);
    }
}

/// One gateway's lifecycle in one signing style.
async fn lifecycle(server: &Server, style: Style, vpc: &str, vsw: &str) {
    let name = format!("gw-{style:?}");
    let created =
        call(style, "CreateNatGateway").p("VpcId", vpc).p("VSwitchId", vsw).p("Name", &name).send(server).await.ok();
    let id = str_of(&created, "NatGatewayId");
    assert_eq!(nat_status(server, &id).await, "Creating", "{style:?}");

    // Only reads while Creating.
    let modify = || call(style, "ModifyNatGatewayAttribute").p("NatGatewayId", &id).p("Description", "while creating");
    modify().send(server).await.err(400, "IncorrectStatus.NATGW");
    call(style, "ModifyNatGatewaySpec")
        .p("NatGatewayId", &id)
        .p("Spec", "Middle")
        .send(server)
        .await
        .err(400, "IncorrectStatus.NatGateway");
    let delete = || call(style, "DeleteNatGateway").p("NatGatewayId", &id);
    delete().send(server).await.err(404, "IncorrectStatus.NatGateway");
    call(style, "GetNatGatewayAttribute").p("NatGatewayId", &id).send(server).await.ok();

    server.app.clock.advance(DELAY_MS - 1);
    assert_eq!(nat_status(server, &id).await, "Creating");
    server.app.clock.advance(1);
    assert_eq!(nat_status(server, &id).await, "Available");

    modify().send(server).await.ok();
    let g = gateway(server, &id).await;
    assert_eq!(
        (&g["Name"], &g["Description"], &g["Status"]),
        (&json!(name), &json!("while creating"), &json!("Available"))
    );

    call(style, "TagResources")
        .p("ResourceType", "NATGATEWAY")
        .p("ResourceId.1", &id)
        .p("Tag.1.Key", "k")
        .p("Tag.1.Value", "v")
        .send(server)
        .await
        .ok();
    let tags =
        call(style, "ListTagResources").p("ResourceType", "NATGATEWAY").p("ResourceId.1", &id).send(server).await.ok();
    assert!(tags.get("NextToken").is_none(), "{tags}");
    assert_eq!(
        tags["TagResources"]["TagResource"],
        json!([{"ResourceId": id, "ResourceType": "ALIYUN::VPC::NATGATEWAY", "TagKey": "k", "TagValue": "v"}])
    );

    let protect =
        |on: &str| call(style, "DeletionProtection").p("InstanceId", &id).p("ProtectionEnable", on).p("Type", "NATGW");
    protect("true").send(server).await.ok();
    assert_eq!(gateway(server, &id).await["DeletionProtection"], true);
    delete().p("Force", "true").send(server).await.err(400, "InvalidOperation.DeletionProtection");
    protect("false").send(server).await.ok();

    delete().send(server).await.ok();
    assert_eq!(nat_status(server, &id).await, "Deleting");
    delete().send(server).await.err(404, "IncorrectStatus.NatGateway");
    modify().send(server).await.err(400, "IncorrectStatus.NATGW");
    server.app.clock.advance(DELAY_MS);
    assert_eq!(gateway(server, &id).await, Value::Null);
    for action in ["GetNatGatewayAttribute", "DeleteNatGateway"] {
        call(style, action).p("NatGatewayId", &id).send(server).await.err(404, "InvalidNatGatewayId.NotFound");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_in_every_signing_style() {
    let server = delayed_server().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;
    for style in Style::ALL {
        lifecycle(&server, style, &vpc, &vsw).await;
    }
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("an object: {v}")).keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// DescribeNatGateways' fields: REAL-SERVICE §5.2 plus the reference's BandwidthPackageIds.
const GATEWAY_KEYS: [&str; 34] = [
    "AccessMode",
    "AutoPay",
    "AvailabilityMode",
    "BandwidthPackageIds",
    "BusinessStatus",
    "CreationTime",
    "DeletionProtection",
    "Description",
    "EcsMetricEnabled",
    "EipBindMode",
    "EnableSessionLog",
    "ExpiredTime",
    "ForwardTableIds",
    "FullNatTableIds",
    "IcmpReplyEnabled",
    "InstanceChargeType",
    "InternetChargeType",
    "IpLists",
    "IpPrefixList",
    "Name",
    "NatGatewayId",
    "NatGatewayPrivateInfo",
    "NatType",
    "NetworkType",
    "PrivateLinkEnabled",
    "PrivateLinkMode",
    "RegionId",
    "ResourceGroupId",
    "SecurityProtectionEnabled",
    "SnatTableIds",
    "Spec",
    "Status",
    "Tags",
    "VpcId",
];

/// GetNatGatewayAttribute's fields (REAL-SERVICE §8.3).
const ATTRIBUTE_KEYS: [&str; 27] = [
    "AccessMode",
    "AvailabilityMode",
    "BillingConfig",
    "BusinessStatus",
    "CreationTime",
    "DeletionProtectionInfo",
    "Description",
    "EcsMetricEnabled",
    "EnableSessionLog",
    "ExpiredTime",
    "ForwardTable",
    "FullNatTable",
    "IpList",
    "LogDelivery",
    "Name",
    "NatGatewayId",
    "NatType",
    "NetworkType",
    "PrivateInfo",
    "PrivateLinkEnabled",
    "PrivateLinkMode",
    "RegionId",
    "RequestId",
    "ResourceGroupId",
    "SnatTable",
    "Status",
    "VpcId",
];

#[tokio::test(flavor = "multi_thread")]
async fn json_and_xml_shapes() {
    let server = Server::start().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;

    // CreateNatGateway: the current wrapped lists, in JSON and XML.
    let created = create_nat(&server, &vpc, &vsw, &[]).await;
    let id = str_of(&created, "NatGatewayId");
    let ftb = created["ForwardTableIds"]["ForwardTableId"][0].as_str().expect("a DNAT table").to_owned();
    let stb = created["SnatTableIds"]["SnatTableId"][0].as_str().expect("an SNAT table").to_owned();
    assert!(ftb.starts_with("ftb-") && stb.starts_with("stb-"), "{created}");
    assert_eq!(created["FullNatTableIds"]["FullNatTableId"], json!([]));
    let r = get("CreateNatGateway").p("VpcId", &vpc).p("VSwitchId", &vsw).set("Format", "XML").send(&server).await;
    assert_eq!((r.status, r.header("content-type")), (200, Some(XML_CT)), "{}", r.text);
    assert_eq!(xml_root(&r.text), "CreateNatGatewayResponse");
    assert!(r.text.contains("<ForwardTableIds><ForwardTableId>ftb-"), "{}", r.text);
    assert!(r.text.contains("<SnatTableIds><SnatTableId>stb-"), "{}", r.text);

    // DescribeNatGateways JSON: every field, every wrapper (empty ones too), the types Terraform
    // type-asserts.
    let g = gateway(&server, &id).await;
    assert_eq!(keys(&g), GATEWAY_KEYS);
    for (wrapper, item, expected) in [
        ("ForwardTableIds", "ForwardTableId", json!([ftb])),
        ("SnatTableIds", "SnatTableId", json!([stb])),
        ("FullNatTableIds", "FullNatTableId", json!([])),
        ("BandwidthPackageIds", "BandwidthPackageId", json!([])),
        ("IpLists", "IpList", json!([])),
        ("IpPrefixList", "IpPrefixList", json!([])),
        ("Tags", "Tag", json!([])),
    ] {
        assert_eq!(g[wrapper], json!({ item: expected }), "{wrapper}");
    }
    let info = &g["NatGatewayPrivateInfo"];
    assert_eq!(
        keys(info),
        [
            "EniInstanceId",
            "EniType",
            "IzNo",
            "MaxBandwidth",
            "MaxSessionEstablishRate",
            "MaxSessionQuota",
            "PrivateIpAddress",
            "VswitchId"
        ]
    );
    assert_eq!(info["VswitchId"], vsw.as_str());
    for k in [
        "NatGatewayId",
        "Status",
        "InstanceChargeType",
        "InternetChargeType",
        "Spec",
        "CreationTime",
        "EnableSessionLog",
    ] {
        assert!(g[k].is_string(), "{k} is a string: {g}");
    }
    for k in ["AutoPay", "DeletionProtection", "EcsMetricEnabled", "IcmpReplyEnabled", "PrivateLinkEnabled"] {
        assert!(g[k].is_boolean(), "{k} is a boolean: {g}");
    }
    assert_eq!(
        (&g["InstanceChargeType"], &g["Status"], &g["NetworkType"]),
        (&json!("PostPaid"), &json!("Available"), &json!("internet"))
    );
    let created_at = str_of(&g, "CreationTime");
    assert!(created_at.len() == 20 && created_at.ends_with('Z') && created_at.as_bytes()[10] == b'T', "{created_at}");
    let none = get("DescribeNatGateways").p("NatGatewayId", MISSING_NAT).send(&server).await.ok();
    assert_eq!((&none["TotalCount"], &none["NatGateways"]), (&json!(0), &json!({"NatGateway": []})));

    // DescribeNatGateways XML.
    let xml = |r: Req| async { r.set("Format", "XML").send(&server).await };
    let r = xml(get("DescribeNatGateways").p("NatGatewayId", &id)).await;
    assert_eq!((r.status, xml_root(&r.text)), (200, "DescribeNatGatewaysResponse".to_owned()), "{}", r.text);
    for needle in [
        format!("<NatGateways><NatGateway><NatGatewayId>{id}</NatGatewayId>"),
        format!("<ForwardTableIds><ForwardTableId>{ftb}</ForwardTableId></ForwardTableIds>"),
        format!("<SnatTableIds><SnatTableId>{stb}</SnatTableId></SnatTableIds>"),
        format!("<VswitchId>{vsw}</VswitchId>"),
        "<InstanceChargeType>PostPaid</InstanceChargeType>".to_owned(),
        "<DeletionProtection>false</DeletionProtection>".to_owned(),
    ] {
        assert!(r.text.contains(&needle), "{needle} in {}", r.text);
    }
    for wrapper in ["IpLists", "FullNatTableIds", "BandwidthPackageIds", "IpPrefixList", "Tags"] {
        let empty = format!("<{wrapper}></{wrapper}>");
        assert!(r.text.contains(&empty) || r.text.contains(&format!("<{wrapper}/>")), "{empty} in {}", r.text);
    }
    let r = xml(get("DescribeNatGateways").p("NatGatewayId", MISSING_NAT)).await;
    assert!(r.text.contains("<NatGateways></NatGateways>") || r.text.contains("<NatGateways/>"), "{}", r.text);

    // GetNatGatewayAttribute: its own shape; IpList is a bare array.
    let a = get("GetNatGatewayAttribute").p("NatGatewayId", &id).send(&server).await.ok();
    assert_eq!(keys(&a), ATTRIBUTE_KEYS);
    assert_eq!(a["IpList"], json!([]));
    assert_eq!(a["PrivateInfo"]["VswitchId"], vsw.as_str());
    assert_eq!((&a["ForwardTable"]["ForwardTableId"], &a["SnatTable"]["SnatTableId"]), (&json!(ftb), &json!(stb)));
    assert_eq!(a["DeletionProtectionInfo"], json!({"Enabled": false}));
    assert!(a["EnableSessionLog"].is_boolean(), "{a}");

    // With an EIP: IpLists.IpList in both shapes, GetNatGatewayAttribute's bare IpList.
    let eip = get("AllocateEipAddress").send(&server).await.ok();
    let (alloc, ip) = (str_of(&eip, "AllocationId"), str_of(&eip, "EipAddress"));
    get("AssociateEipAddress")
        .p("AllocationId", &alloc)
        .p("InstanceId", &id)
        .p("InstanceType", "Nat")
        .send(&server)
        .await
        .ok();
    let item = json!({"AllocationId": alloc, "IpAddress": ip, "UsingStatus": "idle", "SnatEntryEnabled": false, "PrivateIpAddress": ""});
    assert_eq!(gateway(&server, &id).await["IpLists"], json!({ "IpList": [item.clone()] }));
    let a = get("GetNatGatewayAttribute").p("NatGatewayId", &id).send(&server).await.ok();
    assert_eq!(a["IpList"], json!([item]));
    let r = xml(get("DescribeNatGateways").p("NatGatewayId", &id)).await;
    let needle = format!("<IpLists><IpList><AllocationId>{alloc}</AllocationId><IpAddress>{ip}</IpAddress><UsingStatus>idle</UsingStatus>");
    assert!(r.text.contains(&needle), "{needle} in {}", r.text);
    let r = xml(get("GetNatGatewayAttribute").p("NatGatewayId", &id)).await;
    assert_eq!(xml_root(&r.text), "GetNatGatewayAttributeResponse");
    let needle = format!("<IpList><AllocationId>{alloc}</AllocationId>");
    assert!(r.text.contains(&needle) && !r.text.contains("<IpLists>"), "{needle} in {}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_token_makes_create_idempotent() {
    let server = Server::start().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;
    let create = |name: &str| {
        get("CreateNatGateway").p("VpcId", &vpc).p("VSwitchId", &vsw).p("Name", name).p("ClientToken", "ngw-token-1")
    };
    let first = create("gw-a").send(&server).await.ok();
    // A retry in another signing style (new nonce and timestamp) returns the first reply.
    let retry = Req { style: Style::Acs3Node, ..create("gw-a") }.send(&server).await.ok();
    assert_eq!(without_request_id(first.clone()), without_request_id(retry));
    let before = snapshot(&server).await;
    assert_eq!(before[0]["TotalCount"], 1, "one gateway for two calls");
    Req { style: Style::V1PostForm, ..create("gw-b") }.send(&server).await.err(400, "IdempotentParameterMismatch");
    again(&create("gw-b")).set("Format", "XML").send(&server).await.xml_err(400, "IdempotentParameterMismatch");
    assert_eq!(snapshot(&server).await, before);
    // Another token creates another gateway; the same token of the other account is its own.
    let other =
        get("CreateNatGateway").p("VpcId", &vpc).p("VSwitchId", &vsw).p("Name", "gw-a").p("ClientToken", "ngw-token-2");
    assert_ne!(other.send(&server).await.ok()["NatGatewayId"], first["NatGatewayId"]);
    let (vpc2, vsw2) = default_vpc(&server, OTHER).await;
    let theirs = get("CreateNatGateway")
        .p("VpcId", &vpc2)
        .p("VSwitchId", &vsw2)
        .p("Name", "gw-a")
        .p("ClientToken", "ngw-token-1")
        .creds(OTHER.0, OTHER.1)
        .send(&server)
        .await
        .ok();
    assert_ne!(theirs["NatGatewayId"], first["NatGatewayId"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn force_delete_unbinds_eips() {
    let server = delayed_server().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;
    let id = str_of(&create_nat(&server, &vpc, &vsw, &[]).await, "NatGatewayId");
    server.app.clock.advance(DELAY_MS);
    let mut eips = vec![];
    for _ in 0..2 {
        let alloc = str_of(&get("AllocateEipAddress").send(&server).await.ok(), "AllocationId");
        get("AssociateEipAddress")
            .p("AllocationId", &alloc)
            .p("InstanceId", &id)
            .p("InstanceType", "Nat")
            .send(&server)
            .await
            .ok();
        eips.push(alloc);
    }
    server.app.clock.advance(DELAY_MS);
    let delete = || get("DeleteNatGateway").p("NatGatewayId", &id);
    let r = delete().send(&server).await;
    r.err(400, "DependencyViolation.EIPS");
    assert!(eips.iter().all(|e| r.message().contains(e.as_str())), "the message names the EIPs: {}", r.text);
    delete().p("Force", "false").send(&server).await.err(400, "DependencyViolation.EIPS");

    delete().p("Force", "true").send(&server).await.ok();
    assert_eq!(nat_status(&server, &id).await, "Deleting");
    assert_eq!(gateway(&server, &id).await["IpLists"]["IpList"], json!([]));
    let bound = get("DescribeEipAddresses").p("AssociatedInstanceId", &id).send(&server).await.ok();
    assert_eq!(bound["TotalCount"], 0, "{bound}");
    server.app.clock.advance(DELAY_MS);
    assert_eq!(gateway(&server, &id).await, Value::Null);
    for alloc in &eips {
        let v = get("DescribeEipAddresses").p("AllocationId", alloc).send(&server).await.ok();
        let e = &v["EipAddresses"]["EipAddress"][0];
        assert_eq!((&e["Status"], &e["InstanceId"]), (&json!("Available"), &json!("")), "{v}");
        get("ReleaseEipAddress").p("AllocationId", alloc).send(&server).await.ok();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn vpc_and_vswitch_wait_for_their_gateway() {
    let server = delayed_server().await;
    let vpc = str_of(&get("CreateVpc").p("CidrBlock", "10.0.0.0/16").send(&server).await.ok(), "VpcId");
    server.app.clock.advance(DELAY_MS);
    let vsw = str_of(
        &get("CreateVSwitch")
            .p("VpcId", &vpc)
            .p("ZoneId", "cn-hangzhou-h")
            .p("CidrBlock", "10.0.1.0/24")
            .send(&server)
            .await
            .ok(),
        "VSwitchId",
    );
    server.app.clock.advance(DELAY_MS);
    let id = str_of(&create_nat(&server, &vpc, &vsw, &[]).await, "NatGatewayId");
    let before = snapshot(&server).await;
    for (req, code) in [
        (get("DeleteVpc").p("VpcId", &vpc), "DependencyViolation.NatGateway"),
        (get("DeleteVSwitch").p("VSwitchId", &vsw), "DependencyViolation.EnhancedNatgw"),
    ] {
        let r = again(&req).send(&server).await;
        r.err(400, code);
        assert!(r.message().contains(&id), "the message names the gateway: {}", r.text);
        again(&req).set("Format", "XML").send(&server).await.xml_err(400, code);
    }
    assert_eq!(snapshot(&server).await, before);

    server.app.clock.advance(DELAY_MS);
    get("DeleteNatGateway").p("NatGatewayId", &id).send(&server).await.ok();
    server.app.clock.advance(DELAY_MS);
    get("DeleteVSwitch").p("VSwitchId", &vsw).send(&server).await.ok();
    get("DeleteVpc").p("VpcId", &vpc).send(&server).await.ok();
}

/// The VPC's route table, read from the store: the API shows no route entries.
fn routes(server: &Server, vpc: &str) -> Vec<(String, String)> {
    let account = server.app.store.account("testid").expect("the account");
    let st = account.state.read();
    st.regions[REGION].vpcs[vpc].routes.iter().map(|r| (r.destination.clone(), r.next_hop_id.clone())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_gateway_gives_back_its_ip_and_route() {
    let server = Server::start().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;
    let free = || async {
        let v = get("DescribeVSwitchAttributes").p("VSwitchId", &vsw).send(&server).await.ok();
        v["AvailableIpAddressCount"].as_u64().expect("AvailableIpAddressCount")
    };
    let free0 = free().await;
    assert!(routes(&server, &vpc).is_empty());

    let first = str_of(&create_nat(&server, &vpc, &vsw, &[]).await, "NatGatewayId");
    let ip = str_of(&gateway(&server, &first).await["NatGatewayPrivateInfo"], "PrivateIpAddress");
    assert_eq!(free().await, free0 - 1);
    assert_eq!(routes(&server, &vpc), [("0.0.0.0/0".to_owned(), first.clone())]);
    get("DeleteNatGateway").p("NatGatewayId", &first).send(&server).await.ok();
    assert_eq!(gateway(&server, &first).await, Value::Null);
    assert_eq!(free().await, free0);
    assert!(routes(&server, &vpc).is_empty(), "the 0.0.0.0/0 route left with its gateway");

    // A second Internet gateway takes the same private IP and the route.
    let second = str_of(&create_nat(&server, &vpc, &vsw, &[("NatIp", ip.as_str())]).await, "NatGatewayId");
    assert_eq!(gateway(&server, &second).await["NatGatewayPrivateInfo"]["PrivateIpAddress"], ip.as_str());
    assert_eq!(routes(&server, &vpc), [("0.0.0.0/0".to_owned(), second)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_cannot_see_or_touch_each_others_gateways() {
    let server = Server::start().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;
    let id = str_of(&create_nat(&server, &vpc, &vsw, &[]).await, "NatGatewayId");
    let theirs = |action: &str| get(action).p("NatGatewayId", &id).creds(OTHER.0, OTHER.1);
    let v = theirs("DescribeNatGateways").send(&server).await.ok();
    assert_eq!((&v["TotalCount"], &v["NatGateways"]["NatGateway"]), (&json!(0), &json!([])));
    let before = snapshot(&server).await;
    let (vpc2, vsw2) = default_vpc(&server, OTHER).await;
    assert_refusals(
        &server,
        vec![
            (theirs("GetNatGatewayAttribute"), 404, "InvalidNatGatewayId.NotFound"),
            (theirs("ModifyNatGatewayAttribute").p("Name", "stolen"), 404, "InvalidNatGatewayId.NotFound"),
            (theirs("ModifyNatGatewaySpec").p("Spec", "Large"), 404, "InvalidNatGatewayId.NotFound"),
            (theirs("DeleteNatGateway").p("Force", "true"), 404, "InvalidNatGatewayId.NotFound"),
            (
                get("DeletionProtection")
                    .p("InstanceId", &id)
                    .p("ProtectionEnable", "true")
                    .p("Type", "NATGW")
                    .creds(OTHER.0, OTHER.1),
                400,
                "DeletionProtection.ResourceNotExist",
            ),
            (
                get("TagResources")
                    .p("ResourceType", "NATGATEWAY")
                    .p("ResourceId.1", &id)
                    .p("Tag.1.Key", "k")
                    .p("Tag.1.Value", "v")
                    .creds(OTHER.0, OTHER.1),
                404,
                "InvalidResourceId.NotFound",
            ),
            // The other account's VPC with this account's vSwitch, and this account's VPC.
            (
                get("CreateNatGateway").p("VpcId", &vpc2).p("VSwitchId", &vsw).creds(OTHER.0, OTHER.1),
                404,
                "InvalidVSwitchId.NotFound",
            ),
            (
                get("CreateNatGateway").p("VpcId", &vpc).p("VSwitchId", &vsw2).creds(OTHER.0, OTHER.1),
                404,
                "InvalidVpcId.NotFound",
            ),
        ],
    )
    .await;
    assert_eq!(snapshot(&server).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_requests_change_nothing() {
    let server = Server::start().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;
    // A protected gateway; a PayBySpec gateway with an EIP bound.
    let protected = str_of(&create_nat(&server, &vpc, &vsw, &[]).await, "NatGatewayId");
    get("DeletionProtection")
        .p("InstanceId", &protected)
        .p("ProtectionEnable", "true")
        .p("Type", "NATGW")
        .send(&server)
        .await
        .ok();
    let busy = str_of(&create_nat(&server, &vpc, &vsw, &[("Spec", "Small")]).await, "NatGatewayId");
    let alloc = str_of(&get("AllocateEipAddress").send(&server).await.ok(), "AllocationId");
    get("AssociateEipAddress")
        .p("AllocationId", &alloc)
        .p("InstanceId", &busy)
        .p("InstanceType", "Nat")
        .send(&server)
        .await
        .ok();
    // A VPC with five gateways; another VPC's vSwitch.
    let full_vpc = str_of(&get("CreateVpc").p("CidrBlock", "10.0.0.0/16").send(&server).await.ok(), "VpcId");
    let full_vsw = str_of(
        &get("CreateVSwitch")
            .p("VpcId", &full_vpc)
            .p("ZoneId", "cn-hangzhou-i")
            .p("CidrBlock", "10.0.1.0/24")
            .send(&server)
            .await
            .ok(),
        "VSwitchId",
    );
    for _ in 0..5 {
        create_nat(&server, &full_vpc, &full_vsw, &[]).await;
    }
    let before = snapshot(&server).await;

    let create = || get("CreateNatGateway").p("VpcId", &vpc).p("VSwitchId", &vsw);
    let nat = |action: &str, id: &str| get(action).p("NatGatewayId", id);
    let protection =
        |id: &str, on: &str| get("DeletionProtection").p("InstanceId", id).p("ProtectionEnable", on).p("Type", "NATGW");
    #[rustfmt::skip]
    let rows = vec![
        (get("CreateNatGateway").p("VSwitchId", &vsw), 400, "MissingVpcId"),
        (get("CreateNatGateway").p("VpcId", "vpc-bp1missing00000000000"), 404, "InvalidVpcId.NotFound"),
        (get("CreateNatGateway").p("VpcId", &vpc).p("VSwitchId", "vsw-bp1missing00000000000"), 404, "InvalidVSwitchId.NotFound"),
        (get("CreateNatGateway").p("VpcId", &vpc).p("VSwitchId", &full_vsw), 400, "OperationFailed.VswNotBelongToVpc"),
        (get("CreateNatGateway").p("VpcId", &full_vpc).p("VSwitchId", &full_vsw), 400, "OperationFailed.EnhancedQuotaExceed"),
        (create().p("Name", "1starts-with-a-digit"), 400, "InvalidParameter.Name.Malformed"),
        (create().p("Description", "http://example.com"), 400, "InvalidParameter.Description.Malformed"),
        (create().p("Spec", "Huge"), 400, "InvalidParameter.Spec.ValueNotSupported"),
        (create().p("InstanceChargeType", "PrePaid").p("InternetChargeType", "PayByLcu"), 400, "OperationUnsupported.PrePaidPyByLcu"),
        (create().p("NetworkType", "satellite"), 400, "InvalidParameter"),
        (create().p("Tag.1.Key", "aliyun-reserved").p("Tag.1.Value", "v"), 400, "InvalidTagKey"),
        (Req::get("CreateNatGateway").region("cn-nowhere").p("VpcId", &vpc).p("VSwitchId", &vsw), 404, "InvalidRegionId.NotFound"),
        (nat("ModifyNatGatewayAttribute", MISSING_NAT).p("Name", "x1"), 404, "InvalidNatGatewayId.NotFound"),
        (nat("ModifyNatGatewayAttribute", &busy).p("Name", "http://x"), 400, "InvalidParameter.Name.Malformed"),
        (nat("ModifyNatGatewaySpec", &busy).p("Spec", "Small"), 400, "NATGW_MODIFY_SPEC_SAME"),
        (nat("ModifyNatGatewaySpec", &busy).p("Spec", "small"), 400, "NATGW_MODIFY_SPEC_SAME"),
        (nat("ModifyNatGatewaySpec", &busy).p("Spec", "Huge"), 400, "InvalidParameter.Spec.ValueNotSupported"),
        (nat("ModifyNatGatewaySpec", &busy), 400, "MissingSpec"),
        (nat("DeleteNatGateway", MISSING_NAT), 404, "InvalidNatGatewayId.NotFound"),
        (nat("DeleteNatGateway", &protected), 400, "InvalidOperation.DeletionProtection"),
        (nat("DeleteNatGateway", &protected).p("Force", "true"), 400, "InvalidOperation.DeletionProtection"),
        (nat("DeleteNatGateway", &busy), 400, "DependencyViolation.EIPS"),
        (nat("DeleteNatGateway", &busy).p("Force", "maybe"), 400, "InvalidParameter"),
        (nat("GetNatGatewayAttribute", MISSING_NAT), 404, "InvalidNatGatewayId.NotFound"),
        (get("GetNatGatewayAttribute"), 400, "MissingNatGatewayId"),
        (protection(&protected, "true"), 400, "DeletionProtection.AlreadyEnabled"),
        (protection(&busy, "false"), 404, "DeletionProtection.NotExist"),
        (protection(MISSING_NAT, "true"), 400, "DeletionProtection.ResourceNotExist"),
        (nat("UpdateNatGatewayNatType", &busy).p("NatType", "Enhanced").p("VSwitchId", &vsw), 400, "OperationUnsupported.NatConvert"),
        (nat("UpdateNatGatewayNatType", MISSING_NAT).p("NatType", "Enhanced").p("VSwitchId", &vsw), 400, "NATGW_NOT_EXIST"),
        (get("TagResources").p("ResourceType", "NATGATEWAY").p("ResourceId.1", MISSING_NAT).p("Tag.1.Key", "k").p("Tag.1.Value", "v"), 404, "InvalidResourceId.NotFound"),
        (get("TagResources").p("ResourceType", "NATGATEWAY").p("ResourceId.1", &busy).p("ResourceId.2", MISSING_NAT).p("Tag.1.Key", "k").p("Tag.1.Value", "v"), 404, "InvalidResourceId.NotFound"),
        (get("DescribeNatGateways").p("PageSize", "51"), 400, "InvalidParameter"),
        (get("DescribeNatGateways").p("Status", "Sleeping"), 400, "InvalidParameter"),
        (get("DeleteVpc").p("VpcId", &vpc), 400, "DependencyViolation.NatGateway"),
        (get("DeleteVSwitch").p("VSwitchId", &vsw), 400, "DependencyViolation.EnhancedNatgw"),
    ];
    assert_refusals(&server, rows).await;
    assert_eq!(snapshot(&server).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_filters_and_paging() {
    let server = Server::start().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;
    let mut ids = vec![];
    for (name, extra) in
        [("gw-one", vec![]), ("gw-two", vec![("Spec", "Middle")]), ("gw-three", vec![("NetworkType", "intranet")])]
    {
        let mut e: Vec<(&str, &str)> = vec![("Name", name)];
        e.extend(extra);
        ids.push(str_of(&create_nat(&server, &vpc, &vsw, &e).await, "NatGatewayId"));
    }
    let server = &server;
    let listed = |r: Req| async move {
        let v = r.send(server).await.ok();
        v["NatGateways"]["NatGateway"].as_array().unwrap().iter().map(|g| str_of(g, "NatGatewayId")).collect::<Vec<_>>()
    };
    // Newest first.
    let all: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(listed(get("DescribeNatGateways")).await, all);
    for (k, v, expected) in [
        ("Name", "gw-two", vec![ids[1].clone()]),
        ("Spec", "Middle", vec![ids[1].clone()]),
        ("NetworkType", "intranet", vec![ids[2].clone()]),
        ("VpcId", vpc.as_str(), all.clone()),
        ("ZoneId", "cn-hangzhou-zz", vec![]),
        ("NatGatewayId", ids[0].as_str(), vec![ids[0].clone()]),
    ] {
        assert_eq!(listed(get("DescribeNatGateways").p(k, v)).await, expected, "{k}={v}");
    }
    // Tags: DescribeNatGateways Tag.N, ListTagResources by Tag.N, UnTagResources.
    let tag = |id: &str| {
        get("TagResources")
            .p("ResourceType", "NATGATEWAY")
            .p("ResourceId.1", id)
            .p("Tag.1.Key", "team")
            .p("Tag.1.Value", "net")
    };
    tag(&ids[0]).send(server).await.ok();
    tag(&ids[2]).send(server).await.ok();
    let by_tag = get("DescribeNatGateways").p("Tag.1.Key", "team").p("Tag.1.Value", "net");
    assert_eq!(listed(by_tag.clone()).await, vec![ids[2].clone(), ids[0].clone()]);
    let v = get("ListTagResources")
        .p("ResourceType", "NATGATEWAY")
        .p("Tag.1.Key", "team")
        .p("Tag.1.Value", "net")
        .send(server)
        .await
        .ok();
    let mut tagged: Vec<String> =
        v["TagResources"]["TagResource"].as_array().unwrap().iter().map(|t| str_of(t, "ResourceId")).collect();
    tagged.sort();
    let mut expected = vec![ids[0].clone(), ids[2].clone()];
    expected.sort();
    assert_eq!(tagged, expected, "{v}");
    get("UnTagResources")
        .p("ResourceType", "NATGATEWAY")
        .p("ResourceId.1", &ids[0])
        .p("TagKey.1", "team")
        .send(server)
        .await
        .ok();
    assert_eq!(listed(again(&by_tag)).await, vec![ids[2].clone()]);

    let page = |n: &str| get("DescribeNatGateways").p("PageSize", "2").p("PageNumber", n);
    let p2 = page("2").send(server).await.ok();
    assert_eq!((&p2["TotalCount"], &p2["PageNumber"], &p2["PageSize"]), (&json!(3), &json!(2), &json!(2)));
    assert_eq!(listed(page("2")).await, vec![ids[0].clone()]);
    assert_eq!(listed(page("9")).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn conversion_and_bind_mode_change_on_the_clock() {
    let server = delayed_server().await;
    let (vpc, vsw) = default_vpc(&server, ("testid", "testsecret")).await;
    let normal = create_nat(&server, &vpc, &vsw, &[("NatType", "Normal"), ("Spec", "Small")]).await;
    let id = str_of(&normal, "NatGatewayId");
    let convert =
        || get("UpdateNatGatewayNatType").p("NatGatewayId", &id).p("NatType", "Enhanced").p("VSwitchId", &vsw);
    convert().send(&server).await.err(400, "IncorrectStatus.NatGateway");
    server.app.clock.advance(DELAY_MS);
    let before = snapshot(&server).await;
    convert().p("DryRun", "true").send(&server).await.err(400, "DryRunOperation");
    get("UpdateNatGatewayNatType")
        .p("NatGatewayId", &id)
        .p("NatType", "Enhanced")
        .p("VSwitchId", "vsw-bp1missing00000000000")
        .send(&server)
        .await
        .err(400, "OperationFailed.VswNotExist");
    assert_eq!(snapshot(&server).await, before);

    convert().send(&server).await.ok();
    assert_eq!(nat_status(&server, &id).await, "Converting");
    get("ModifyNatGatewayAttribute")
        .p("NatGatewayId", &id)
        .p("Name", "busy")
        .send(&server)
        .await
        .err(400, "IncorrectStatus.NATGW");
    server.app.clock.advance(DELAY_MS);
    let g = gateway(&server, &id).await;
    assert_eq!((&g["Status"], &g["NatType"]), (&json!("Available"), &json!("Enhanced")));
    convert().send(&server).await.err(400, "OperationUnsupported.NatConvert");

    let bind_mode = |m: &str| get("ModifyNatGatewayAttribute").p("NatGatewayId", &id).p("EipBindMode", m);
    assert_eq!(gateway(&server, &id).await["EipBindMode"], "MULTI_BINDED");
    bind_mode("MULTI_BINDED").send(&server).await.err(400, "InvalidParameter");
    bind_mode("NAT").send(&server).await.ok();
    assert_eq!(nat_status(&server, &id).await, "Modifying");
    server.app.clock.advance(DELAY_MS);
    let g = gateway(&server, &id).await;
    assert_eq!((&g["Status"], &g["EipBindMode"]), (&json!("Available"), &json!("NAT")));
}
