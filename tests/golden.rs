//! Golden responses: a fixed script of requests — for every action of `dispatch::ACTIONS` at least
//! one success and one representative error — against a fresh in-process emulator (seed 1, no
//! lifecycle delays, `--auth off`, frozen clock, `Host: vpc.aliyuncs.com`). Every reply is taken
//! in JSON and in XML; its body is pretty-printed, normalized (RequestId → `{RequestId}`, every
//! `YYYY-MM-DDThh:mm:ssZ` → `{timestamp}`, the server's `127.0.0.1:port` → `{host}`) and compared
//! with `tests/golden/<Action>.<case>.json|xml`.
//!
//! After an intended change of a reply, rewrite the files and review the diff:
//!
//!     UPDATE_GOLDEN=1 cargo test --test golden
//!     git diff tests/golden
//!
//! A write is sent with a `ClientToken` and taken in XML by replaying it with the same token (the
//! first reply again, nothing changes twice); an error changes nothing, so it is simply sent twice.
//! The test also fails when an action has no success or no error case, or when a file in
//! `tests/golden/` is no longer produced by the script (`UPDATE_GOLDEN=1` deletes those).

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use aliyun_nat_emulator::config::{AuthMode, ServeArgs};
use aliyun_nat_emulator::App;
use serde_json::Value;

const HOST: &str = "vpc.aliyuncs.com";
const NONE: &str = "<none>";

/// One request of the script. `$name` in a value is a variable saved by an earlier step; a
/// `RegionId` of `NONE` leaves it out (otherwise `cn-hangzhou` is added).
struct Step {
    action: &'static str,
    case: &'static str,
    params: &'static [(&'static str, &'static str)],
    /// `""` for a success (HTTP 200), else the expected Code.
    code: &'static str,
    status: u16,
    /// (variable, JSON pointer into the JSON reply).
    save: &'static [(&'static str, &'static str)],
}

const fn ok(action: &'static str, case: &'static str, params: &'static [(&'static str, &'static str)]) -> Step {
    Step { action, case, params, code: "", status: 200, save: &[] }
}

const fn err(
    action: &'static str,
    case: &'static str,
    params: &'static [(&'static str, &'static str)],
    status: u16,
    code: &'static str,
) -> Step {
    Step { action, case, params, code, status, save: &[] }
}

impl Step {
    const fn save(self, save: &'static [(&'static str, &'static str)]) -> Step {
        Step { save, ..self }
    }
}

