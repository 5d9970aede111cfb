//! DNAT and SNAT entries over HTTP: lifecycles on the emulator's clock (advanced, never slept on),
//! JSON and XML shapes (wrappers present when empty, `IpProtocol` lower-case, `EipAffinity` a
//! string, a vSwitch entry's `SourceCIDR` = the vSwitch CIDR), the gateway's
//! `IpLists.IpList[].UsingStatus` following the entries, every refusal with its Code and HTTP
//! status in JSON and XML leaving both tables as they were, Force paths, ClientToken, the table
//! lock (off by default), account isolation, and `nat_trace::trace` over state built through HTTP.
//! Helpers here are shared with `packages`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use aliyun_nat_emulator::config::ServeArgs;
use aliyun_nat_emulator::nat_trace::{trace, Direction, Packet};
use ipnet::Ipv4Net;
use serde_json::{json, Value};

use crate::harness::{without_request_id, xml_root, Server, XML_CT};
use crate::signer::{iso_now, nonce, Req, Style};

pub const REGION: &str = "cn-hangzhou";
pub const DELAY_MS: u64 = 5000;
pub const OTHER: (&str, &str) = ("testid2", "testsecret2");

/// Lifecycles of `DELAY_MS` on a frozen clock: only `clock.advance` moves time.
pub async fn delayed() -> Server {
    let server = Server::with(ServeArgs { transition_delay_ms: DELAY_MS, ..ServeArgs::for_tests() }).await;
    server.app.clock.set_frozen(true);
    server
}

/// A v1 GET in the test region.
pub fn call(action: &str) -> Req {
    Req::get(action).region(REGION)
}

/// The same request with a fresh nonce and timestamp (a resend is not a replay).
pub fn again(r: &Req) -> Req {
    Req { nonce: nonce(), timestamp: iso_now(0), ..r.clone() }
}

pub fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}

/// The default VPC of the region and its first vSwitch.
#[derive(Clone)]
pub struct Net {
    pub vpc: String,
    pub vpc_cidr: Ipv4Net,
    pub vsw: String,
    pub vsw_cidr: Ipv4Net,
}

impl Net {
    /// The n-th address of the vSwitch (inside the VPC).
    pub fn host(&self, n: u32) -> String {
        Ipv4Addr::from(u32::from(self.vsw_cidr.network()) + n).to_string()
    }
}

pub async fn default_net(server: &Server) -> Net {
    let v = call("DescribeVpcs").p("IsDefault", "true").send(server).await.ok();
    let vpc = &v["Vpcs"]["Vpc"][0];
    let vs = call("DescribeVSwitches").p("VpcId", &s(vpc, "VpcId")).send(server).await.ok();
    let vsw = &vs["VSwitches"]["VSwitch"][0];
    Net {
        vpc: s(vpc, "VpcId"),
        vpc_cidr: s(vpc, "CidrBlock").parse().unwrap(),
        vsw: s(vsw, "VSwitchId"),
        vsw_cidr: s(vsw, "CidrBlock").parse().unwrap(),
    }
}

/// A gateway with its tables, and EIPs (`allocs[i]` has address `ips[i]`).
#[derive(Clone)]
pub struct Gw {
    pub nat: String,
    pub ftb: String,
    pub stb: String,
    pub net: Net,
    pub allocs: Vec<String>,
    pub ips: Vec<String>,
}

/// CreateNatGateway in the default VPC (extra parameters appended), then the clock past the delay.
pub async fn new_gateway(server: &Server, extra: &[(&str, &str)]) -> Gw {
    let net = default_net(server).await;
    let mut req = call("CreateNatGateway").p("VpcId", &net.vpc).p("VSwitchId", &net.vsw).p("NatType", "Enhanced");
    for (k, v) in extra {
        req = req.p(k, v);
    }
    let c = req.send(server).await.ok();
    server.app.clock.advance(DELAY_MS);
    Gw {
        nat: s(&c, "NatGatewayId"),
        ftb: c["ForwardTableIds"]["ForwardTableId"][0].as_str().expect("ForwardTableId").to_owned(),
        stb: c["SnatTableIds"]["SnatTableId"][0].as_str().expect("SnatTableId").to_owned(),
        net,
        allocs: vec![],
        ips: vec![],
    }
}

/// AllocateEipAddress: (AllocationId, address).
pub async fn allocate(server: &Server) -> (String, String) {
    let v = call("AllocateEipAddress").send(server).await.ok();
    (s(&v, "AllocationId"), s(&v, "EipAddress"))
}

/// Allocates `n` EIPs and associates them with the gateway (Associating until the clock moves).
pub async fn bind_eips(server: &Server, gw: &mut Gw, n: usize) {
    for _ in 0..n {
        let (alloc, ip) = allocate(server).await;
        associate(server, &alloc, &gw.nat).await;
        gw.allocs.push(alloc);
        gw.ips.push(ip);
    }
}

pub async fn associate(server: &Server, alloc: &str, nat: &str) {
    call("AssociateEipAddress")
        .p("AllocationId", alloc)
        .p("InstanceId", nat)
        .p("InstanceType", "Nat")
        .send(server)
        .await
        .ok();
}

/// An Available gateway with `n` InUse EIPs.
pub async fn gateway_with_eips(server: &Server, n: usize) -> Gw {
    let mut gw = new_gateway(server, &[]).await;
    bind_eips(server, &mut gw, n).await;
    server.app.clock.advance(DELAY_MS);
    gw
}

pub fn dnat(gw: &Gw, ext: &str, eport: &str, int: &str, iport: &str, proto: &str) -> Req {
    call("CreateForwardEntry")
        .p("ForwardTableId", &gw.ftb)
        .p("ExternalIp", ext)
        .p("ExternalPort", eport)
        .p("InternalIp", int)
        .p("InternalPort", iport)
        .p("IpProtocol", proto)
}

pub fn snat_by_vsw(gw: &Gw, vsw: &str, ips: &str) -> Req {
    call("CreateSnatEntry").p("SnatTableId", &gw.stb).p("SourceVSwitchId", vsw).p("SnatIp", ips)
}

pub fn snat_by_cidr(gw: &Gw, cidr: &str, ips: &str) -> Req {
    call("CreateSnatEntry").p("SnatTableId", &gw.stb).p("SourceCIDR", cidr).p("SnatIp", ips)
}

pub async fn created(server: &Server, req: Req, key: &str) -> String {
    s(&req.send(server).await.ok(), key)
}

/// Both tables (page size 50, RequestId removed): what a refusal must leave unchanged.
pub async fn tables(server: &Server, gw: &Gw) -> Value {
    let f =
        call("DescribeForwardTableEntries").p("ForwardTableId", &gw.ftb).p("PageSize", "50").send(server).await.ok();
    let n = call("DescribeSnatTableEntries").p("SnatTableId", &gw.stb).p("PageSize", "50").send(server).await.ok();
    json!([without_request_id(f), without_request_id(n)])
}

pub async fn fwd_entries(server: &Server, gw: &Gw) -> Vec<Value> {
    let v =
        call("DescribeForwardTableEntries").p("ForwardTableId", &gw.ftb).p("PageSize", "50").send(server).await.ok();
    v["ForwardTableEntries"]["ForwardTableEntry"].as_array().expect("ForwardTableEntries.ForwardTableEntry").clone()
}

