//! Legacy NAT bandwidth packages over HTTP: `BandwidthPackage.N.*` on CreateNatGateway, the seven
//! actions in every signing style, JSON and XML shapes (`PublicIpAddresses.PublicIpAddresse`,
//! string `Bandwidth`/`IpCount`), package addresses serving DNAT/SNAT entries (UsingStatus on both
//! sides), every refusal with its Code and HTTP status in JSON and XML changing nothing, Force, the
//! address pool, ClientToken, account isolation and the per-account switch (403 `Forbidden`).

use std::collections::BTreeMap;

use aliyun_nat_emulator::config::ServeArgs;
use serde_json::{json, Value};

use crate::entries::{
    again, allocate, assert_refused, call, created, default_net, delayed, dnat, gateway, map, new_gateway, s,
    snat_by_cidr, using_status, Gw, DELAY_MS, OTHER, REGION,
};
use crate::harness::{without_request_id, xml_root, Server, XML_CT};
use crate::signer::{Req, Style};

/// The package as DescribeBandwidthPackages shows it (`Null` when not listed).
async fn package(server: &Server, id: &str) -> Value {
    let v = call("DescribeBandwidthPackages").p("BandwidthPackageId", id).send(server).await.ok();
    let list =
        v["BandwidthPackages"]["BandwidthPackage"].as_array().expect("BandwidthPackages.BandwidthPackage").clone();
    assert!(list.len() <= 1 && v["TotalCount"] == list.len(), "{v}");
    list.into_iter().next().unwrap_or(Value::Null)
}

/// Every package of a gateway, newest first (RequestId removed).
async fn packages_of(server: &Server, nat: &str) -> Value {
    without_request_id(
        call("DescribeBandwidthPackages").p("NatGatewayId", nat).p("PageSize", "50").send(server).await.ok(),
    )
}

/// address → UsingStatus of a package.
fn addresses(p: &Value) -> BTreeMap<String, String> {
    p["PublicIpAddresses"]["PublicIpAddresse"]
        .as_array()
        .expect("PublicIpAddresses.PublicIpAddresse")
        .iter()
        .map(|a| (s(a, "IpAddress"), s(a, "UsingStatus")))
        .collect()
}

fn ips(p: &Value) -> Vec<String> {
    addresses(p).into_keys().collect()
}

fn remove_ips(pkg: &str, list: &[&str]) -> Req {
    let mut r = call("RemoveBandwidthPackageIps").p("BandwidthPackageId", pkg);
    for (i, ip) in list.iter().enumerate() {
        r = r.p(&format!("RemovedIpAddresses.{}", i + 1), ip);
    }
    r
}

/// `BandwidthPackage.N.IpCount/Bandwidth` pairs for CreateNatGateway.
fn package_params(specs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = vec![];
    for (i, (count, bw)) in specs.iter().enumerate() {
        out.push((format!("BandwidthPackage.{}.IpCount", i + 1), (*count).to_owned()));
        out.push((format!("BandwidthPackage.{}.Bandwidth", i + 1), (*bw).to_owned()));
    }
    out
}

/// An Available gateway with packages of (IpCount, Bandwidth); its package ids, oldest first.
async fn gateway_with_packages(server: &Server, specs: &[(&str, &str)]) -> (Gw, Vec<String>) {
    let params = package_params(specs);
    let extra: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let gw = new_gateway(server, &extra).await;
    let ids: Vec<String> = gateway(server, &gw.nat).await["BandwidthPackageIds"]["BandwidthPackageId"]
        .as_array()
        .expect("BandwidthPackageIds")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), specs.len());
    (gw, ids)
}