#[rustfmt::skip]
fn script() -> Vec<Step> {
    vec![
        // Regions and zones.
        ok("DescribeRegions", "ok", &[("RegionId", NONE)]),
        ok("DescribeRegions", "en-us", &[("RegionId", NONE), ("AcceptLanguage", "en-US")]),
        err("DescribeRegions", "unknown-access-key", &[("RegionId", NONE), ("AccessKeyId", "nobody")], 404, "InvalidAccessKeyId.NotFound"),
        ok("DescribeZones", "ok", &[]),
        err("DescribeZones", "unknown-region", &[("RegionId", "cn-nowhere")], 404, "InvalidRegionId.NotFound"),
        // VPCs and vSwitches.
        ok("DescribeVpcs", "default", &[("IsDefault", "true")])
            .save(&[("default_vpc", "/Vpcs/Vpc/0/VpcId"), ("default_vsw", "/Vpcs/Vpc/0/VSwitchIds/VSwitchId/0")]),
        err("DescribeVpcs", "page-size-too-large", &[("PageSize", "51")], 400, "InvalidParameter"),
        ok("CreateVpc", "ok", &[("CidrBlock", "10.0.0.0/16"), ("VpcName", "golden"), ("Description", "golden VPC")])
            .save(&[("vpc", "/VpcId")]),
        ok("CreateVpc", "second", &[("CidrBlock", "192.168.0.0/16")]).save(&[("vpc2", "/VpcId")]),
        err("CreateVpc", "bad-cidr", &[("CidrBlock", "10.0.0.0/30")], 400, "InvalidParameter"),
        ok("DescribeVpcAttribute", "ok", &[("VpcId", "$vpc")]),
        err("DescribeVpcAttribute", "not-found", &[("VpcId", "vpc-bp1missing00000000000")], 404, "InvalidVpcId.NotFound"),
        ok("CreateVSwitch", "ok", &[("VpcId", "$vpc"), ("ZoneId", "cn-hangzhou-h"), ("CidrBlock", "10.0.1.0/24"), ("VSwitchName", "golden")])
            .save(&[("vsw", "/VSwitchId")]),
        ok("CreateVSwitch", "second", &[("VpcId", "$vpc2"), ("ZoneId", "cn-hangzhou-i"), ("CidrBlock", "192.168.1.0/24")])
            .save(&[("vsw2", "/VSwitchId")]),
        err("CreateVSwitch", "overlapped", &[("VpcId", "$vpc"), ("ZoneId", "cn-hangzhou-h"), ("CidrBlock", "10.0.1.0/25")], 400, "InvalidCidrBlock.Overlapped"),
        ok("DescribeVSwitches", "ok", &[("VpcId", "$vpc")]),
        err("DescribeVSwitches", "no-region-no-vpc", &[("RegionId", NONE)], 400, "MissingRegionId"),
        ok("DescribeVSwitchAttributes", "ok", &[("VSwitchId", "$vsw")]),
        err("DescribeVSwitchAttributes", "not-found", &[("VSwitchId", "vsw-bp1missing00000000000")], 404, "InvalidVSwitchId.NotFound"),
        ok("DeleteVSwitch", "ok", &[("VSwitchId", "$vsw2")]),
        ok("DeleteVpc", "ok", &[("VpcId", "$vpc2")]),
        // NAT gateways.
        ok("ListEnhanhcedNatGatewayAvailableZones", "ok", &[]),
        err("ListEnhanhcedNatGatewayAvailableZones", "unknown-region", &[("RegionId", "cn-nowhere")], 404, "InvalidRegionId.NotFound"),
        ok("CreateNatGateway", "ok", &[("VpcId", "$vpc"), ("VSwitchId", "$vsw"), ("NatType", "Enhanced"), ("Name", "golden-gw"), ("Description", "golden gateway")])
            .save(&[("ngw", "/NatGatewayId"), ("ftb", "/ForwardTableIds/ForwardTableId/0"), ("stb", "/SnatTableIds/SnatTableId/0")]),
        ok("CreateNatGateway", "intranet", &[("VpcId", "$vpc"), ("VSwitchId", "$vsw"), ("NetworkType", "intranet")])
            .save(&[("ngw_intranet", "/NatGatewayId")]),
        ok("CreateNatGateway", "normal-spec", &[("VpcId", "$vpc"), ("VSwitchId", "$vsw"), ("NatType", "Normal"), ("Spec", "Small")])
            .save(&[("ngw_normal", "/NatGatewayId")]),
        err("CreateNatGateway", "vpc-not-found", &[("VpcId", "vpc-bp1missing00000000000")], 404, "InvalidVpcId.NotFound"),
        err("CreateNatGateway", "bad-name", &[("VpcId", "$vpc"), ("VSwitchId", "$vsw"), ("Name", "1gw")], 400, "InvalidParameter.Name.Malformed"),
        ok("DescribeNatGateways", "ok", &[("NatGatewayId", "$ngw")]),
        ok("DescribeNatGateways", "intranet", &[("NatGatewayId", "$ngw_intranet")]),
        ok("DescribeNatGateways", "empty", &[("NatGatewayId", "ngw-bp1missing00000000000")]),
        err("DescribeNatGateways", "bad-status", &[("Status", "Sleeping")], 400, "InvalidParameter"),
        ok("GetNatGatewayAttribute", "ok", &[("NatGatewayId", "$ngw")]),
        err("GetNatGatewayAttribute", "not-found", &[("NatGatewayId", "ngw-bp1missing00000000000")], 404, "InvalidNatGatewayId.NotFound"),
        ok("ModifyNatGatewayAttribute", "ok", &[("NatGatewayId", "$ngw"), ("Name", "golden-gw-2"), ("Description", "changed")]),
        err("ModifyNatGatewayAttribute", "bad-name", &[("NatGatewayId", "$ngw"), ("Name", "http://x")], 400, "InvalidParameter.Name.Malformed"),
        ok("ModifyNatGatewaySpec", "ok", &[("NatGatewayId", "$ngw_normal"), ("Spec", "Middle")]),
        err("ModifyNatGatewaySpec", "same-spec", &[("NatGatewayId", "$ngw_normal"), ("Spec", "Middle")], 400, "NATGW_MODIFY_SPEC_SAME"),
        ok("TagResources", "ok", &[("ResourceType", "NATGATEWAY"), ("ResourceId.1", "$ngw"), ("Tag.1.Key", "team"), ("Tag.1.Value", "net"), ("Tag.2.Key", "env"), ("Tag.2.Value", "golden")]),
        err("TagResources", "not-found", &[("ResourceType", "NATGATEWAY"), ("ResourceId.1", "ngw-bp1missing00000000000"), ("Tag.1.Key", "k"), ("Tag.1.Value", "v")], 404, "InvalidResourceId.NotFound"),
        ok("ListTagResources", "ok", &[("ResourceType", "NATGATEWAY"), ("ResourceId.1", "$ngw")]),
        ok("ListTagResources", "first-page", &[("ResourceType", "NATGATEWAY"), ("ResourceId.1", "$ngw"), ("MaxResults", "1")]),
        err("ListTagResources", "no-resource-no-tag", &[("ResourceType", "NATGATEWAY")], 400, "MissingParameter"),
        ok("UnTagResources", "ok", &[("ResourceType", "NATGATEWAY"), ("ResourceId.1", "$ngw"), ("TagKey.1", "env")]),
        err("UnTagResources", "bad-type", &[("ResourceType", "ROUTER"), ("ResourceId.1", "$ngw"), ("TagKey.1", "env")], 400, "InvalidParameter"),
        ok("DescribeNatGateways", "tagged", &[("NatGatewayId", "$ngw")]),
        ok("DeletionProtection", "on", &[("InstanceId", "$ngw"), ("ProtectionEnable", "true"), ("Type", "NATGW")]),
        err("DeletionProtection", "already-enabled", &[("InstanceId", "$ngw"), ("ProtectionEnable", "true"), ("Type", "NATGW")], 400, "DeletionProtection.AlreadyEnabled"),
        err("DeleteNatGateway", "protected", &[("NatGatewayId", "$ngw")], 400, "InvalidOperation.DeletionProtection"),
        ok("DeletionProtection", "off", &[("InstanceId", "$ngw"), ("ProtectionEnable", "false"), ("Type", "NATGW")]),
        // EIPs on the gateway.
        ok("AllocateEipAddress", "ok", &[("Name", "golden-eip")]).save(&[("eip", "/AllocationId"), ("eip_ip", "/EipAddress")]),
        ok("AllocateEipAddress", "second", &[]).save(&[("eip2", "/AllocationId"), ("eip2_ip", "/EipAddress")]),
        err("AllocateEipAddress", "ip-not-in-pool", &[("IpAddress", "192.0.2.1")], 400, "ResourceNotFound.Ip"),
        ok("AssociateEipAddress", "ok", &[("AllocationId", "$eip"), ("InstanceId", "$ngw"), ("InstanceType", "Nat")]),
        ok("AssociateEipAddress", "second", &[("AllocationId", "$eip2"), ("InstanceId", "$ngw"), ("InstanceType", "Nat")]),
        err("AssociateEipAddress", "duplicated", &[("AllocationId", "$eip"), ("InstanceId", "$ngw"), ("InstanceType", "Nat")], 400, "InvalidAssociation.Duplicated"),
        ok("DescribeEipAddresses", "ok", &[("AllocationId", "$eip")]),
        err("DescribeEipAddresses", "bad-instance-type", &[("AssociatedInstanceType", "Router")], 400, "InvalidIAssociatedInstanceType.ValueNotSupported"),
        ok("ModifyEipAddressAttribute", "ok", &[("AllocationId", "$eip"), ("Name", "golden-eip-2"), ("Bandwidth", "10")]),
        err("ModifyEipAddressAttribute", "not-found", &[("AllocationId", "eip-bp1missing00000000000"), ("Name", "renamed")], 404, "InvalidAllocationId.NotFound"),
        err("DeleteNatGateway", "eips-bound", &[("NatGatewayId", "$ngw")], 400, "DependencyViolation.EIPS"),
        err("ReleaseEipAddress", "in-use", &[("AllocationId", "$eip")], 400, "IncorrectEipStatus"),
        // DNAT and SNAT entries.
        ok("CreateForwardEntry", "ok", &[("ForwardTableId", "$ftb"), ("ExternalIp", "$eip_ip"), ("ExternalPort", "8080"), ("InternalIp", "10.0.1.10"), ("InternalPort", "80"), ("IpProtocol", "TCP"), ("ForwardEntryName", "golden-dnat")])
            .save(&[("fwd", "/ForwardEntryId")]),
        err("CreateForwardEntry", "internal-ip-outside-vpc", &[("ForwardTableId", "$ftb"), ("ExternalIp", "$eip_ip"), ("ExternalPort", "8081"), ("InternalIp", "192.168.0.10"), ("InternalPort", "80"), ("IpProtocol", "TCP")], 400, "Forbidden.InternalIpOutOfVpcCIDR"),
        ok("DescribeForwardTableEntries", "ok", &[("ForwardTableId", "$ftb")]),
        err("DescribeForwardTableEntries", "table-not-found", &[("ForwardTableId", "ftb-bp1missing00000000000")], 404, "InvalidForwardTableId.NotFound"),
        ok("ModifyForwardEntry", "ok", &[("ForwardTableId", "$ftb"), ("ForwardEntryId", "$fwd"), ("ForwardEntryName", "golden-dnat-2"), ("InternalPort", "8000")]),
        err("ModifyForwardEntry", "not-found", &[("ForwardTableId", "$ftb"), ("ForwardEntryId", "fwd-bp1missing00000000000"), ("ForwardEntryName", "renamed")], 404, "InvalidForwardEntryId.NotFound"),
        ok("CreateSnatEntry", "ok", &[("SnatTableId", "$stb"), ("SourceVSwitchId", "$vsw"), ("SnatIp", "$eip2_ip"), ("SnatEntryName", "golden-snat")])
            .save(&[("snat", "/SnatEntryId")]),
        err("CreateSnatEntry", "ip-not-on-gateway", &[("SnatTableId", "$stb"), ("SourceCIDR", "10.0.2.0/24"), ("SnatIp", "192.0.2.9")], 404, "InvalidSnatIp.NotFound"),
        ok("DescribeSnatTableEntries", "ok", &[("SnatTableId", "$stb")]),
        err("DescribeSnatTableEntries", "table-not-found", &[("SnatTableId", "stb-bp1missing00000000000")], 404, "InvalidSnatTableId.NotFound"),
        ok("ModifySnatEntry", "ok", &[("SnatTableId", "$stb"), ("SnatEntryId", "$snat"), ("SnatEntryName", "golden-snat-2")]),
        err("ModifySnatEntry", "not-found", &[("SnatTableId", "$stb"), ("SnatEntryId", "snat-bp1missing00000000000"), ("SnatEntryName", "renamed")], 404, "InvalidSnatEntryId.NotFound"),
        ok("DescribeNatGateways", "with-eips-and-entries", &[("NatGatewayId", "$ngw")]),
        ok("GetNatGatewayAttribute", "with-eips-and-entries", &[("NatGatewayId", "$ngw")]),
        ok("DescribeEipAddresses", "on-gateway", &[("AssociatedInstanceType", "Nat"), ("AssociatedInstanceId", "$ngw")]),
        err("UnassociateEipAddress", "used-by-dnat", &[("AllocationId", "$eip"), ("InstanceId", "$ngw"), ("InstanceType", "Nat")], 400, "InvalidIpStatus.HasBeenUsedByForwardEntry"),
        err("DeleteForwardEntry", "not-found", &[("ForwardTableId", "$ftb"), ("ForwardEntryId", "fwd-bp1missing00000000000")], 404, "InvalidForwardEntryId.NotFound"),
        ok("DeleteForwardEntry", "ok", &[("ForwardTableId", "$ftb"), ("ForwardEntryId", "$fwd")]),
        err("DeleteSnatEntry", "not-found", &[("SnatTableId", "$stb"), ("SnatEntryId", "snat-bp1missing00000000000")], 404, "InvalidSnatEntryId.NotFound"),
        ok("DeleteSnatEntry", "ok", &[("SnatTableId", "$stb"), ("SnatEntryId", "$snat")]),
        ok("UnassociateEipAddress", "ok", &[("AllocationId", "$eip"), ("InstanceId", "$ngw"), ("InstanceType", "Nat")]),
        ok("ReleaseEipAddress", "ok", &[("AllocationId", "$eip")]),
        err("ReleaseEipAddress", "not-found", &[("AllocationId", "eip-bp1missing00000000000")], 404, "InvalidAllocationId.NotFound"),
        // Legacy bandwidth packages, on the Normal gateway.
        ok("CreateBandwidthPackage", "ok", &[("NatGatewayId", "$ngw_normal"), ("IpCount", "2"), ("Bandwidth", "5"), ("Name", "golden-bwp")])
            .save(&[("bwp", "/BandwidthPackageId")]),
        err("CreateBandwidthPackage", "gateway-not-found", &[("NatGatewayId", "ngw-bp1missing00000000000"), ("IpCount", "1"), ("Bandwidth", "5")], 404, "NATGW_NOT_EXIST"),
        ok("DescribeBandwidthPackages", "ok", &[("NatGatewayId", "$ngw_normal")])
            .save(&[("bwp_ip", "/BandwidthPackages/BandwidthPackage/0/PublicIpAddresses/PublicIpAddresse/0/IpAddress")]),
        ok("DescribeNatGateways", "with-bandwidth-package", &[("NatGatewayId", "$ngw_normal")]),
        err("DescribeBandwidthPackages", "unknown-region", &[("RegionId", "cn-nowhere")], 404, "InvalidRegionId.NotFound"),
        ok("ModifyBandwidthPackageAttribute", "ok", &[("BandwidthPackageId", "$bwp"), ("Name", "golden-bwp-2")]),
        err("ModifyBandwidthPackageAttribute", "not-found", &[("BandwidthPackageId", "bwp-bp1missing00000000000"), ("Name", "renamed")], 404, "InvalidBandwidthPackageId.NotFound"),
        ok("ModifyBandwidthPackageSpec", "ok", &[("BandwidthPackageId", "$bwp"), ("Bandwidth", "10")]),
        err("ModifyBandwidthPackageSpec", "bad-bandwidth", &[("BandwidthPackageId", "$bwp"), ("Bandwidth", "1")], 404, "InvalidBandwidth.ValueNotSupported"),
        ok("AddBandwidthPackageIps", "ok", &[("BandwidthPackageId", "$bwp"), ("IpCount", "1")]),
        err("AddBandwidthPackageIps", "bad-count", &[("BandwidthPackageId", "$bwp"), ("IpCount", "0")], 400, "InvalidIpCount.ValueNotSupported"),
        ok("RemoveBandwidthPackageIps", "ok", &[("BandwidthPackageId", "$bwp"), ("RemovedIpAddresses.1", "$bwp_ip")]),
        err("RemoveBandwidthPackageIps", "not-in-package", &[("BandwidthPackageId", "$bwp"), ("RemovedIpAddresses.1", "192.0.2.1")], 400, "InvalidRemovedIpAddresses.NotFound"),
        ok("DescribeBandwidthPackages", "after-changes", &[("BandwidthPackageId", "$bwp")]),
        err("UpdateNatGatewayNatType", "with-bandwidth-package", &[("NatGatewayId", "$ngw_normal"), ("NatType", "Enhanced"), ("VSwitchId", "$vsw")], 400, "OperationFailed.NatGwBindWithBandwidthPackage"),
        err("DeleteBandwidthPackage", "not-found", &[("BandwidthPackageId", "bwp-bp1missing00000000000")], 404, "InvalidBandwidthPackageId.NotFound"),
        ok("DeleteBandwidthPackage", "ok", &[("BandwidthPackageId", "$bwp")]),
        ok("UpdateNatGatewayNatType", "ok", &[("NatGatewayId", "$ngw_normal"), ("NatType", "Enhanced"), ("VSwitchId", "$vsw")]),
        err("UpdateNatGatewayNatType", "already-enhanced", &[("NatGatewayId", "$ngw"), ("NatType", "Enhanced"), ("VSwitchId", "$vsw")], 400, "OperationUnsupported.NatConvert"),
        // Deletes, in dependency order.
        err("DeleteVSwitch", "gateway-inside", &[("VSwitchId", "$vsw")], 400, "DependencyViolation.EnhancedNatgw"),
        err("DeleteVpc", "gateway-inside", &[("VpcId", "$vpc")], 400, "DependencyViolation.NatGateway"),
        ok("DeleteNatGateway", "force", &[("NatGatewayId", "$ngw"), ("Force", "true")]),
        ok("DeleteNatGateway", "ok", &[("NatGatewayId", "$ngw_intranet")]),
        err("DeleteNatGateway", "not-found", &[("NatGatewayId", "ngw-bp1missing00000000000")], 404, "InvalidNatGatewayId.NotFound"),
        ok("DescribeEipAddresses", "unbound-by-force", &[("AllocationId", "$eip2")]),
        err("DeleteVSwitch", "not-found", &[("VSwitchId", "vsw-bp1missing00000000000")], 404, "InvalidVSwitchId.NotFound"),
        err("DeleteVpc", "not-found", &[("VpcId", "vpc-bp1missing00000000000")], 404, "InvalidVpcId.NotFound"),
    ]
}