pub async fn snat_entries(server: &Server, gw: &Gw) -> Vec<Value> {
    let v = call("DescribeSnatTableEntries").p("SnatTableId", &gw.stb).p("PageSize", "50").send(server).await.ok();
    v["SnatTableEntries"]["SnatTableEntry"].as_array().expect("SnatTableEntries.SnatTableEntry").clone()
}

/// One DNAT entry as DescribeForwardTableEntries shows it (`Null` when it is not listed).
pub async fn fwd_entry(server: &Server, gw: &Gw, id: &str) -> Value {
    let v = call("DescribeForwardTableEntries")
        .p("ForwardTableId", &gw.ftb)
        .p("ForwardEntryId", id)
        .send(server)
        .await
        .ok();
    v["ForwardTableEntries"]["ForwardTableEntry"][0].clone()
}

/// id → Status of a table's entries.
fn statuses(items: &[Value], key: &str) -> BTreeMap<String, String> {
    items.iter().map(|e| (s(e, key), s(e, "Status"))).collect()
}

pub async fn gateway(server: &Server, nat: &str) -> Value {
    let v = call("DescribeNatGateways").p("NatGatewayId", nat).send(server).await.ok();
    v["NatGateways"]["NatGateway"][0].clone()
}

/// address → UsingStatus of the gateway's IpLists.
pub async fn using_status(server: &Server, nat: &str) -> BTreeMap<String, String> {
    let g = gateway(server, nat).await;
    g["IpLists"]["IpList"]
        .as_array()
        .expect("IpLists.IpList")
        .iter()
        .map(|i| (s(i, "IpAddress"), s(i, "UsingStatus")))
        .collect()
}

pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// Each refused request, in the signing style of its row (GET and POST alternate), answered in
/// JSON and then (the same request, Format=XML) in XML with the same status and Code; `state`
/// reads what must not change, before and after every row.
pub async fn assert_refused<F, Fut>(server: &Server, rows: Vec<(Req, u16, &str)>, state: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let before = state().await;
    for (i, (req, status, code)) in rows.into_iter().enumerate() {
        let req = Req { style: Style::ALL[i % Style::ALL.len()], ..req };
        again(&req).send(server).await.err(status, code);
        again(&req).set("Format", "XML").send(server).await.xml_err(status, code);
        assert_eq!(state().await, before, "row {i} ({code}) changed the state: {req:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dnat_lifecycle_on_the_clock_in_every_style() {
    let server = delayed().await;
    let gw = gateway_with_eips(&server, 1).await;
    let ip = gw.ips[0].clone();
    assert_eq!(using_status(&server, &gw.nat).await, map(&[(&ip, "idle")]));

    // One entry per signing style (GET, POST form, POST query, split, ACS3 ×2), ports 1000 + i.
    let mut ids = vec![];
    for (i, style) in Style::ALL.into_iter().enumerate() {
        let port = (1000 + i).to_string();
        let req = Req { style, ..dnat(&gw, &ip, &port, &gw.net.host(10 + i as u32), "80", "TCP") };
        let id = created(&server, req.p("ForwardEntryName", &format!("e{i}")), "ForwardEntryId").await;
        assert!(id.starts_with("fwd-") && id.len() == 25, "{id}");
        ids.push(id);
    }
    let all = |v: &str| ids.iter().map(|i| (i.clone(), v.to_owned())).collect::<BTreeMap<_, _>>();
    assert_eq!(statuses(&fwd_entries(&server, &gw).await, "ForwardEntryId"), all("Pending"));
    // The table lock is off by default: creates while others are Pending all succeeded above.
    server.app.clock.advance(DELAY_MS - 1);
    assert_eq!(statuses(&fwd_entries(&server, &gw).await, "ForwardEntryId"), all("Pending"));
    server.app.clock.advance(1);
    let listed = fwd_entries(&server, &gw).await;
    assert_eq!(statuses(&listed, "ForwardEntryId"), all("Available"));
    // Oldest first; every field in its spelling, IpProtocol lower-case.
    assert_eq!(listed.iter().map(|e| s(e, "ForwardEntryId")).collect::<Vec<_>>(), ids);
    assert_eq!(
        listed[0],
        json!({
            "ForwardEntryId": ids[0], "ForwardTableId": gw.ftb, "ForwardEntryName": "e0", "NatGatewayId": gw.nat,
            "ExternalIp": ip, "ExternalPort": "1000", "InternalIp": gw.net.host(10), "InternalPort": "80",
            "IpProtocol": "tcp", "Status": "Available",
        })
    );
    assert_eq!(using_status(&server, &gw.nat).await, map(&[(&ip, "UsedByForwardTable")]));

    // ModifyForwardEntry: Pending → Available with the change.
    call("ModifyForwardEntry")
        .p("ForwardTableId", &gw.ftb)
        .p("ForwardEntryId", &ids[0])
        .p("ExternalPort", "2000/2010")
        .p("InternalPort", "3000/3010")
        .p("IpProtocol", "Udp")
        .send(&server)
        .await
        .ok();
    assert_eq!(fwd_entry(&server, &gw, &ids[0]).await["Status"], "Pending");
    server.app.clock.advance(DELAY_MS);
    let e = fwd_entry(&server, &gw, &ids[0]).await;
    assert_eq!(
        (&e["Status"], &e["ExternalPort"], &e["InternalPort"], &e["IpProtocol"]),
        (&json!("Available"), &json!("2000/2010"), &json!("3000/3010"), &json!("udp"))
    );

    // DeleteForwardEntry: Deleting → gone; the address is idle again.
    for (i, id) in ids.iter().enumerate() {
        let style = Style::ALL[i % Style::ALL.len()];
        Req { style, ..call("DeleteForwardEntry").p("ForwardTableId", &gw.ftb).p("ForwardEntryId", id) }
            .send(&server)
            .await
            .ok();
    }
    assert_eq!(statuses(&fwd_entries(&server, &gw).await, "ForwardEntryId"), all("Deleting"));
    assert_eq!(using_status(&server, &gw.nat).await, map(&[(&ip, "UsedByForwardTable")]));
    server.app.clock.advance(DELAY_MS);
    assert_eq!(fwd_entries(&server, &gw).await, Vec::<Value>::new());
    assert_eq!(using_status(&server, &gw.nat).await, map(&[(&ip, "idle")]));
    call("DeleteForwardEntry")
        .p("ForwardTableId", &gw.ftb)
        .p("ForwardEntryId", &ids[0])
        .send(&server)
        .await
        .err(404, "InvalidForwardEntryId.NotFound");
}

#[tokio::test(flavor = "multi_thread")]
async fn snat_lifecycle_and_shapes() {
    let server = delayed().await;
    let gw = gateway_with_eips(&server, 2).await;
    let (ip1, ip2) = (gw.ips[0].clone(), gw.ips[1].clone());
    let one_host = format!("{}/32", gw.net.host(20));
    let by_vsw = created(
        &server,
        Req { style: Style::Acs3Py, ..snat_by_vsw(&gw, &gw.net.vsw, &ip1) }
            .p("EipAffinity", "1")
            .p("SnatEntryName", "vsw"),
        "SnatEntryId",
    )
    .await;
    let by_cidr = created(
        &server,
        Req { style: Style::V1PostForm, ..snat_by_cidr(&gw, &one_host, &format!("{ip1}, {ip2}")) },
        "SnatEntryId",
    )
    .await;
    assert!(by_vsw.starts_with("snat-") && by_cidr.starts_with("snat-"), "{by_vsw} {by_cidr}");
    let listed = snat_entries(&server, &gw).await;
    assert_eq!(statuses(&listed, "SnatEntryId"), map(&[(&by_vsw, "Pending"), (&by_cidr, "Pending")]));
    server.app.clock.advance(DELAY_MS);
    let listed = snat_entries(&server, &gw).await;
    // EipAffinity a string; a vSwitch entry's SourceCIDR is the vSwitch's CIDR; SnatIp canonical.
    assert_eq!(
        listed,
        [
            json!({
                "SnatEntryId": by_vsw, "SnatTableId": gw.stb, "SnatEntryName": "vsw", "NatGatewayId": gw.nat,
                "SnatIp": ip1, "SourceCIDR": gw.net.vsw_cidr.to_string(), "SourceVSwitchId": gw.net.vsw,
                "EipAffinity": "1", "NetworkInterfaceId": "", "Status": "Available",
            }),
            json!({
                "SnatEntryId": by_cidr, "SnatTableId": gw.stb, "SnatEntryName": "", "NatGatewayId": gw.nat,
                "SnatIp": format!("{ip1},{ip2}"), "SourceCIDR": one_host, "SourceVSwitchId": "",
                "EipAffinity": "0", "NetworkInterfaceId": "", "Status": "Available",
            }),
        ]
    );
    assert_eq!(using_status(&server, &gw.nat).await, map(&[(&ip1, "UsedBySnatTable"), (&ip2, "UsedBySnatTable")]));
    let flags: Vec<bool> = gateway(&server, &gw.nat).await["IpLists"]["IpList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["SnatEntryEnabled"] == true)
        .collect();
    assert_eq!(flags, [true, true]);

    // Filters (a vSwitch entry is found by its vSwitch's CIDR too).
    let vsw_cidr = gw.net.vsw_cidr.to_string();
    for (k, v, want) in [
        ("SnatIp", ip2.as_str(), vec![&by_cidr]),
        ("SnatIp", ip1.as_str(), vec![&by_vsw, &by_cidr]),
        ("SourceVSwitchId", gw.net.vsw.as_str(), vec![&by_vsw]),
        ("SourceCIDR", one_host.as_str(), vec![&by_cidr]),
        ("SourceCIDR", vsw_cidr.as_str(), vec![&by_vsw]),
        ("SnatEntryName", "vsw", vec![&by_vsw]),
        ("SnatEntryId", by_cidr.as_str(), vec![&by_cidr]),
    ] {
        let v = call("DescribeSnatTableEntries").p("NatGatewayId", &gw.nat).p(k, v).send(&server).await.ok();
        let got: Vec<String> =
            v["SnatTableEntries"]["SnatTableEntry"].as_array().unwrap().iter().map(|e| s(e, "SnatEntryId")).collect();
        assert_eq!(got.iter().collect::<Vec<_>>(), want, "{k}");
    }

    // ModifySnatEntry: the address list, the name, EipAffinity; Pending → Available.
    call("ModifySnatEntry")
        .p("SnatTableId", &gw.stb)
        .p("SnatEntryId", &by_vsw)
        .p("SnatIp", &ip2)
        .p("SnatEntryName", "renamed")
        .p("EipAffinity", "0")
        .send(&server)
        .await
        .ok();
    assert_eq!(statuses(&snat_entries(&server, &gw).await, "SnatEntryId")[&by_vsw], "Pending");
    server.app.clock.advance(DELAY_MS);
    let e = &snat_entries(&server, &gw).await[0];
    assert_eq!(
        (&e["SnatIp"], &e["SnatEntryName"], &e["EipAffinity"], &e["Status"]),
        (&json!(ip2), &json!("renamed"), &json!("0"), &json!("Available"))
    );

    // Delete both: Deleting → gone; both addresses idle.
    for id in [&by_vsw, &by_cidr] {
        call("DeleteSnatEntry").p("SnatTableId", &gw.stb).p("SnatEntryId", id).send(&server).await.ok();
    }
    assert_eq!(
        statuses(&snat_entries(&server, &gw).await, "SnatEntryId"),
        map(&[(&by_vsw, "Deleting"), (&by_cidr, "Deleting")])
    );
    server.app.clock.advance(DELAY_MS);
    assert_eq!(snat_entries(&server, &gw).await, Vec::<Value>::new());
    assert_eq!(using_status(&server, &gw.nat).await, map(&[(&ip1, "idle"), (&ip2, "idle")]));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_and_xml_shapes() {
    let server = Server::start().await;
    let gw = gateway_with_eips(&server, 1).await;
    let ip = gw.ips[0].clone();
    let xml = |r: Req| async { r.set("Format", "XML").send(&server).await };
    let fwd_list = || call("DescribeForwardTableEntries").p("ForwardTableId", &gw.ftb);
    let snat_list = || call("DescribeSnatTableEntries").p("SnatTableId", &gw.stb);

    // Empty tables: the wrappers are there, in JSON and XML.
    let f = fwd_list().send(&server).await.ok();
    assert_eq!(
        without_request_id(f),
        json!({"TotalCount": 0, "PageNumber": 1, "PageSize": 10, "ForwardTableEntries": {"ForwardTableEntry": []}})
    );
    let n = snat_list().send(&server).await.ok();
    assert_eq!(
        without_request_id(n),
        json!({"TotalCount": 0, "PageNumber": 1, "PageSize": 10, "SnatTableEntries": {"SnatTableEntry": []}})
    );
    for (r, root, wrapper) in [
        (xml(fwd_list()).await, "DescribeForwardTableEntriesResponse", "ForwardTableEntries"),
        (xml(snat_list()).await, "DescribeSnatTableEntriesResponse", "SnatTableEntries"),
    ] {
        assert_eq!((r.status, r.header("content-type"), xml_root(&r.text)), (200, Some(XML_CT), root.to_owned()));
        assert!(
            r.text.contains(&format!("<{wrapper}></{wrapper}>")) || r.text.contains(&format!("<{wrapper}/>")),
            "{wrapper} in {}",
            r.text
        );
        assert!(r.text.contains("<TotalCount>0</TotalCount>"), "{}", r.text);
    }

    // Create replies: only the id and RequestId.
    let r = xml(dnat(&gw, &ip, "80", &gw.net.host(10), "8080", "TCP")).await;
    assert_eq!(xml_root(&r.text), "CreateForwardEntryResponse", "{}", r.text);
    let fwd = r.xml_field("ForwardEntryId").expect("ForwardEntryId");
    let c = dnat(&gw, &ip, "81", &gw.net.host(11), "81", "udp").send(&server).await.ok();
    let mut keys: Vec<&String> = c.as_object().unwrap().keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["ForwardEntryId", "RequestId"]);
    let other = gateway_with_eips(&server, 1).await;
    let sid =
        created(&server, snat_by_vsw(&other, &other.net.vsw, &other.ips[0]).p("EipAffinity", "1"), "SnatEntryId").await;

    // Filled tables in XML: the item elements, IpProtocol lower-case, EipAffinity a string.
    let r = xml(fwd_list().p("ForwardEntryId", &fwd)).await;
    for needle in [
        format!("<ForwardTableEntries><ForwardTableEntry><ForwardEntryId>{fwd}</ForwardEntryId>"),
        "<IpProtocol>tcp</IpProtocol>".to_owned(),
        "<ExternalPort>80</ExternalPort>".to_owned(),
        "<InternalPort>8080</InternalPort>".to_owned(),
        format!("<ExternalIp>{ip}</ExternalIp>"),
        "</ForwardTableEntry></ForwardTableEntries>".to_owned(),
    ] {
        assert!(r.text.contains(&needle), "{needle} in {}", r.text);
    }
    let r = xml(call("DescribeSnatTableEntries").p("SnatTableId", &other.stb)).await;
    for needle in [
        format!("<SnatTableEntries><SnatTableEntry><SnatEntryId>{sid}</SnatEntryId>"),
        "<EipAffinity>1</EipAffinity>".to_owned(),
        format!("<SourceCIDR>{}</SourceCIDR>", other.net.vsw_cidr),
        format!("<SourceVSwitchId>{}</SourceVSwitchId>", other.net.vsw),
    ] {
        assert!(r.text.contains(&needle), "{needle} in {}", r.text);
    }
    let j = call("DescribeSnatTableEntries").p("SnatTableId", &other.stb).send(&server).await.ok();
    assert!(j["SnatTableEntries"]["SnatTableEntry"][0]["EipAffinity"].is_string(), "{j}");
    assert!(j["TotalCount"].is_u64() && j["PageSize"].is_u64(), "{j}");
    // The gateway's IpLists in XML follow the entries too.
    let r = xml(call("DescribeNatGateways").p("NatGatewayId", &gw.nat)).await;
    assert!(r.text.contains("<UsingStatus>UsedByForwardTable</UsingStatus>"), "{}", r.text);
    let r = xml(call("DescribeNatGateways").p("NatGatewayId", &other.nat)).await;
    assert!(r.text.contains("<UsingStatus>UsedBySnatTable</UsingStatus>"), "{}", r.text);
}

/// A gateway with: `ips[0]` DNAT `d1` (tcp 80 → host10:80) and `d2` (udp 1000/1010 →
/// host11:2000/2010); `ips[1]` SNAT `s1` by the vSwitch; `d3` (tcp 7000 on `ips[0]`) and `s2`
/// (a /32 on `ips[1]`) still Pending; `ips[2]` still Associating; `free` an EIP of the account
/// bound to nothing.
struct Busy {
    gw: Gw,
    d1: String,
    d3: String,
    s1: String,
    s2: String,
    free: (String, String),
}

async fn busy_gateway(server: &Server) -> Busy {
    let gw = gateway_with_eips(server, 2).await;
    let (a, b) = (gw.ips[0].clone(), gw.ips[1].clone());
    let d1 = created(server, dnat(&gw, &a, "80", &gw.net.host(10), "80", "tcp"), "ForwardEntryId").await;
    created(server, dnat(&gw, &a, "1000/1010", &gw.net.host(11), "2000/2010", "udp"), "ForwardEntryId").await;
    let s1 = created(server, snat_by_vsw(&gw, &gw.net.vsw, &b), "SnatEntryId").await;
    server.app.clock.advance(DELAY_MS);
    let d3 = created(server, dnat(&gw, &a, "7000", &gw.net.host(12), "7000", "tcp"), "ForwardEntryId").await;
    let s2 = created(server, snat_by_cidr(&gw, &format!("{}/32", gw.net.host(30)), &b), "SnatEntryId").await;
    let mut gw = gw;
    bind_eips(server, &mut gw, 1).await;
    let free = allocate(server).await;
    Busy { gw, d1, d3, s1, s2, free }
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_change_neither_table() {
    let server = delayed().await;
    let Busy { gw, d1, d3, s1, s2, free } = busy_gateway(&server).await;
    let (a, b, late) = (gw.ips[0].as_str(), gw.ips[1].as_str(), gw.ips[2].as_str());
    let h = |n| gw.net.host(n);
    let outside = ["192.168.7.10", "10.7.7.10"]
        .into_iter()
        .find(|x| !gw.net.vpc_cidr.contains(&x.parse::<Ipv4Addr>().unwrap()))
        .unwrap();
    let pool: Vec<String> = (1..=65).map(|i| format!("198.51.100.{i}")).collect();
    let modify_fwd = |id: &str| call("ModifyForwardEntry").p("ForwardTableId", &gw.ftb).p("ForwardEntryId", id);
    let modify_snat = |id: &str| call("ModifySnatEntry").p("SnatTableId", &gw.stb).p("SnatEntryId", id);
    let unassociate = |alloc: &str| {
        call("UnassociateEipAddress").p("AllocationId", alloc).p("InstanceId", &gw.nat).p("InstanceType", "Nat")
    };
    let rows: Vec<(Req, u16, &str)> = vec![
        // syntax
        (dnat(&gw, "1.2.3", "81", &h(10), "81", "tcp"), 400, "InvalidExternalIp.Malformed"),
        (dnat(&gw, a, "81", "172.16.0.300", "81", "tcp"), 400, "InvalidInternalIp.Malformed"),
        (dnat(&gw, a, "0", &h(10), "81", "tcp"), 400, "InvalidExternalPort.Malformed"),
        (dnat(&gw, a, "81", &h(10), "65536", "tcp"), 400, "InvalidInternalPort.Malformed"),
        (dnat(&gw, a, "81", &h(10), "81", "icmp"), 400, "InvalidProtocal.ValueNotSupported"),
        (dnat(&gw, a, "81", &h(10), "81", "any"), 400, "InvalidExternalPort.Malformed"),
        (dnat(&gw, a, "Any", &h(10), "Any", "tcp"), 400, "InvalidExternalPort.Malformed"),
        (dnat(&gw, a, "300/310", &h(10), "300/305", "tcp"), 400, "InvalidInternalPort.Malformed"),
        (dnat(&gw, a, "81", &h(10), "81", "tcp").p("ForwardEntryName", "1st"), 400, "InvalidParameter.Name.Malformed"),
        (call("CreateForwardEntry").p("ForwardTableId", &gw.ftb), 400, "MissingExternalIp"),
        (
            dnat(&Gw { ftb: "ftb-bp1missing00000000000".into(), ..gw.clone() }, a, "81", &h(10), "81", "tcp"),
            404,
            "InvalidForwardTableId.NotFound",
        ),
        // which public IPs
        (dnat(&gw, "203.0.113.9", "81", &h(10), "81", "tcp"), 404, "InvalidExternalIp.NotFound"),
        (dnat(&gw, &free.1, "81", &h(10), "81", "tcp"), 400, "InvalidIp.NotInNatgw"),
        (dnat(&gw, late, "81", &h(10), "81", "tcp"), 400, "OperationUnsupported.EipInBinding"),
        (dnat(&gw, a, "81", outside, "81", "tcp"), 400, "Forbidden.InternalIpOutOfVpcCIDR"),
        // tuple uniqueness (R5)
        (dnat(&gw, a, "80", &h(40), "8080", "tcp"), 400, "OperationUnsupported.PortConflict"),
        (dnat(&gw, a, "8080", &h(10), "80", "TCP"), 400, "OperationUnsupported.PortConflict"),
        (dnat(&gw, a, "1005", &h(41), "1005", "udp"), 400, "OperationUnsupported.PortConflict"),
        (dnat(&gw, a, "Any", &h(42), "Any", "Any"), 400, "OperationUnsupported.PortConflict"),
        (modify_fwd(&d1).p("ExternalPort", "1000").p("IpProtocol", "udp"), 400, "OperationUnsupported.PortConflict"),
        // one public IP, not SNAT and DNAT at once (R4)
        (dnat(&gw, b, "443", &h(10), "443", "tcp"), 400, "Forbidden.ExternalIp.UsedInSnatTable"),
        (dnat(&gw, b, "Any", &h(43), "Any", "any").p("PortBreak", "true"), 400, "Forbidden.ExternalIp.UsedInSnatTable"),
        (modify_fwd(&d1).p("ExternalIp", b), 400, "Forbidden.ExternalIp.UsedInSnatTable"),
        (snat_by_cidr(&gw, &format!("{}/32", h(50)), a), 400, "Forbidden.IpUsedInForwardTable"),
        (modify_snat(&s1).p("SnatIp", &format!("{b},{a}")), 400, "Forbidden.IpUsedInForwardTable"),
        // SNAT sources and addresses
        (snat_by_vsw(&gw, &gw.net.vsw, b), 400, "Forbidden.SourceVSwitchId.Duplicated"),
        (snat_by_cidr(&gw, &gw.net.vsw_cidr.to_string(), b), 400, "OperationUnsupported.CidrConflict"),
        (snat_by_vsw(&gw, &gw.net.vsw, b).p("SourceCIDR", "172.16.0.0/24"), 400, "INVALID_PARAMETER"),
        (snat_by_cidr(&gw, "192.168.0.0/24", b), 400, "INVALID_PARAMETER"),
        (snat_by_cidr(&gw, &format!("{}/24", h(1)), b), 400, "INVALID_PARAMETER"),
        (snat_by_vsw(&gw, "vsw-bp1missing00000000000", b), 404, "InvalidVSwitchId.NotFound"),
        (snat_by_cidr(&gw, &format!("{}/32", h(51)), &free.1), 404, "InvalidSnatIp.NotFound"),
        (snat_by_cidr(&gw, &format!("{}/32", h(51)), "1.2.3"), 400, "InvalidSnatIp.Malformed"),
        (snat_by_cidr(&gw, &format!("{}/32", h(51)), late), 400, "OperationUnsupported.EipInBinding"),
        (snat_by_cidr(&gw, &format!("{}/32", h(51)), &pool.join(",")), 400, "SNAT_IP_POOL_COUNT_TOO_MANY"),
        (
            call("CreateSnatEntry").p("SnatTableId", &gw.stb).p("SourceCIDR", &format!("{}/32", h(51))),
            400,
            "MissingSnatIp",
        ),
        (
            call("CreateSnatEntry")
                .p("SnatTableId", &gw.stb)
                .p("SourceCIDR", &format!("{}/32", h(51)))
                .p("NetworkInterfaceId", "eni-x"),
            404,
            "InvalidNetworkInterfaceId.NotFound",
        ),
        (
            snat_by_vsw(&Gw { stb: "stb-bp1missing00000000000".into(), ..gw.clone() }, &gw.net.vsw, b),
            404,
            "InvalidSnatTableId.NotFound",
        ),
        // entries that are not Available, unknown entries
        (modify_fwd(&d3).p("InternalPort", "7001"), 400, "IncorretForwardEntryStatus"),
        (
            call("DeleteForwardEntry").p("ForwardTableId", &gw.ftb).p("ForwardEntryId", &d3),
            400,
            "IncorretForwardEntryStatus",
        ),
        (modify_snat(&s2).p("SnatEntryName", "renamed"), 400, "IncorretSnatEntryStatus"),
        (call("DeleteSnatEntry").p("SnatTableId", &gw.stb).p("SnatEntryId", &s2), 400, "IncorretSnatEntryStatus"),
        (modify_fwd("fwd-bp1missing00000000000").p("InternalPort", "1"), 404, "InvalidForwardEntryId.NotFound"),
        (
            call("DeleteSnatEntry").p("SnatTableId", &gw.stb).p("SnatEntryId", "snat-bp1missing0000000000"),
            404,
            "InvalidSnatEntryId.NotFound",
        ),
        // DryRun: every check passes, nothing is created
        (dnat(&gw, a, "81", &h(10), "81", "tcp").p("DryRun", "true"), 400, "DryRunOperation"),
        (snat_by_cidr(&gw, &format!("{}/32", h(52)), b).p("DryRun", "true"), 400, "DryRunOperation"),
        // reads
        (call("DescribeForwardTableEntries"), 400, "DESCRIBE_FORWARD_PARAM_INVALID"),
        (call("DescribeForwardTableEntries").p("ForwardTableId", &gw.ftb).p("PageSize", "51"), 400, "InvalidParameter"),
        (
            call("DescribeSnatTableEntries").p("NatGatewayId", "ngw-bp1missing00000000000"),
            404,
            "InvalidNatGatewayId.NotFound",
        ),
        (call("DescribeSnatTableEntries"), 400, "MissingParameter"),
        // another account sees neither table
        (
            call("DescribeForwardTableEntries").p("ForwardTableId", &gw.ftb).creds(OTHER.0, OTHER.1),
            404,
            "InvalidForwardTableId.NotFound",
        ),
        (snat_by_vsw(&gw, &gw.net.vsw, b).creds(OTHER.0, OTHER.1), 404, "InvalidSnatTableId.NotFound"),
        // the EIP and the gateway side
        (unassociate(&gw.allocs[1]), 400, "InvalidIpStatus.HasBeenUsedBySnatTable"),
        (unassociate(&gw.allocs[0]), 400, "InvalidIpStatus.HasBeenUsedByForwardEntry"),
        (call("DeleteNatGateway").p("NatGatewayId", &gw.nat), 400, "DependencyViolation.EIPS"),
    ];
    let state = || async {
        let g = gateway(&server, &gw.nat).await;
        json!([tables(&server, &gw).await, g["Status"], g["IpLists"]])
    };
    assert_refused(&server, rows, state).await;

    // The dependency message names the blockers.
    let r = call("DeleteNatGateway").p("NatGatewayId", &gw.nat).send(&server).await;
    assert!(r.message().contains(&gw.allocs[0]), "{}", r.text);
    let r = unassociate(&gw.allocs[1]).send(&server).await;
    assert!(r.message().contains(&s1) && r.message().contains(&s2), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn port_break_lets_dnat_share_an_snat_address() {
    let server = Server::start().await;
    let gw = gateway_with_eips(&server, 1).await;
    let ip = gw.ips[0].clone();
    created(&server, snat_by_vsw(&gw, &gw.net.vsw, &ip), "SnatEntryId").await;
    dnat(&gw, &ip, "8080", &gw.net.host(10), "80", "tcp")
        .send(&server)
        .await
        .err(400, "Forbidden.ExternalIp.UsedInSnatTable");
    created(&server, dnat(&gw, &ip, "8080", &gw.net.host(10), "80", "tcp").p("PortBreak", "true"), "ForwardEntryId")
        .await;
    // SNAT wins the UsingStatus when both use the address.
    assert_eq!(using_status(&server, &gw.nat).await, map(&[(&ip, "UsedBySnatTable")]));
    // Another SNAT entry on it is fine: the DNAT entry has PortBreak.
    created(&server, snat_by_cidr(&gw, &format!("{}/32", gw.net.host(99)), &ip), "SnatEntryId").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unassociate_and_delete_with_force() {
    let server = delayed().await;
    let Busy { gw, s1, s2, .. } = busy_gateway(&server).await;
    server.app.clock.advance(DELAY_MS);
    let (a, b) = (gw.ips[0].clone(), gw.ips[1].clone());
    // s2 shares its address with nothing else; give s1 a second address so it survives.
    call("ModifySnatEntry")
        .p("SnatTableId", &gw.stb)
        .p("SnatEntryId", &s1)
        .p("SnatIp", &format!("{b},{}", gw.ips[2]))
        .send(&server)
        .await
        .ok();
    server.app.clock.advance(DELAY_MS);

    // Force on the DNAT address: its DNAT entries go at once; the address, Unassociating, takes none.
    call("UnassociateEipAddress").p("AllocationId", &gw.allocs[0]).p("Force", "true").send(&server).await.ok();
    assert_eq!(fwd_entries(&server, &gw).await, Vec::<Value>::new());
    dnat(&gw, &a, "80", &gw.net.host(10), "80", "tcp").send(&server).await.err(400, "IncorrectEipStatus");
    // Force on the SNAT address: s2 (only that address) goes, s1 keeps its other address.
    call("UnassociateEipAddress").p("AllocationId", &gw.allocs[1]).p("Force", "true").send(&server).await.ok();
    let left = snat_entries(&server, &gw).await;
    assert_eq!(
        left.iter().map(|e| (s(e, "SnatEntryId"), s(e, "SnatIp"))).collect::<Vec<_>>(),
        [(s1.clone(), gw.ips[2].clone())]
    );
    assert!(!left.iter().any(|e| s(e, "SnatEntryId") == s2));
    server.app.clock.advance(DELAY_MS);
    let u = using_status(&server, &gw.nat).await;
    assert!(!u.contains_key(&a) && !u.contains_key(&b), "{u:?}");

    // DeleteNatGateway: refused (EIP left), then Force: entries gone at once, EIPs Available.
    call("DeleteNatGateway").p("NatGatewayId", &gw.nat).send(&server).await.err(400, "DependencyViolation.EIPS");
    call("DeleteNatGateway").p("NatGatewayId", &gw.nat).p("Force", "true").send(&server).await.ok();
    assert_eq!(snat_entries(&server, &gw).await, Vec::<Value>::new());
    let e = call("DescribeEipAddresses").p("AllocationId", &gw.allocs[2]).send(&server).await.ok();
    assert_eq!(e["EipAddresses"]["EipAddress"][0]["Status"], "Available");
    assert_eq!(gateway(&server, &gw.nat).await["Status"], "Deleting");
    // A gateway that is not Available takes no entry changes.
    snat_by_cidr(&gw, &format!("{}/32", gw.net.host(9)), &gw.ips[2])
        .send(&server)
        .await
        .err(400, "IncorrectStatus.NATGW");
    server.app.clock.advance(DELAY_MS);
    assert_eq!(gateway(&server, &gw.nat).await, Value::Null);
    call("DescribeForwardTableEntries")
        .p("ForwardTableId", &gw.ftb)
        .send(&server)
        .await
        .err(404, "InvalidForwardTableId.NotFound");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_gateway_names_entry_blockers() {
    // A VPC NAT gateway (no EIPs): its entries use its NAT IP, so the entries are the blockers.
    let server = Server::start().await;
    let gw = new_gateway(&server, &[("NetworkType", "intranet")]).await;
    let nat_ip = s(&gateway(&server, &gw.nat).await["NatGatewayPrivateInfo"], "PrivateIpAddress");
    let sn = created(
        &server,
        call("CreateSnatEntry").p("SnatTableId", &gw.stb).p("SourceCIDR", &gw.net.vsw_cidr.to_string()),
        "SnatEntryId",
    )
    .await;
    let listed = snat_entries(&server, &gw).await;
    assert_eq!(s(&listed[0], "SnatIp"), nat_ip);
    let r = call("DeleteNatGateway").p("NatGatewayId", &gw.nat).send(&server).await;
    r.err(400, "DependencyViolation.SnatEntry");
    assert!(r.message().contains(&sn), "{}", r.text);
    call("DeleteSnatEntry").p("SnatTableId", &gw.stb).p("SnatEntryId", &sn).send(&server).await.ok();
    let fw = created(&server, dnat(&gw, &nat_ip, "80", &gw.net.host(10), "80", "tcp"), "ForwardEntryId").await;
    let r = call("DeleteNatGateway").p("NatGatewayId", &gw.nat).send(&server).await;
    r.err(400, "DependencyViolation.ForwardEntry");
    assert!(r.message().contains(&fw), "{}", r.text);
    call("DeleteNatGateway").p("NatGatewayId", &gw.nat).p("Force", "true").send(&server).await.ok();
    assert_eq!(gateway(&server, &gw.nat).await, Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn table_lock_is_off_by_default_and_can_be_turned_on() {
    let server = delayed().await;
    let gw = gateway_with_eips(&server, 2).await;
    let (a, b) = (gw.ips[0].clone(), gw.ips[1].clone());
    // Off: two creates in a row while the first is Pending both succeed.
    created(&server, dnat(&gw, &a, "1", &gw.net.host(10), "1", "tcp"), "ForwardEntryId").await;
    created(&server, dnat(&gw, &a, "2", &gw.net.host(10), "2", "tcp"), "ForwardEntryId").await;
    created(&server, snat_by_cidr(&gw, &format!("{}/32", gw.net.host(1)), &b), "SnatEntryId").await;
    created(&server, snat_by_cidr(&gw, &format!("{}/32", gw.net.host(2)), &b), "SnatEntryId").await;
    // On: a create while any entry of the table is Pending is refused (real misspelling).
    server.app.settings.write().delays.entry_table_lock = true;
    let before = tables(&server, &gw).await;
    dnat(&gw, &a, "3", &gw.net.host(10), "3", "tcp").send(&server).await.err(400, "IncorretForwardEntryStatus");
    snat_by_cidr(&gw, &format!("{}/32", gw.net.host(3)), &b).send(&server).await.err(400, "IncorretSnatEntryStatus");
    assert_eq!(tables(&server, &gw).await, before);
    server.app.clock.advance(DELAY_MS);
    created(&server, dnat(&gw, &a, "3", &gw.net.host(10), "3", "tcp"), "ForwardEntryId").await;
    created(&server, snat_by_cidr(&gw, &format!("{}/32", gw.net.host(3)), &b), "SnatEntryId").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn client_token_replays_a_create() {
    let server = Server::start().await;
    let gw = gateway_with_eips(&server, 2).await;
    let (ip, ip2) = (gw.ips[0].clone(), gw.ips[1].clone());
    let req = || dnat(&gw, &ip, "22", &gw.net.host(10), "22", "tcp").p("ClientToken", "lane-token-1");
    let first = created(&server, req(), "ForwardEntryId").await;
    assert_eq!(created(&server, req(), "ForwardEntryId").await, first);
    assert_eq!(fwd_entries(&server, &gw).await.len(), 1);
    dnat(&gw, &ip, "23", &gw.net.host(10), "23", "tcp")
        .p("ClientToken", "lane-token-1")
        .send(&server)
        .await
        .err(400, "IdempotentParameterMismatch");
    let sreq = || snat_by_vsw(&gw, &gw.net.vsw, &ip2).p("ClientToken", "lane-token-2");
    let first = created(&server, sreq(), "SnatEntryId").await;
    assert_eq!(created(&server, sreq(), "SnatEntryId").await, first);
    assert_eq!(snat_entries(&server, &gw).await.len(), 1);
    // A token is per action: the DNAT token means nothing to CreateSnatEntry.
    let other = snat_by_cidr(&gw, &format!("{}/32", gw.net.host(5)), &ip2).p("ClientToken", "lane-token-1");
    assert_ne!(created(&server, other, "SnatEntryId").await, first);
}

#[tokio::test(flavor = "multi_thread")]
async fn quotas_per_table() {
    let server = Server::start().await;
    {
        let mut st = server.app.settings.write();
        st.quotas.forward_entries_per_table = 2;
        st.quotas.snat_entries_per_table = 1;
        st.quotas.snat_ips_per_entry = 1;
    }
    let gw = gateway_with_eips(&server, 2).await;
    let (a, b) = (gw.ips[0].clone(), gw.ips[1].clone());
    for p in ["1", "2"] {
        created(&server, dnat(&gw, &a, p, &gw.net.host(10), p, "tcp"), "ForwardEntryId").await;
    }
    created(&server, snat_by_vsw(&gw, &gw.net.vsw, &b), "SnatEntryId").await;
    let rows = vec![
        (dnat(&gw, &a, "3", &gw.net.host(10), "3", "tcp"), 400, "QuotaExceeded"),
        (snat_by_cidr(&gw, &format!("{}/32", gw.net.host(1)), &b), 400, "Forbidden.SnatEntryCountLimited"),
        (snat_by_cidr(&gw, &format!("{}/32", gw.net.host(1)), &format!("{a},{b}")), 400, "SNAT_IP_POOL_COUNT_TOO_MANY"),
    ];
    assert_refused(&server, rows, || tables(&server, &gw)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ip_mapping_entry_takes_the_whole_address() {
    let server = Server::start().await;
    let gw = gateway_with_eips(&server, 1).await;
    let ip = gw.ips[0].clone();
    let id = created(&server, dnat(&gw, &ip, "Any", &gw.net.host(10), "ANY", "Any"), "ForwardEntryId").await;
    let e = fwd_entry(&server, &gw, &id).await;
    assert_eq!(
        (&e["ExternalPort"], &e["InternalPort"], &e["IpProtocol"]),
        (&json!("any"), &json!("any"), &json!("any"))
    );
    let rows = vec![
        (dnat(&gw, &ip, "22", &gw.net.host(11), "22", "tcp"), 400, "OperationUnsupported.PortConflict"),
        (dnat(&gw, &ip, "22", &gw.net.host(10), "22", "udp"), 400, "OperationUnsupported.PortConflict"),
        (snat_by_vsw(&gw, &gw.net.vsw, &ip), 400, "Forbidden.IpUsedInForwardTable"),
    ];
    assert_refused(&server, rows, || tables(&server, &gw)).await;
    // Modify it into a port forward: the address is free for other ports again.
    call("ModifyForwardEntry")
        .p("ForwardTableId", &gw.ftb)
        .p("ForwardEntryId", &id)
        .p("ExternalPort", "80")
        .p("InternalPort", "80")
        .p("IpProtocol", "tcp")
        .send(&server)
        .await
        .ok();
    created(&server, dnat(&gw, &ip, "22", &gw.net.host(11), "22", "tcp"), "ForwardEntryId").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_over_more_than_fifty_entries() {
    let server = Server::start().await;
    let gw = gateway_with_eips(&server, 1).await;
    let mut ids = vec![];
    for i in 0..55u32 {
        let p = (10_000 + i).to_string();
        ids.push(created(&server, dnat(&gw, &gw.ips[0], &p, &gw.net.host(100), &p, "tcp"), "ForwardEntryId").await);
    }
    let mut seen = vec![];
    for (number, size, count) in [("1", "50", 50), ("2", "50", 5), ("3", "50", 0), ("1", "", 10)] {
        let mut r = call("DescribeForwardTableEntries").p("NatGatewayId", &gw.nat).p("PageNumber", number);
        if !size.is_empty() {
            r = r.p("PageSize", size);
        }
        let v = r.send(&server).await.ok();
        let items = v["ForwardTableEntries"]["ForwardTableEntry"].as_array().unwrap();
        assert_eq!((v["TotalCount"].as_u64(), items.len()), (Some(55), count), "page {number}");
        if !size.is_empty() {
            seen.extend(items.iter().map(|e| s(e, "ForwardEntryId")));
        }
    }
    assert_eq!(seen, ids, "every entry once, oldest first");
}

#[tokio::test(flavor = "multi_thread")]
async fn nat_trace_over_state_built_through_http() {
    let server = delayed().await;
    let gw = gateway_with_eips(&server, 3).await;
    let (a, b, c) = (gw.ips[0].clone(), gw.ips[1].clone(), gw.ips[2].clone());
    let mapping = created(&server, dnat(&gw, &c, "Any", &gw.net.host(30), "Any", "Any"), "ForwardEntryId").await;
    let range =
        created(&server, dnat(&gw, &a, "1000/1010", &gw.net.host(11), "2000/2010", "udp"), "ForwardEntryId").await;
    let web = created(&server, dnat(&gw, &a, "80", &gw.net.host(10), "8080", "tcp"), "ForwardEntryId").await;
    let by_vsw = created(&server, snat_by_vsw(&gw, &gw.net.vsw, &b), "SnatEntryId").await;
    let one_host = created(&server, snat_by_cidr(&gw, &format!("{}/32", gw.net.host(20)), &b), "SnatEntryId").await;
    server.app.clock.advance(DELAY_MS);
    let pending = created(&server, dnat(&gw, &a, "443", &gw.net.host(12), "443", "tcp"), "ForwardEntryId").await;
    fwd_entries(&server, &gw).await; // a request applies due transitions

    let account = server.app.store.account("testid").expect("the test account");
    let st = account.state.read();
    let rs = &st.regions[REGION];
    let g = &rs.nat_gateways[&gw.nat];
    let packet = |direction, src: &str, sport, dst: &str, dport, proto: &str| Packet {
        direction,
        src_ip: src.parse().unwrap(),
        src_port: sport,
        dst_ip: dst.parse().unwrap(),
        dst_port: dport,
        protocol: proto.into(),
    };

    // Inbound into the range: the port maps offset for offset.
    let t = trace(rs, g, &packet(Direction::Inbound, "198.51.100.7", 5555, &a, 1005, "UDP"));
    assert_eq!(t.matched.as_ref().map(|m| m.entry_id.clone()), Some(range.clone()));
    let tr = t.translated.clone().expect("translated");
    assert_eq!((tr.dst_ip.as_str(), tr.dst_port, tr.src_port), (gw.net.host(11).as_str(), 2005, 5555));
    // Every entry of the table is listed, with a reason for those that did not match.
    let mut listed: Vec<&str> = t.entries.iter().map(|c| c.entry_id.as_str()).collect();
    listed.sort_unstable();
    let mut want = vec![range.as_str(), web.as_str(), pending.as_str(), mapping.as_str()];
    want.sort_unstable();
    assert_eq!(listed, want);
    for c in t.entries.iter().filter(|c| !c.matched) {
        assert!(!c.reason.is_empty(), "{c:?}");
    }
    let pend = t.entries.iter().find(|c| c.entry_id == pending).unwrap();
    assert!(pend.reason.contains("Pending"), "{pend:?}");

    // Inbound on a port no entry has (and on the Pending entry's port): dropped.
    for port in [81, 443] {
        let t = trace(rs, g, &packet(Direction::Inbound, "198.51.100.7", 5555, &a, port, "tcp"));
        assert!(t.matched.is_none() && t.translated.is_none(), "{t:?}");
        assert!(!t.verdict.is_empty());
    }
    // Inbound tcp on the udp range: the protocol is the reason.
    let t = trace(rs, g, &packet(Direction::Inbound, "198.51.100.7", 5555, &a, 1005, "tcp"));
    assert!(t.matched.is_none(), "{t:?}");

    // Outbound: the most specific SNAT block wins (/32 over the vSwitch), the source becomes b.
    let t = trace(rs, g, &packet(Direction::Outbound, &gw.net.host(20), 40000, "8.8.8.8", 53, "udp"));
    assert_eq!(t.matched.as_ref().map(|m| m.entry_id.clone()), Some(one_host.clone()), "{t:?}");
    assert_eq!(t.translated.as_ref().map(|x| x.src_ip.clone()), Some(b.clone()));
    let t = trace(rs, g, &packet(Direction::Outbound, &gw.net.host(21), 40000, "8.8.8.8", 53, "udp"));
    assert_eq!(t.matched.as_ref().map(|m| m.entry_id.clone()), Some(by_vsw.clone()), "{t:?}");
    // An IP-mapping entry wins outbound for its internal address, before any SNAT block, and
    // forwards every inbound port unchanged.
    let t = trace(rs, g, &packet(Direction::Outbound, &gw.net.host(30), 40000, "8.8.8.8", 53, "udp"));
    assert_eq!(t.matched.as_ref().map(|m| m.entry_id.clone()), Some(mapping.clone()), "{t:?}");
    assert_eq!(t.translated.as_ref().map(|x| (x.src_ip.clone(), x.src_port)), Some((c.clone(), 40000)));
    let t = trace(rs, g, &packet(Direction::Inbound, "198.51.100.7", 5555, &c, 12345, "tcp"));
    assert_eq!(t.matched.as_ref().map(|m| m.entry_id.clone()), Some(mapping.clone()), "{t:?}");
    assert_eq!(t.translated.as_ref().map(|x| (x.dst_ip.clone(), x.dst_port)), Some((gw.net.host(30), 12345)));
    // A source outside every SNAT block is not translated.
    let t = trace(rs, g, &packet(Direction::Outbound, "172.31.255.1", 40000, "8.8.8.8", 53, "udp"));
    assert!(t.matched.is_none() && t.translated.is_none(), "{t:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn nat_trace_endpoint() {
    let server = delayed().await;
    let gw = gateway_with_eips(&server, 2).await;
    let (a, b) = (gw.ips[0].clone(), gw.ips[1].clone());
    let range =
        created(&server, dnat(&gw, &a, "1000/1010", &gw.net.host(11), "2000/2010", "udp"), "ForwardEntryId").await;
    let by_vsw = created(&server, snat_by_vsw(&gw, &gw.net.vsw, &b), "SnatEntryId").await;
    let one_host = created(&server, snat_by_cidr(&gw, &format!("{}/32", gw.net.host(20)), &b), "SnatEntryId").await;
    let post = |body: Value| {
        let server = &server;
        async move { server.raw(reqwest::Method::POST, "/_emulator/nat/trace", Some(&body.to_string())).await }
    };
    let packet = |direction: &str, src: &str, sport: u16, dst: &str, dport: u16, proto: &str| {
        json!({"nat_gateway_id": gw.nat, "direction": direction, "src_ip": src, "src_port": sport,
               "dst_ip": dst, "dst_port": dport, "protocol": proto})
    };
    let before = tables(&server, &gw).await;

    // Pending entries do not translate yet; the reason says so.
    let r = post(packet("inbound", "198.51.100.7", 5555, &a, 1005, "UDP")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!((&v["matched"], &v["translated"]), (&Value::Null, &Value::Null), "{v}");
    assert!(v["entries"][0]["reason"].as_str().unwrap().contains("Pending"), "{v}");
    assert_eq!(tables(&server, &gw).await, before, "tracing changes nothing");

    server.app.clock.advance(DELAY_MS);
    let before = tables(&server, &gw).await;
    let v = post(packet("inbound", "198.51.100.7", 5555, &a, 1005, "udp")).await.json();
    assert_eq!(
        (&v["account"], &v["region"], &v["nat_gateway_id"], &v["direction"]),
        (&json!("testid"), &json!(REGION), &json!(gw.nat), &json!("inbound"))
    );
    assert_eq!(v["matched"]["entry_id"], range.as_str(), "{v}");
    assert_eq!(v["matched"]["kind"], "DNAT");
    assert_eq!(
        v["translated"],
        json!({"src_ip": "198.51.100.7", "src_port": 5555, "dst_ip": gw.net.host(11), "dst_port": 2005, "protocol": "udp"})
    );
    assert!(v["verdict"].as_str().unwrap().contains(&range), "{v}");

    // Outbound: the most specific block wins; every SNAT entry is listed with a reason.
    let v = post(packet("outbound", &gw.net.host(20), 40000, "8.8.8.8", 53, "tcp")).await.json();
    assert_eq!((&v["matched"]["entry_id"], &v["matched"]["kind"]), (&json!(one_host), &json!("SNAT")), "{v}");
    assert_eq!(v["translated"]["src_ip"], b.as_str());
    let listed: Vec<&str> = v["entries"].as_array().unwrap().iter().map(|e| e["entry_id"].as_str().unwrap()).collect();
    assert!(listed.contains(&by_vsw.as_str()) && listed.contains(&one_host.as_str()), "{v}");
    for e in v["entries"].as_array().unwrap() {
        assert!(!e["reason"].as_str().unwrap_or_default().is_empty(), "{e}");
    }
    // No match: a verdict, nothing translated.
    let v = post(packet("inbound", "198.51.100.7", 5555, &a, 81, "tcp")).await.json();
    assert_eq!((&v["matched"], &v["translated"]), (&Value::Null, &Value::Null), "{v}");
    assert!(!v["verdict"].as_str().unwrap().is_empty());

    // Errors: unknown gateway, another account's view, a bad body.
    let mut unknown = packet("inbound", "198.51.100.7", 1, &a, 80, "tcp");
    unknown["nat_gateway_id"] = json!("ngw-bp1missing00000000000");
    let r = post(unknown).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(r.json()["error"].is_string());
    let mut foreign = packet("inbound", "198.51.100.7", 1, &a, 80, "tcp");
    foreign["account"] = json!(OTHER.0);
    assert_eq!(post(foreign).await.status, 404);
    let mut wrong_region = packet("inbound", "198.51.100.7", 1, &a, 80, "tcp");
    wrong_region["region"] = json!("cn-shanghai");
    assert_eq!(post(wrong_region).await.status, 404);
    for bad in [
        json!({"nat_gateway_id": gw.nat}),
        json!({"direction": "sideways"}),
        packet("inbound", "1.2.3", 1, &a, 80, "tcp"),
    ] {
        let r = post(bad).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.json()["error"].is_string());
    }
    assert_eq!(tables(&server, &gw).await, before, "tracing changes nothing");
}
