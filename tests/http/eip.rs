//! EIPs over HTTP: allocate, associate with NAT gateways (Associating → InUse on the emulator's
//! clock), unassociate (Unassociating → Available), release; JSON and XML shapes; the binding rules
//! with their Code and HTTP status in JSON and XML, each leaving every account's gateways and EIPs
//! as they were; account isolation.

use serde_json::{json, Value};

use crate::harness::{xml_root, Server, XML_CT};
use crate::nat::{
    assert_refusals, create_nat, default_vpc, delayed_server, gateway, get, snapshot, str_of, DELAY_MS, MISSING_NAT,
    OTHER, REGION,
};
use crate::signer::{Req, Style};

const MISSING_EIP: &str = "eip-bp1missing00000000000";

/// The EIP as DescribeEipAddresses shows it (`Null` when it is not listed).
async fn eip(server: &Server, id: &str) -> Value {
    let v = get("DescribeEipAddresses").p("AllocationId", id).send(server).await.ok();
    let list = v["EipAddresses"]["EipAddress"].as_array().expect("EipAddresses.EipAddress").clone();
    assert!(list.len() <= 1, "{v}");
    assert_eq!(v["TotalCount"], list.len());
    list.into_iter().next().unwrap_or(Value::Null)
}

/// (AllocationId, address).
async fn allocate(server: &Server, key: (&str, &str)) -> (String, String) {
    let v = get("AllocateEipAddress").creds(key.0, key.1).send(server).await.ok();
    (str_of(&v, "AllocationId"), str_of(&v, "EipAddress"))
}

fn associate(alloc: &str, gw: &str) -> Req {
    get("AssociateEipAddress").p("AllocationId", alloc).p("InstanceId", gw).p("InstanceType", "Nat")
}

/// A gateway in the default VPC; Available once the clock has moved past the delay.
async fn new_gateway(server: &Server, extra: &[(&str, &str)]) -> String {
    let (vpc, vsw) = default_vpc(server, ("testid", "testsecret")).await;
    str_of(&create_nat(server, &vpc, &vsw, extra).await, "NatGatewayId")
}