#[tokio::test(flavor = "multi_thread")]
async fn create_nat_gateway_with_packages_json_and_xml() {
    let server = Server::start().await;
    let net = default_net(&server).await;
    let vsw_zone = s(
        &call("DescribeVSwitches").p("VSwitchId", &net.vsw).send(&server).await.ok()["VSwitches"]["VSwitch"][0],
        "ZoneId",
    );
    let c = Req::new(Style::V1PostForm, "CreateNatGateway")
        .region(REGION)
        .p("VpcId", &net.vpc)
        .p("VSwitchId", &net.vsw)
        .p("BandwidthPackage.1.IpCount", "2")
        .p("BandwidthPackage.1.Bandwidth", "5")
        .p("BandwidthPackage.2.IpCount", "1")
        .p("BandwidthPackage.2.Bandwidth", "5000")
        .p("BandwidthPackage.2.Zone", "cn-hangzhou-i")
        .p("BandwidthPackage.2.ISP", "BGP")
        .send(&server)
        .await
        .ok();
    let nat = s(&c, "NatGatewayId");
    let ids: Vec<String> = c["BandwidthPackageIds"]["BandwidthPackageId"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(ids.len() == 2 && ids.iter().all(|i| i.starts_with("bwp-bp1") && i.len() == 25), "{c}");

    // DescribeBandwidthPackages: newest first, every field in the reference's spelling and type.
    let all = packages_of(&server, &nat).await;
    assert_eq!((&all["TotalCount"], &all["PageNumber"], &all["PageSize"]), (&json!(2), &json!(1), &json!(50)));
    let list = all["BandwidthPackages"]["BandwidthPackage"].as_array().unwrap();
    assert_eq!(list.iter().map(|p| s(p, "BandwidthPackageId")).collect::<Vec<_>>(), [ids[1].clone(), ids[0].clone()]);
    let p = &list[1];
    let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "Bandwidth",
            "BandwidthPackageId",
            "BusinessStatus",
            "CreationTime",
            "Description",
            "ISP",
            "InstanceChargeType",
            "InternetChargeType",
            "IpCount",
            "Name",
            "NatGatewayId",
            "PublicIpAddresses",
            "RegionId",
            "Status",
            "ZoneId",
        ]
    );
    assert_eq!(
        (&p["Bandwidth"], &p["IpCount"], &p["NatGatewayId"], &p["RegionId"], &p["ZoneId"], &p["ISP"]),
        (&json!("5"), &json!("2"), &json!(nat), &json!(REGION), &json!(vsw_zone), &json!("BGP"))
    );
    assert_eq!(
        (&p["Status"], &p["BusinessStatus"], &p["InstanceChargeType"], &p["InternetChargeType"]),
        (&json!("Available"), &json!("Normal"), &json!("PostPaid"), &json!("PayByTraffic"))
    );
    let ct = s(p, "CreationTime");
    assert!(ct.len() == 20 && ct.ends_with('Z') && ct.as_bytes()[10] == b'T', "{ct}");
    for a in p["PublicIpAddresses"]["PublicIpAddresse"].as_array().unwrap() {
        let mut k: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        assert_eq!(k, ["AllocationId", "ApAccessEnabled", "IpAddress", "UsingStatus"]);
        assert!(s(a, "AllocationId").starts_with("nateip-bp1"), "{a}");
        assert_eq!((&a["UsingStatus"], &a["ApAccessEnabled"]), (&json!("Idle"), &json!(false)));
    }
    assert_eq!(
        (&list[0]["Bandwidth"], &list[0]["IpCount"], &list[0]["ZoneId"]),
        (&json!("5000"), &json!("1"), &json!("cn-hangzhou-i"))
    );

    // The gateway lists its packages and their addresses (idle).
    let g = gateway(&server, &nat).await;
    let mut listed: Vec<String> = g["BandwidthPackageIds"]["BandwidthPackageId"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(listed, want);
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for p in list {
        for ip in ips(p) {
            expected.insert(ip, "idle".into());
        }
    }
    assert_eq!(expected.len(), 3);
    assert_eq!(using_status(&server, &nat).await, expected);

    // XML: the create reply, the package list with the reference's `PublicIpAddresse`.
    let r = call("CreateNatGateway")
        .p("VpcId", &net.vpc)
        .p("BandwidthPackage.1.IpCount", "1")
        .p("BandwidthPackage.1.Bandwidth", "5")
        .set("Format", "XML")
        .send(&server)
        .await;
    assert_eq!(
        (r.status, r.header("content-type"), xml_root(&r.text)),
        (200, Some(XML_CT), "CreateNatGatewayResponse".into())
    );
    let bwp = r.xml_field("BandwidthPackageId").expect("BandwidthPackageId");
    assert!(
        r.text.contains(&format!(
            "<BandwidthPackageIds><BandwidthPackageId>{bwp}</BandwidthPackageId></BandwidthPackageIds>"
        )),
        "{}",
        r.text
    );
    let r = call("DescribeBandwidthPackages").p("BandwidthPackageId", &bwp).set("Format", "XML").send(&server).await;
    assert_eq!(xml_root(&r.text), "DescribeBandwidthPackagesResponse");
    for needle in [
        format!("<BandwidthPackages><BandwidthPackage><BandwidthPackageId>{bwp}</BandwidthPackageId>"),
        "<PublicIpAddresses><PublicIpAddresse><AllocationId>nateip-".to_owned(),
        "<UsingStatus>Idle</UsingStatus>".to_owned(),
        "<ApAccessEnabled>false</ApAccessEnabled>".to_owned(),
        "<Bandwidth>5</Bandwidth>".to_owned(),
        "<IpCount>1</IpCount>".to_owned(),
        "<ISP>BGP</ISP>".to_owned(),
        "</PublicIpAddresse></PublicIpAddresses>".to_owned(),
    ] {
        assert!(r.text.contains(&needle), "{needle} in {}", r.text);
    }
    // Empty: the wrapper is still there.
    let none = call("DescribeBandwidthPackages").p("NatGatewayId", "ngw-bp1missing00000000000");
    assert_eq!(
        without_request_id(none.clone().send(&server).await.ok()),
        json!({"TotalCount": 0, "PageNumber": 1, "PageSize": 10, "BandwidthPackages": {"BandwidthPackage": []}})
    );
    let r = again(&none).set("Format", "XML").send(&server).await;
    assert!(
        r.text.contains("<BandwidthPackages></BandwidthPackages>") || r.text.contains("<BandwidthPackages/>"),
        "{}",
        r.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seven_actions_in_every_style() {
    let server = Server::start().await;
    let gw = new_gateway(&server, &[]).await;
    for style in Style::ALL {
        let req = |action: &str| Req::new(style, action).region(REGION);
        let id = s(
            &req("CreateBandwidthPackage")
                .p("NatGatewayId", &gw.nat)
                .p("IpCount", "2")
                .p("Bandwidth", "10")
                .p("ISP", "BGP")
                .p("InternetChargeType", "PayByBandwidth")
                .p("Name", "lane-pkg")
                .p("Description", "created over HTTP")
                .send(&server)
                .await
                .ok(),
            "BandwidthPackageId",
        );
        let p = package(&server, &id).await;
        assert_eq!(
            (&p["Name"], &p["Description"], &p["Bandwidth"], &p["IpCount"], &p["InternetChargeType"]),
            (&json!("lane-pkg"), &json!("created over HTTP"), &json!("10"), &json!("2"), &json!("PayByBandwidth")),
            "{style:?}"
        );

        req("AddBandwidthPackageIps").p("BandwidthPackageId", &id).p("IpCount", "3").send(&server).await.ok();
        let p = package(&server, &id).await;
        assert_eq!((&p["IpCount"], ips(&p).len()), (&json!("5"), 5));
        let all = ips(&p);

        // Removed addresses go back to the pool: an EIP can take one at once.
        Req { style, ..remove_ips(&id, &[&all[0], &all[1]]) }.send(&server).await.ok();
        let p = package(&server, &id).await;
        assert_eq!(ips(&p), all[2..].to_vec());
        assert_eq!(p["IpCount"], "3");
        let e = call("AllocateEipAddress").p("IpAddress", &all[0]).send(&server).await.ok();
        call("ReleaseEipAddress").p("AllocationId", &s(&e, "AllocationId")).send(&server).await.ok();

        req("ModifyBandwidthPackageAttribute")
            .p("BandwidthPackageId", &id)
            .p("Name", "renamed")
            .p("Description", "changed")
            .send(&server)
            .await
            .ok();
        req("ModifyBandwidthPackageSpec").p("BandwidthPackageId", &id).p("Bandwidth", "20").send(&server).await.ok();
        let p = package(&server, &id).await;
        assert_eq!(
            (&p["Name"], &p["Description"], &p["Bandwidth"]),
            (&json!("renamed"), &json!("changed"), &json!("20"))
        );
        // The reference spells it `BandWidth`: accepted too.
        req("ModifyBandwidthPackageSpec").p("BandwidthPackageId", &id).p("BandWidth", "30").send(&server).await.ok();
        assert_eq!(package(&server, &id).await["Bandwidth"], "30");

        let v = req("DescribeBandwidthPackages").p("NatGatewayId", &gw.nat).send(&server).await.ok();
        assert_eq!(v["BandwidthPackages"]["BandwidthPackage"][0]["BandwidthPackageId"], id.as_str());

        req("DeleteBandwidthPackage").p("BandwidthPackageId", &id).send(&server).await.ok();
        assert_eq!(package(&server, &id).await, Value::Null);
        req("DeleteBandwidthPackage")
            .p("BandwidthPackageId", &id)
            .send(&server)
            .await
            .err(404, "InvalidBandwidthPackageId.NotFound");
        // Its addresses are free again.
        let e = call("AllocateEipAddress").p("IpAddress", &all[2]).send(&server).await.ok();
        call("ReleaseEipAddress").p("AllocationId", &s(&e, "AllocationId")).send(&server).await.ok();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn package_addresses_serve_entries() {
    let server = delayed().await;
    let (gw, pkgs) = gateway_with_packages(&server, &[("3", "5")]).await;
    let pkg = pkgs[0].clone();
    let all = ips(&package(&server, &pkg).await);
    let (d, sn, idle) = (all[0].clone(), all[1].clone(), all[2].clone());
    let fwd = created(&server, dnat(&gw, &d, "80", &gw.net.host(10), "80", "tcp"), "ForwardEntryId").await;
    let snat = created(&server, snat_by_cidr(&gw, &format!("{}/32", gw.net.host(20)), &sn), "SnatEntryId").await;
    server.app.clock.advance(DELAY_MS);
    // Both sides show the use: Idle/idle, UsedByForwardTable, UsedBySnatTable.
    assert_eq!(
        addresses(&package(&server, &pkg).await),
        map(&[(&d, "UsedByForwardTable"), (&sn, "UsedBySnatTable"), (&idle, "Idle")])
    );
    assert_eq!(
        using_status(&server, &gw.nat).await,
        map(&[(&d, "UsedByForwardTable"), (&sn, "UsedBySnatTable"), (&idle, "idle")])
    );
    // An address outside the gateway's packages is not usable.
    let (_, eip_ip) = allocate(&server).await;
    dnat(&gw, &eip_ip, "80", &gw.net.host(11), "80", "tcp").send(&server).await.err(400, "InvalidIp.NotInNatgw");

    // Used addresses block removal and deletion, naming the entry.
    let r = remove_ips(&pkg, &[&d]).send(&server).await;
    r.err(400, "DependencyViolation.ForwardEntry");
    assert!(r.message().contains(&fwd), "{}", r.text);
    let r = remove_ips(&pkg, &[&sn]).send(&server).await;
    r.err(400, "DependencyViolation.SnatEntry");
    assert!(r.message().contains(&snat), "{}", r.text);
    let r = call("DeleteBandwidthPackage").p("BandwidthPackageId", &pkg).send(&server).await;
    r.err(400, "DependencyViolation.ForwardEntry");
    assert!(r.message().contains(&fwd), "{}", r.text);
    call("DeleteForwardEntry").p("ForwardTableId", &gw.ftb).p("ForwardEntryId", &fwd).send(&server).await.ok();
    server.app.clock.advance(DELAY_MS);
    call("DeleteBandwidthPackage")
        .p("BandwidthPackageId", &pkg)
        .send(&server)
        .await
        .err(400, "DependencyViolation.SnatEntry");
    remove_ips(&pkg, &[&d]).send(&server).await.ok();

    // Force deletes the package and the entries on its addresses.
    call("DeleteBandwidthPackage").p("BandwidthPackageId", &pkg).p("Force", "true").send(&server).await.ok();
    assert_eq!(package(&server, &pkg).await, Value::Null);
    let v = call("DescribeSnatTableEntries").p("SnatTableId", &gw.stb).send(&server).await.ok();
    assert_eq!(v["SnatTableEntries"]["SnatTableEntry"], json!([]));
    assert_eq!(using_status(&server, &gw.nat).await, BTreeMap::new());
    // Without packages the gateway takes EIPs again.
    let (alloc, _) = allocate(&server).await;
    call("AssociateEipAddress")
        .p("AllocationId", &alloc)
        .p("InstanceId", &gw.nat)
        .p("InstanceType", "Nat")
        .send(&server)
        .await
        .ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_change_nothing() {
    let server = Server::start().await;
    let (gw, pkgs) = gateway_with_packages(&server, &[("2", "5"), ("49", "5"), ("1", "5"), ("1", "5")]).await;
    let (small, big) = (pkgs[0].clone(), pkgs[1].clone());
    let small_ips = ips(&package(&server, &small).await);
    let big_ip = ips(&package(&server, &big).await)[0].clone();
    let (eip, _) = allocate(&server).await;
    let net = default_net(&server).await;
    let missing = "bwp-bp1missing00000000000";
    let create = || call("CreateBandwidthPackage").p("NatGatewayId", &gw.nat);
    let new_gw = |extra: &[(&str, &str)]| {
        let mut r = call("CreateNatGateway").p("VpcId", &net.vpc).p("VSwitchId", &net.vsw);
        for (k, v) in extra {
            r = r.p(k, v);
        }
        r
    };
    let twenty_one: Vec<String> = (1..=21).map(|i| format!("198.51.100.{i}")).collect();
    let twenty_one: Vec<&str> = twenty_one.iter().map(String::as_str).collect();
    let rows: Vec<(Req, u16, &str)> = vec![
        // CreateBandwidthPackage
        (create().p("IpCount", "1").p("Bandwidth", "5"), 400, "QuotaExceeded.BandwidthPackageCountOnNatGateway"),
        (create().p("IpCount", "0").p("Bandwidth", "5"), 400, "InvalidIpCount.ValueNotSupported"),
        (create().p("IpCount", "two").p("Bandwidth", "5"), 400, "InvalidIpCount.ValueNotSupported"),
        (create().p("IpCount", "51").p("Bandwidth", "5"), 400, "QuotaExceeded.BandwidthPackageIps"),
        (create().p("IpCount", "1").p("Bandwidth", "4"), 404, "InvalidBandwidth.ValueNotSupported"),
        (create().p("IpCount", "1").p("Bandwidth", "1001"), 404, "InvalidBandwidth.ValueNotSupported"),
        (create().p("IpCount", "1"), 400, "MissingBandwidth"),
        (
            create().p("IpCount", "1").p("Bandwidth", "5").p("ISP", "CMCC"),
            400,
            "InvalidParameter.BandwidthPackage.n.ISP.ValueNotSupport",
        ),
        (create().p("IpCount", "1").p("Bandwidth", "5").p("Zone", "cn-beijing-a"), 404, "InvalidZoneId.NotFound"),
        (create().p("IpCount", "1").p("Bandwidth", "5").p("InternetChargeType", "PayBySpec"), 400, "InvalidParameter"),
        (create().p("IpCount", "1").p("Bandwidth", "5").p("Name", "1st"), 400, "InvalidParameter.Name.Malformed"),
        (
            create().p("IpCount", "1").p("Bandwidth", "5").p("Description", "http://x"),
            400,
            "InvalidParameter.Description.Malformed",
        ),
        (
            call("CreateBandwidthPackage")
                .p("NatGatewayId", "ngw-bp1missing00000000000")
                .p("IpCount", "1")
                .p("Bandwidth", "5"),
            404,
            "NATGW_NOT_EXIST",
        ),
        // AddBandwidthPackageIps
        (
            call("AddBandwidthPackageIps").p("BandwidthPackageId", &big).p("IpCount", "2"),
            400,
            "QuotaExceeded.BandwidthPackageIps",
        ),
        (
            call("AddBandwidthPackageIps").p("BandwidthPackageId", &small).p("IpCount", "0"),
            400,
            "InvalidIpCount.ValueNotSupported",
        ),
        (
            call("AddBandwidthPackageIps").p("BandwidthPackageId", missing).p("IpCount", "1"),
            404,
            "InvalidBandwidthPackageId.NotFound",
        ),
        // RemoveBandwidthPackageIps
        (remove_ips(&small, &[&small_ips[0], &small_ips[1]]), 400, "InvalidIpCount.ValueNotSupported"),
        (remove_ips(&small, &[&big_ip]), 404, "invalidRemovedIpAddresses.NotFound"),
        (remove_ips(&small, &["203.0.113.1"]), 400, "InvalidRemovedIpAddresses.NotFound"),
        (remove_ips(&small, &[]), 400, "MissingRemovedIpAddresses"),
        (remove_ips(&big, &twenty_one), 400, "InvalidParameter"),
        (remove_ips(missing, &[&big_ip]), 404, "InvalidBandwidthPackageId.NotFound"),
        // ModifyBandwidthPackageAttribute / Spec, Delete, Describe
        (
            call("ModifyBandwidthPackageAttribute").p("BandwidthPackageId", &small).p("Name", "1st"),
            400,
            "InvalidParameter.Name.Malformed",
        ),
        (
            call("ModifyBandwidthPackageAttribute").p("BandwidthPackageId", &small).p("Description", "https://x"),
            400,
            "InvalidParameter.Description.Malformed",
        ),
        (
            call("ModifyBandwidthPackageAttribute").p("BandwidthPackageId", missing).p("Name", "fine"),
            404,
            "InvalidBandwidthPackageId.NotFound",
        ),
        (
            call("ModifyBandwidthPackageSpec").p("BandwidthPackageId", &small).p("Bandwidth", "1001"),
            404,
            "InvalidBandwidth.ValueNotSupported",
        ),
        (call("ModifyBandwidthPackageSpec").p("BandwidthPackageId", &small), 400, "MissingBandwidth"),
        (
            call("ModifyBandwidthPackageSpec").p("BandwidthPackageId", missing).p("Bandwidth", "10"),
            404,
            "InvalidBandwidthPackageId.NotFound",
        ),
        (call("DeleteBandwidthPackage").p("BandwidthPackageId", missing), 404, "InvalidBandwidthPackageId.NotFound"),
        (call("DescribeBandwidthPackages").p("PageSize", "51"), 400, "InvalidParameter"),
        // another account does not see them
        (
            call("DeleteBandwidthPackage").p("BandwidthPackageId", &small).creds(OTHER.0, OTHER.1),
            404,
            "InvalidBandwidthPackageId.NotFound",
        ),
        (
            call("CreateBandwidthPackage")
                .p("NatGatewayId", &gw.nat)
                .p("IpCount", "1")
                .p("Bandwidth", "5")
                .creds(OTHER.0, OTHER.1),
            404,
            "NATGW_NOT_EXIST",
        ),
        // the gateway side
        (call("DeleteNatGateway").p("NatGatewayId", &gw.nat), 400, "DependencyViolation.BandwidthPackages"),
        (
            call("AssociateEipAddress").p("AllocationId", &eip).p("InstanceId", &gw.nat).p("InstanceType", "Nat"),
            400,
            "Forbidden.EipCanNotBindGatgw",
        ),
        // BandwidthPackage.N on CreateNatGateway: nothing is created
        (
            new_gw(&[
                ("BandwidthPackage.5.IpCount", "1"),
                ("BandwidthPackage.5.Bandwidth", "5"),
                ("BandwidthPackage.1.IpCount", "1"),
                ("BandwidthPackage.1.Bandwidth", "5"),
                ("BandwidthPackage.2.IpCount", "1"),
                ("BandwidthPackage.2.Bandwidth", "5"),
                ("BandwidthPackage.3.IpCount", "1"),
                ("BandwidthPackage.3.Bandwidth", "5"),
                ("BandwidthPackage.4.IpCount", "1"),
                ("BandwidthPackage.4.Bandwidth", "5"),
            ]),
            400,
            "QuotaExceeded.BandwidthPackageCountOnNatGateway",
        ),
        (
            new_gw(&[("BandwidthPackage.1.IpCount", "1"), ("BandwidthPackage.1.Bandwidth", "5001")]),
            404,
            "InvalidBandwidth.ValueNotSupported",
        ),
        (new_gw(&[("BandwidthPackage.1.Bandwidth", "5")]), 400, "MissingParameter"),
        (
            new_gw(&[("BandwidthPackage.1.IpCount", "51"), ("BandwidthPackage.1.Bandwidth", "5")]),
            400,
            "QuotaExceeded.BandwidthPackageIps",
        ),
        (
            new_gw(&[
                ("BandwidthPackage.1.IpCount", "1"),
                ("BandwidthPackage.1.Bandwidth", "5"),
                ("BandwidthPackage.1.ISP", "CUCC"),
            ]),
            400,
            "InvalidParameter.BandwidthPackage.n.ISP.ValueNotSupport",
        ),
        (
            new_gw(&[
                ("BandwidthPackage.1.IpCount", "1"),
                ("BandwidthPackage.1.Bandwidth", "5"),
                ("BandwidthPackage.1.Zone", "cn-beijing-a"),
            ]),
            404,
            "InvalidZoneId.NotFound",
        ),
    ];
    let state = || async {
        let all = without_request_id(call("DescribeBandwidthPackages").p("PageSize", "50").send(&server).await.ok());
        let gws = without_request_id(call("DescribeNatGateways").p("PageSize", "50").send(&server).await.ok());
        let e = call("DescribeEipAddresses").p("AllocationId", &eip).send(&server).await.ok();
        json!([all, gws, e["EipAddresses"]])
    };
    assert_refused(&server, rows, state).await;
    // Messages as the reference prints them (the emulator may append detail).
    for (req, message) in [
        (create().p("IpCount", "1").p("Bandwidth", "5"), "BandwidthPackage count limit on one NatGateway exceeded."),
        (create().p("IpCount", "51").p("Bandwidth", "5"), "The specified ipCount exceeded quota."),
        (create().p("IpCount", "1").p("Bandwidth", "4"), "The specified value of Bandwidth not supported."),
        (remove_ips(&small, &[&small_ips[0], &small_ips[1]]), "Can not remove all ips of the bandwidthPackage."),
        (
            remove_ips(&small, &[&big_ip]),
            "Some of the specified value of RemovedIpAddress not found in specified BandwidthPackage",
        ),
        (remove_ips(&small, &["203.0.113.1"]), "Some of remove ip is not natPublicIp"),
        (
            call("DeleteBandwidthPackage").p("BandwidthPackageId", missing),
            "The specified bandwidthPackageId does not exist in our records.",
        ),
        (
            call("CreateBandwidthPackage")
                .p("NatGatewayId", "ngw-bp1missing00000000000")
                .p("IpCount", "1")
                .p("Bandwidth", "5"),
            "The NatGateway not exist.",
        ),
    ] {
        let r = req.send(&server).await;
        assert!(r.message().starts_with(message), "{message:?} in {}", r.text);
    }
    // The dependency message names the packages.
    let r = call("DeleteNatGateway").p("NatGatewayId", &gw.nat).send(&server).await;
    assert!(pkgs.iter().all(|p| r.message().contains(p.as_str())), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_nat_gateway_waits_for_packages_unless_force() {
    let server = delayed().await;
    let (gw, pkgs) = gateway_with_packages(&server, &[("1", "5"), ("2", "5")]).await;
    let addrs: Vec<String> = {
        let mut v = vec![];
        for p in &pkgs {
            v.extend(ips(&package(&server, p).await));
        }
        v
    };
    let fwd = created(&server, dnat(&gw, &addrs[0], "22", &gw.net.host(10), "22", "tcp"), "ForwardEntryId").await;
    server.app.clock.advance(DELAY_MS);
    call("DeleteNatGateway")
        .p("NatGatewayId", &gw.nat)
        .send(&server)
        .await
        .err(400, "DependencyViolation.BandwidthPackages");
    // While a package holds an address, no EIP can have it.
    call("AllocateEipAddress").p("IpAddress", &addrs[1]).send(&server).await.err(400, "Ip.Allocated");

    call("DeleteNatGateway").p("NatGatewayId", &gw.nat).p("Force", "true").send(&server).await.ok();
    for p in &pkgs {
        assert_eq!(package(&server, p).await, Value::Null);
    }
    let v = call("DescribeForwardTableEntries")
        .p("ForwardTableId", &gw.ftb)
        .p("ForwardEntryId", &fwd)
        .send(&server)
        .await
        .ok();
    assert_eq!(v["ForwardTableEntries"]["ForwardTableEntry"], json!([]));
    assert_eq!(gateway(&server, &gw.nat).await["Status"], "Deleting");
    // A gateway that is not Available takes no package.
    call("CreateBandwidthPackage")
        .p("NatGatewayId", &gw.nat)
        .p("IpCount", "1")
        .p("Bandwidth", "5")
        .send(&server)
        .await
        .err(400, "IncorrectStatus.NatGateway");
    server.app.clock.advance(DELAY_MS);
    assert_eq!(gateway(&server, &gw.nat).await, Value::Null);
    // The addresses went back to the pool.
    for ip in &addrs {
        call("AllocateEipAddress").p("IpAddress", ip).send(&server).await.ok();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn client_token_replays_create_bandwidth_package() {
    let server = Server::start().await;
    let gw = new_gateway(&server, &[]).await;
    let req = |count: &str| {
        call("CreateBandwidthPackage")
            .p("NatGatewayId", &gw.nat)
            .p("IpCount", count)
            .p("Bandwidth", "5")
            .p("ClientToken", "lane-bwp-token")
    };
    let first = created(&server, req("1"), "BandwidthPackageId").await;
    assert_eq!(created(&server, req("1"), "BandwidthPackageId").await, first);
    assert_eq!(packages_of(&server, &gw.nat).await["TotalCount"], 1);
    req("2").send(&server).await.err(400, "IdempotentParameterMismatch");
}

/// The default world with `legacy_bandwidth_packages: false` for the second account.
fn world_with_legacy_off() -> std::path::PathBuf {
    let mut w: Value = serde_json::from_str(include_str!("../../fixtures/world.json")).expect("the default world");
    let accounts = w["accounts"].as_array_mut().expect("accounts");
    let second = accounts.iter_mut().find(|a| a["access_key_id"] == OTHER.0).expect("the second account");
    second["legacy_bandwidth_packages"] = json!(false);
    let path =
        std::env::temp_dir().join(format!("nat-emulator-legacy-off-{}-{}.json", std::process::id(), rand_suffix()));
    std::fs::write(&path, serde_json::to_string(&w).unwrap()).expect("write the world file");
    path
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_per_account_switch_answers_403_forbidden() {
    let path = world_with_legacy_off();
    let server = Server::with(ServeArgs { world: Some(path.clone()), ..ServeArgs::for_tests() }).await;
    let _ = std::fs::remove_file(&path);
    // The first account keeps the default (on) and has a package to aim at.
    let (_, pkgs) = gateway_with_packages(&server, &[("1", "5")]).await;
    let pkg = pkgs[0].as_str();
    let other = |r: Req| r.creds(OTHER.0, OTHER.1);
    let vpc2 = {
        let v = other(call("DescribeVpcs").p("IsDefault", "true")).send(&server).await.ok();
        s(&v["Vpcs"]["Vpc"][0], "VpcId")
    };
    let gw2 = s(&other(call("CreateNatGateway").p("VpcId", &vpc2)).send(&server).await.ok(), "NatGatewayId");
    let rows: Vec<(Req, u16, &str)> = vec![
        (
            other(call("CreateBandwidthPackage").p("NatGatewayId", &gw2).p("IpCount", "1").p("Bandwidth", "5")),
            403,
            "Forbidden",
        ),
        (other(call("DescribeBandwidthPackages")), 403, "Forbidden"),
        (other(call("ModifyBandwidthPackageAttribute").p("BandwidthPackageId", pkg).p("Name", "x1")), 403, "Forbidden"),
        (other(call("ModifyBandwidthPackageSpec").p("BandwidthPackageId", pkg).p("Bandwidth", "10")), 403, "Forbidden"),
        (other(call("AddBandwidthPackageIps").p("BandwidthPackageId", pkg).p("IpCount", "1")), 403, "Forbidden"),
        (other(remove_ips(pkg, &["203.0.113.1"])), 403, "Forbidden"),
        (other(call("DeleteBandwidthPackage").p("BandwidthPackageId", pkg)), 403, "Forbidden"),
        (
            other(
                call("CreateNatGateway")
                    .p("VpcId", &vpc2)
                    .p("BandwidthPackage.1.IpCount", "1")
                    .p("BandwidthPackage.1.Bandwidth", "5"),
            ),
            403,
            "Forbidden",
        ),
    ];
    let state = || async {
        let gws = other(call("DescribeNatGateways").p("PageSize", "50")).send(&server).await.ok();
        let mine = call("DescribeBandwidthPackages").send(&server).await.ok();
        json!([without_request_id(gws), without_request_id(mine)])
    };
    assert_refused(&server, rows, state).await;
    let r = other(call("DescribeBandwidthPackages")).send(&server).await;
    assert!(r.message().starts_with("User not authorized to operate on the specified resource."), "{}", r.text);
    // The first account still may.
    call("DescribeBandwidthPackages").send(&server).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_wide_switch_is_a_flag_and_an_env_variable() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aliyun-nat-emulator"))
        .arg("--help")
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--legacy-bandwidth-packages"), "{help}");
    assert!(help.contains("NAT_EMULATOR_LEGACY_BANDWIDTH_PACKAGES"), "{help}");
    // Off for every account without a setting of its own: the actions answer 403 Forbidden.
    let args =
        ServeArgs { legacy_bandwidth_packages: aliyun_nat_emulator::config::Switch::Off, ..ServeArgs::for_tests() };
    let server = Server::with(args).await;
    call("DescribeBandwidthPackages").send(&server).await.err(403, "Forbidden");
}