// ---- the emulator and the requests -------------------------------------------------------------

struct Server {
    app: Arc<App>,
    addr: std::net::SocketAddr,
    client: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Server {
    let args = ServeArgs { auth: AuthMode::Off, ..ServeArgs::for_tests() };
    let app = App::new(&args).expect("the default world loads");
    app.clock.set_frozen(true);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(aliyun_nat_emulator::serve(app.clone(), listener, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    Server { app, addr, client, _shutdown: tx }
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Reply {
    status: u16,
    content_type: String,
    request_id: String,
    body: String,
}

async fn send(server: &Server, params: &[(String, String)]) -> Reply {
    let query = params.iter().map(|(k, v)| format!("{}={}", pct(k), pct(v))).collect::<Vec<_>>().join("&");
    let r = server
        .client
        .get(format!("http://{}/?{query}", server.addr))
        .header("host", HOST)
        .send()
        .await
        .expect("the emulator answers");
    let header = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (status, content_type, request_id) = (r.status().as_u16(), header("content-type"), header("x-acs-request-id"));
    Reply { status, content_type, request_id, body: r.text().await.unwrap() }
}

// ---- normalization and pretty-printing ---------------------------------------------------------

/// `YYYY-MM-DDThh:mm:ssZ` (optionally with fractional seconds) → `{timestamp}`.
fn mask_timestamps(s: &str) -> String {
    let b = s.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let fits = b.len() >= i + shape.len()
            && shape.iter().zip(&b[i..]).all(|(p, c)| if *p == b'd' { c.is_ascii_digit() } else { p == c });
        if fits {
            let mut j = i + shape.len();
            if j < b.len() && b[j] == b'.' {
                j += 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            if j < b.len() && b[j] == b'Z' {
                out.push_str("{timestamp}");
                i = j + 1;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn normalize(text: &str, request_id: &str, authority: &str) -> String {
    let mut t = text.to_owned();
    if !request_id.is_empty() {
        t = t.replace(request_id, "{RequestId}");
    }
    mask_timestamps(&t.replace(authority, "{host}"))
}

/// One element per line, text kept with its element; CDATA and the declaration untouched.
fn pretty_xml(s: &str) -> String {
    #[derive(PartialEq)]
    enum Last {
        Nothing,
        Open,
        Close,
        Text,
    }
    let mut out = String::new();
    let (mut depth, mut last, mut i) = (0usize, Last::Nothing, 0usize);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with("<![CDATA[") {
            let end = i + rest.find("]]>").expect("a closed CDATA") + 3;
            out.push_str(&s[i..end]);
            (i, last) = (end, Last::Text);
        } else if rest.starts_with("<?") {
            let end = i + rest.find("?>").expect("a closed declaration") + 2;
            out.push_str(&s[i..end]);
            i = end;
        } else if rest.starts_with("</") {
            let end = i + rest.find('>').expect("a closed tag") + 1;
            depth = depth.saturating_sub(1);
            if last == Last::Close {
                newline(&mut out, depth);
            }
            out.push_str(&s[i..end]);
            (i, last) = (end, Last::Close);
        } else if rest.starts_with('<') {
            let end = i + rest.find('>').expect("a closed tag") + 1;
            if last != Last::Text {
                if last == Last::Nothing {
                    out.push('\n');
                } else {
                    newline(&mut out, depth);
                }
            }
            let tag = &s[i..end];
            out.push_str(tag);
            if tag.ends_with("/>") {
                last = Last::Close;
            } else {
                depth += 1;
                last = Last::Open;
            }
            i = end;
        } else {
            let end = rest.find('<').map_or(s.len(), |p| i + p);
            out.push_str(&s[i..end]);
            (i, last) = (end, Last::Text);
        }
    }
    out.trim_start_matches('\n').to_owned()
}

// ---- the test ----------------------------------------------------------------------------------

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden")
}

fn substitute(v: &str, vars: &BTreeMap<String, String>) -> String {
    match v.strip_prefix('$') {
        Some(name) => vars.get(name).unwrap_or_else(|| panic!("no variable ${name} saved yet")).clone(),
        None => v.to_owned(),
    }
}

fn first_difference(expected: &str, got: &str) -> String {
    let (e, g): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), got.lines().collect());
    for i in 0..e.len().max(g.len()) {
        let (a, b) = (e.get(i).copied(), g.get(i).copied());
        if a != b {
            return format!(
                "line {}:\n    expected: {}\n    got:      {}",
                i + 1,
                a.unwrap_or("<end>"),
                b.unwrap_or("<end>")
            );
        }
    }
    "whitespace at the end".into()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_action_matches_its_golden_replies() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0");
    let server = start().await;
    let authority = server.addr.to_string();
    let steps = script();
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut produced: BTreeMap<String, String> = BTreeMap::new();
    let (mut successes, mut errors) = (BTreeSet::new(), BTreeSet::new());

    for (n, step) in steps.iter().enumerate() {
        let mut params: Vec<(String, String)> = vec![
            ("Action".into(), step.action.into()),
            ("Version".into(), "2016-04-28".into()),
            ("AccessKeyId".into(), "testid".into()),
        ];
        if !step.params.iter().any(|(k, _)| *k == "RegionId") {
            params.push(("RegionId".into(), "cn-hangzhou".into()));
        }
        for (k, v) in step.params {
            if *v == NONE {
                continue;
            }
            match params.iter_mut().find(|(name, _)| name == k) {
                Some(slot) => slot.1 = substitute(v, &vars),
                None => params.push(((*k).into(), substitute(v, &vars))),
            }
        }
        let write = aliyun_nat_emulator::dispatch::find(step.action)
            .is_some_and(|d| d.kind() == aliyun_nat_emulator::dispatch::Kind::Write);
        if write && !step.params.iter().any(|(k, _)| *k == "ClientToken") {
            params.push(("ClientToken".into(), format!("golden-{n}")));
        }
        let what = format!("{}.{}", step.action, step.case);
        for format in ["JSON", "XML"] {
            let mut p = params.clone();
            p.push(("Format".into(), format.into()));
            let r = send(&server, &p).await;
            assert_eq!(r.status, step.status, "{what} ({format}): {}", r.body);
            let (ext, text) = if format == "JSON" {
                assert!(r.content_type.starts_with("application/json"), "{what}: {}", r.content_type);
                let v: Value =
                    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", r.body));
                let code = v.get("Code").and_then(Value::as_str).unwrap_or_default();
                assert_eq!(code, step.code, "{what}: {}", r.body);
                for (var, pointer) in step.save {
                    let value = v
                        .pointer(pointer)
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| panic!("{what}: no {pointer} in {v}"));
                    vars.insert((*var).into(), value.to_owned());
                }
                let pretty = serde_json::to_string_pretty(&v).unwrap();
                ("json", normalize(&pretty, &r.request_id, &authority))
            } else {
                assert!(r.content_type.starts_with("text/xml"), "{what}: {}", r.content_type);
                ("xml", normalize(&pretty_xml(&r.body), &r.request_id, &authority))
            };
            let name = format!("{what}.{ext}");
            assert!(produced.insert(name.clone(), text + "\n").is_none(), "{name} twice in the script");
        }
        if step.status == 200 {
            successes.insert(step.action)
        } else {
            errors.insert(step.action)
        };
    }
    // The clock never moved: every timestamp of the run is the same instant.
    assert!(server.app.clock.is_frozen());

    let dir = golden_dir();
    let existing: BTreeSet<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json") || n.ends_with(".xml"))
                .collect()
        })
        .unwrap_or_default();
    let mut problems = vec![];
    for a in aliyun_nat_emulator::dispatch::ACTIONS {
        if !successes.contains(a.name) {
            problems.push(format!("{}: no success case in the script", a.name));
        }
        if !errors.contains(a.name) {
            problems.push(format!("{}: no error case in the script", a.name));
        }
    }
    if update {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &produced {
            let path = dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&path, text).unwrap();
            }
        }
        for stale in existing.iter().filter(|n| !produced.contains_key(*n)) {
            std::fs::remove_file(dir.join(stale)).unwrap();
        }
    } else {
        for (name, text) in &produced {
            match std::fs::read_to_string(dir.join(name)) {
                Err(_) => problems.push(format!("{name}: no golden file")),
                Ok(expected) if expected != *text => {
                    problems.push(format!("{name} differs, {}", first_difference(&expected, text)))
                }
                Ok(_) => {}
            }
        }
        for stale in existing.iter().filter(|n| !produced.contains_key(*n)) {
            problems.push(format!("{stale}: no longer produced by the script"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} golden problem(s) (after an intended change: UPDATE_GOLDEN=1 cargo test --test golden, then review \
         git diff tests/golden):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn normalization_masks_what_varies() {
    let t = normalize(
        r#"{"RequestId":"AB-1","HostId":"127.0.0.1:9","At":"2026-01-02T03:04:05Z","Ms":"2026-01-02T03:04:05.123Z","Not":"2026-01-02"}"#,
        "AB-1",
        "127.0.0.1:9",
    );
    assert_eq!(
        t,
        r#"{"RequestId":"{RequestId}","HostId":"{host}","At":"{timestamp}","Ms":"{timestamp}","Not":"2026-01-02"}"#
    );
    assert_eq!(
        pretty_xml("<?xml version=\"1.0\"?><R><A>1</A><B></B><C><D>x</D></C><E><![CDATA[a<b]]></E></R>"),
        "<?xml version=\"1.0\"?>\n<R>\n  <A>1</A>\n  <B></B>\n  <C>\n    <D>x</D>\n  </C>\n  <E><![CDATA[a<b]]></E>\n</R>"
    );
}