fn ip_list(gw: &Value) -> Vec<(String, String, String)> {
    gw["IpLists"]["IpList"]
        .as_array()
        .expect("IpLists.IpList")
        .iter()
        .map(|i| (str_of(i, "AllocationId"), str_of(i, "IpAddress"), str_of(i, "UsingStatus")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_in_every_signing_style() {
    let server = delayed_server().await;
    let gw = new_gateway(&server, &[]).await;
    server.app.clock.advance(DELAY_MS);
    for style in Style::ALL {
        let call = |action: &str| Req::new(style, action).region(REGION);
        let allocated = call("AllocateEipAddress").p("Name", "lane-eip").send(&server).await.ok();
        let (alloc, ip) = (str_of(&allocated, "AllocationId"), str_of(&allocated, "EipAddress"));
        assert!(alloc.starts_with("eip-") && ip.parse::<std::net::Ipv4Addr>().is_ok(), "{allocated}");
        let e = eip(&server, &alloc).await;
        assert_eq!(
            (&e["Status"], &e["IpAddress"], &e["InstanceId"], &e["Name"]),
            (&json!("Available"), &json!(ip), &json!(""), &json!("lane-eip"))
        );

        Req { style, ..associate(&alloc, &gw) }.send(&server).await.ok();
        assert_eq!(eip(&server, &alloc).await["Status"], "Associating", "{style:?}");
        let unassociate =
            || call("UnassociateEipAddress").p("AllocationId", &alloc).p("InstanceId", &gw).p("InstanceType", "Nat");
        let release = || call("ReleaseEipAddress").p("AllocationId", &alloc);
        unassociate().send(&server).await.err(400, "IncorrectEipStatus");
        release().send(&server).await.err(400, "IncorrectEipStatus");
        call("DeleteNatGateway").p("NatGatewayId", &gw).send(&server).await.err(400, "DependencyViolation.EIPS");

        server.app.clock.advance(DELAY_MS - 1);
        assert_eq!(eip(&server, &alloc).await["Status"], "Associating");
        server.app.clock.advance(1);
        let e = eip(&server, &alloc).await;
        assert_eq!(
            (&e["Status"], &e["InstanceId"], &e["InstanceType"], &e["InstanceRegionId"]),
            (&json!("InUse"), &json!(gw), &json!("Nat"), &json!(REGION))
        );
        assert_eq!(ip_list(&gateway(&server, &gw).await), [(alloc.clone(), ip.clone(), "idle".to_owned())]);
        for (k, v) in [
            ("AssociatedInstanceId", gw.as_str()),
            ("AssociatedInstanceType", "Nat"),
            ("Status", "InUse"),
            ("EipAddress", ip.as_str()),
        ] {
            let listed = call("DescribeEipAddresses").p(k, v).send(&server).await.ok();
            assert_eq!(listed["EipAddresses"]["EipAddress"][0]["AllocationId"], alloc.as_str(), "{k}={v}: {listed}");
        }
        release().send(&server).await.err(400, "IncorrectEipStatus");

        unassociate().send(&server).await.ok();
        assert_eq!(eip(&server, &alloc).await["Status"], "Unassociating");
        // Still bound while Unassociating: refused (the EIP is not Available, and it is on this gateway).
        let r = Req { style, ..associate(&alloc, &gw) }.send(&server).await;
        assert!(
            r.status == 400 && ["IncorrectEipStatus", "InvalidAssociation.Duplicated"].contains(&r.code().as_str()),
            "{}",
            r.text
        );
        release().send(&server).await.err(400, "IncorrectEipStatus");
        server.app.clock.advance(DELAY_MS);
        let e = eip(&server, &alloc).await;
        assert_eq!((&e["Status"], &e["InstanceId"], &e["InstanceType"]), (&json!("Available"), &json!(""), &json!("")));
        assert_eq!(ip_list(&gateway(&server, &gw).await), []);

        release().send(&server).await.ok();
        assert_eq!(eip(&server, &alloc).await, Value::Null);
        release().send(&server).await.err(404, "InvalidAllocationId.NotFound");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_and_xml_shapes() {
    let server = Server::start().await;
    let allocated = get("AllocateEipAddress").send(&server).await.ok();
    let mut k: Vec<&str> = allocated.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    assert_eq!(k, ["AllocationId", "EipAddress", "RequestId", "ResourceGroupId"], "{allocated}");
    let alloc = str_of(&allocated, "AllocationId");
    let e = eip(&server, &alloc).await;
    for (wrapper, item) in
        [("OperationLocks", "LockReason"), ("SecurityProtectionTypes", "SecurityProtectionType"), ("Tags", "Tag")]
    {
        assert_eq!(e[wrapper], json!({ item: [] }), "{wrapper}: {e}");
    }
    for k in [
        "Bandwidth",
        "EipBandwidth",
        "AllocationTime",
        "ChargeType",
        "InternetChargeType",
        "Status",
        "HasReservationData",
    ] {
        assert!(e[k].is_string(), "{k} is a string: {e}");
    }
    for k in ["DeletionProtection", "SecondLimited"] {
        assert!(e[k].is_boolean(), "{k} is a boolean: {e}");
    }
    assert!(e["ServiceManaged"].is_i64(), "{e}");
    assert_eq!((&e["Bandwidth"], &e["ChargeType"], &e["Netmode"]), (&json!("5"), &json!("PostPaid"), &json!("public")));
    // Tags of EIPs are Key/Value (DescribeNatGateways uses TagKey/TagValue).
    get("TagResources")
        .p("ResourceType", "EIP")
        .p("ResourceId.1", &alloc)
        .p("Tag.1.Key", "k")
        .p("Tag.1.Value", "v")
        .send(&server)
        .await
        .ok();
    assert_eq!(eip(&server, &alloc).await["Tags"], json!({"Tag": [{"Key": "k", "Value": "v"}]}));

    let r = get("DescribeEipAddresses").p("AllocationId", &alloc).set("Format", "XML").send(&server).await;
    assert_eq!((r.status, r.header("content-type")), (200, Some(XML_CT)), "{}", r.text);
    assert_eq!(xml_root(&r.text), "DescribeEipAddressesResponse");
    for needle in [
        format!("<EipAddresses><EipAddress><AllocationId>{alloc}</AllocationId>"),
        "<Tags><Tag><Key>k</Key><Value>v</Value></Tag></Tags>".to_owned(),
        "<DeletionProtection>false</DeletionProtection>".to_owned(),
    ] {
        assert!(r.text.contains(&needle), "{needle} in {}", r.text);
    }
    for wrapper in ["OperationLocks", "SecurityProtectionTypes"] {
        let empty = format!("<{wrapper}></{wrapper}>");
        assert!(r.text.contains(&empty) || r.text.contains(&format!("<{wrapper}/>")), "{empty} in {}", r.text);
    }
    let v = get("DescribeEipAddresses").p("AllocationId", MISSING_EIP).send(&server).await.ok();
    assert_eq!((&v["TotalCount"], &v["EipAddresses"]), (&json!(0), &json!({"EipAddress": []})));
    let r = get("DescribeEipAddresses").p("AllocationId", MISSING_EIP).set("Format", "XML").send(&server).await;
    assert!(r.text.contains("<EipAddresses></EipAddresses>") || r.text.contains("<EipAddresses/>"), "{}", r.text);
    let r = get("AllocateEipAddress").set("Format", "XML").send(&server).await;
    assert_eq!(xml_root(&r.text), "AllocateEipAddressResponse", "{}", r.text);
    assert!(r.xml_field("AllocationId").is_some_and(|a| a.starts_with("eip-")), "{}", r.text);
}

/// DescribeEipAddresses' fields (REAL-SERVICE §8.1).
const EIP_KEYS: [&str; 42] = [
    "AllocationId",
    "AllocationTime",
    "Bandwidth",
    "BandwidthPackageBandwidth",
    "BandwidthPackageId",
    "BandwidthPackageType",
    "BizType",
    "BusinessStatus",
    "ChargeType",
    "DeletionProtection",
    "Description",
    "EipBandwidth",
    "ExpiredTime",
    "HDMonitorStatus",
    "HasReservationData",
    "ISP",
    "InstanceId",
    "InstanceRegionId",
    "InstanceType",
    "InternetChargeType",
    "IpAddress",
    "Mode",
    "Name",
    "Netmode",
    "OperationLocks",
    "PrivateIpAddress",
    "PublicIpAddressPoolId",
    "RegionId",
    "ReservationActiveTime",
    "ReservationBandwidth",
    "ReservationInternetChargeType",
    "ReservationOrderType",
    "ResourceGroupId",
    "SecondLimited",
    "SecurityProtectionTypes",
    "SegmentInstanceId",
    "ServiceID",
    "ServiceManaged",
    "Status",
    "Tags",
    "VpcId",
    "Zone",
];

#[tokio::test(flavor = "multi_thread")]
async fn describe_eip_addresses_has_every_field_of_the_spec() {
    let server = Server::start().await;
    let (alloc, _) = allocate(&server, ("testid", "testsecret")).await;
    let e = eip(&server, &alloc).await;
    let mut k: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    assert_eq!(k, EIP_KEYS);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_requests_change_nothing() {
    let server = Server::start().await;
    let gw = new_gateway(&server, &[]).await;
    let other_gw = new_gateway(&server, &[]).await;
    let intranet = new_gateway(&server, &[("NetworkType", "intranet")]).await;
    let beijing = {
        let v = Req::get("DescribeVpcs").region("cn-beijing").p("IsDefault", "true").send(&server).await.ok();
        let vpc = &v["Vpcs"]["Vpc"][0];
        let r = Req::get("CreateNatGateway")
            .region("cn-beijing")
            .p("VpcId", &str_of(vpc, "VpcId"))
            .p("VSwitchId", vpc["VSwitchIds"]["VSwitchId"][0].as_str().unwrap())
            .send(&server)
            .await
            .ok();
        str_of(&r, "NatGatewayId")
    };
    let (free, _) = allocate(&server, ("testid", "testsecret")).await;
    let (bound, bound_ip) = allocate(&server, ("testid", "testsecret")).await;
    associate(&bound, &gw).send(&server).await.ok();
    let (protected, _) = allocate(&server, ("testid", "testsecret")).await;
    get("DeletionProtection")
        .p("InstanceId", &protected)
        .p("ProtectionEnable", "true")
        .p("Type", "EIP")
        .send(&server)
        .await
        .ok();
    assert_eq!(eip(&server, &bound).await["Status"], "InUse");
    assert_eq!(eip(&server, &protected).await["DeletionProtection"], true);
    let before = snapshot(&server).await;

    let unassociate = |id: &str| get("UnassociateEipAddress").p("AllocationId", id);
    let release = |id: &str| get("ReleaseEipAddress").p("AllocationId", id);
    #[rustfmt::skip]
    let rows = vec![
        (get("AllocateEipAddress").p("IpAddress", &bound_ip), 400, "Ip.Allocated"),
        (get("AllocateEipAddress").p("IpAddress", "192.0.2.1"), 400, "ResourceNotFound.Ip"),
        (get("AllocateEipAddress").p("Bandwidth", "0"), 400, "InvalidParameter"),
        (get("AllocateEipAddress").p("InstanceId", MISSING_EIP), 400, "OperationFailed.AllocateUnfamiliarIp"),
        (get("AssociateEipAddress").p("InstanceId", &gw).p("InstanceType", "Nat"), 400, "MissingAllocationId"),
        (get("AssociateEipAddress").p("AllocationId", &free).p("InstanceType", "Nat"), 400, "MissingInstanceId"),
        (associate(MISSING_EIP, &gw), 404, "InvalidAllocationId.NotFound"),
        (associate(&free, MISSING_NAT), 404, "InvalidInstanId.NotFound"),
        (get("AssociateEipAddress").p("AllocationId", &free).p("InstanceId", &gw), 404, "InvalidInstanId.NotFound"),
        (get("AssociateEipAddress").p("AllocationId", &free).p("InstanceId", &gw).p("InstanceType", "Router"), 400, "InvalidInstanceType.ValueNotSupported"),
        (associate(&free, &beijing), 400, "InvalidParameter.Mismatch"),
        (associate(&free, &intranet), 400, "Forbidden.EipCanNotBindGatgw"),
        (Req::get("AssociateEipAddress").region("cn-beijing").p("AllocationId", &free).p("InstanceId", &gw).p("InstanceType", "Nat"), 404, "InvalidAllocationId.NotFound"),
        (associate(&bound, &gw), 400, "InvalidAssociation.Duplicated"),
        (associate(&bound, &other_gw), 400, "IncorrectEipStatus"),
        (unassociate(&free), 400, "IncorrectEipStatus"),
        (unassociate(&bound).p("InstanceId", &other_gw).p("InstanceType", "Nat"), 404, "InvalidBindInstance.NotFound"),
        (unassociate(&bound).p("InstanceId", &gw).p("InstanceType", "EcsInstance"), 404, "InvalidBindInstance.NotFound"),
        (unassociate(MISSING_EIP), 404, "InvalidAllocationId.NotFound"),
        (release(&bound), 400, "IncorrectEipStatus"),
        (release(&protected), 400, "InvalidOperation.DeletionProtection"),
        (release(MISSING_EIP), 404, "InvalidAllocationId.NotFound"),
        (get("ReleaseEipAddress"), 400, "MissingAllocationId"),
        (get("DeletionProtection").p("InstanceId", &protected).p("ProtectionEnable", "true").p("Type", "EIP"), 400, "DeletionProtection.AlreadyEnabled"),
        (get("DeletionProtection").p("InstanceId", &free).p("ProtectionEnable", "false").p("Type", "EIP"), 404, "DeletionProtection.NotExist"),
        (get("DeletionProtection").p("InstanceId", &free).p("ProtectionEnable", "true").p("Type", "ECS"), 400, "InvalidParameter"),
        (get("DeletionProtection").p("InstanceId", &free).p("ProtectionEnable", "true"), 400, "MissingType"),
        (get("AllocateEipAddress").p("ISP", "Satellite"), 400, "InvalidParameter"),
        (get("AllocateEipAddress").p("InternetChargeType", "PayByLcu"), 400, "InvalidParameter"),
        (get("DescribeEipAddresses").p("AssociatedInstanceType", "Router"), 400, "InvalidIAssociatedInstanceType.ValueNotSupported"),
        (get("DescribeEipAddresses").p("PageSize", "101"), 400, "InvalidParameter"),
        (get("DescribeEipAddresses").p("DryRun", "true"), 400, "DryRunOperation"),
        (get("DeleteNatGateway").p("NatGatewayId", &gw), 400, "DependencyViolation.EIPS"),
    ];
    assert_refusals(&server, rows).await;
    assert_eq!(snapshot(&server).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_cannot_see_or_use_each_others_eips() {
    let server = Server::start().await;
    let gw = new_gateway(&server, &[]).await;
    let (mine, my_ip) = allocate(&server, ("testid", "testsecret")).await;
    let (theirs, _) = allocate(&server, OTHER).await;
    let their_gw = {
        let (vpc, vsw) = default_vpc(&server, OTHER).await;
        let r =
            get("CreateNatGateway").p("VpcId", &vpc).p("VSwitchId", &vsw).creds(OTHER.0, OTHER.1).send(&server).await;
        str_of(&r.ok(), "NatGatewayId")
    };
    let as_other = |r: Req| r.creds(OTHER.0, OTHER.1);
    for (k, v) in [("AllocationId", mine.as_str()), ("EipAddress", my_ip.as_str())] {
        let listed = as_other(get("DescribeEipAddresses").p(k, v)).send(&server).await.ok();
        assert_eq!((&listed["TotalCount"], &listed["EipAddresses"]["EipAddress"]), (&json!(0), &json!([])), "{k}");
    }
    let before = snapshot(&server).await;
    #[rustfmt::skip]
    let rows = vec![
        // testid2 with testid's EIP, onto its own gateway; its own EIP onto testid's gateway.
        (as_other(associate(&mine, &their_gw)), 404, "InvalidAllocationId.NotFound"),
        (as_other(associate(&theirs, &gw)), 404, "InvalidInstanId.NotFound"),
        (associate(&theirs, &gw), 404, "InvalidAllocationId.NotFound"),
        (associate(&mine, &their_gw), 404, "InvalidInstanId.NotFound"),
        (as_other(get("UnassociateEipAddress").p("AllocationId", &mine)), 404, "InvalidAllocationId.NotFound"),
        (as_other(get("ReleaseEipAddress").p("AllocationId", &mine)), 404, "InvalidAllocationId.NotFound"),
        (as_other(get("ModifyEipAddressAttribute").p("AllocationId", &mine).p("Name", "stolen")), 404, "InvalidAllocationId.NotFound"),
        (as_other(get("DeletionProtection").p("InstanceId", &mine).p("ProtectionEnable", "true").p("Type", "EIP")), 400, "DeletionProtection.ResourceNotExist"),
        // The pool is shared: the address is taken, whoever holds it.
        (as_other(get("AllocateEipAddress").p("IpAddress", &my_ip)), 400, "Ip.Allocated"),
    ];
    assert_refusals(&server, rows).await;
    assert_eq!(snapshot(&server).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn quota_of_eips_per_region() {
    let server = Server::start().await;
    let alloc = || Req::get("AllocateEipAddress").region("cn-shenzhen");
    let mut ips = std::collections::HashSet::new();
    for _ in 0..20 {
        ips.insert(str_of(&alloc().send(&server).await.ok(), "EipAddress"));
    }
    assert_eq!(ips.len(), 20, "no address handed out twice");
    let list = || Req::get("DescribeEipAddresses").region("cn-shenzhen").p("PageSize", "100");
    let before = list().send(&server).await.ok()["TotalCount"].clone();
    assert_eq!(before, 20);
    alloc().send(&server).await.err(400, "QuotaExceeded.Eip");
    alloc().set("Format", "XML").send(&server).await.xml_err(400, "QuotaExceeded.Eip");
    assert_eq!(list().send(&server).await.ok()["TotalCount"], before);
    // The quota is per account.
    alloc().creds(OTHER.0, OTHER.1).send(&server).await.ok();
}
