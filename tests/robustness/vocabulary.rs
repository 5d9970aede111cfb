//! The parameter vocabulary shared by the property tests (`tests/props.rs`) and the HTTP fuzzer
//! (`tests/fuzz.rs`): every parameter name the actions read, junk values of every wrong type, the
//! parameters each action is about, and which values of a live world fit a parameter.

use serde_json::Value;

/// Every parameter name the actions read, list and tag forms, and junk names.
#[rustfmt::skip]
pub const NAMES: &[&str] = &[
    "AcceptLanguage", "AccessMode", "All", "AllocationId", "AssociatedInstanceId", "AssociatedInstanceType",
    "AutoPay", "AvailabilityMode", "BandWidth", "Bandwidth", "BandwidthPackageId", "ChargeType", "CidrBlock",
    "ClientToken", "Description", "DhcpOptionsSetId", "DryRun", "Duration", "EipAffinity", "EipBindMode", "EipName",
    "EnableDnsHostname", "EnableIpv6", "EnableSessionLog", "ExternalIp", "ExternalPort", "Force", "ForceDelete",
    "ForwardEntryId", "ForwardEntryName", "ForwardTableId", "ISP", "IcmpReplyEnabled", "IncludeReservationData",
    "InstanceChargeType", "InstanceId", "InstanceType", "InternalIp", "InternalPort", "InternetChargeType",
    "IpAddress", "IpCount", "IpProtocol", "Ipv4Prefix", "Ipv6CidrBlock", "IsDefault", "LockReason", "LogDelivery",
    "MaxResults", "Mode", "Name", "NatGatewayId", "NatIp", "NatType", "Netmode", "NetworkInterfaceId",
    "NetworkInterfaceIds", "NetworkType", "NextToken", "PageNumber", "PageSize", "Period", "PortBreak",
    "PrivateLinkEnabled", "ProtectionEnable", "PublicIpAddressPoolId", "RegionId", "RemovedIpAddresses",
    "ResourceGroupId", "ResourceId", "ResourceType", "RouteTableId", "SecurityProtectionEnabled",
    "SecurityProtectionTypes", "SegmentInstanceId", "ServiceManaged", "SnatEntryId", "SnatEntryName", "SnatIp",
    "SnatTableId", "SourceCIDR", "SourceVSwitchId", "Spec", "Status", "TagKey", "Type", "UserCidr", "VSwitchId",
    "VSwitchName", "VSwitchOwnerId", "VpcId", "VpcName", "VpcOwnerId", "Zone", "ZoneId", "ZoneType", "Tag.1.Key",
    "Tag.1.Value", "Tag.2.Key", "Tag.21.Key", "Tag.0.Key", "Tag.x.Key", "Tag.1", "ResourceId.1", "ResourceId.2",
    "ResourceId.0", "TagKey.1", "VpcId.1", "NetworkInterfaceIds.1", "SecurityProtectionTypes.1",
    "RemovedIpAddresses.1", "UserCidr.1", "BandwidthPackage.1.IpCount", "BandwidthPackage.1.Bandwidth",
    "BandwidthPackage.1.Zone", "BandwidthPackage.1.ISP", "BandwidthPackage.5.IpCount", "BandwidthPackage.0.IpCount",
    "BandwidthPackage.1.Foo", "AccessMode.ModeValue", "AccessMode.TunnelType", "Unknown", "x", "Tag",
];

/// Junk values: wrong types, bounds, encodings of the API's own syntax.
#[rustfmt::skip]
pub const JUNK: &[&str] = &[
    "", " ", "0", "1", "-1", "2", "5", "20", "50", "51", "100", "5000", "5001", "65535", "65536", "2147483648",
    "99999999999999999999", "1.5", "1e3", "true", "True", "FALSE", "maybe", "Small", "Middle", "Large", "XLarge.1",
    "Enhanced", "Normal", "Any", "any", "TCP", "udp", "icmp", "80", "80/90", "90/80", "0/10", "1/65535", "Nat", "NAT",
    "EcsInstance", "NatGateway", "EIP", "Eni", "VPC", "Internet", "Intranet", "PayByLcu", "PayBySpec", "PrePaid",
    "PostPaid", "PayByTraffic", "PayByBandwidth", "MULTI_BINDED", "NAT", "BGP", "BGP_PRO", "Available", "InUse",
    "cn-hangzhou", "cn-shanghai", "cn-hangzhou-h", "nowhere", "10.0.0.0/8", "172.16.0.0/24", "192.168.0.0/16",
    "10.0.0.1/8", "1.2.3.4/33", "0.0.0.0/0", "10.0.0.1", "47.0.0.1", "256.1.1.1", "1.2.3.4,5.6.7.8", "{}",
    "{\"ModeValue\":\"Route\"}", "[", "null", "gw-name", "a", "描述", "http://x", "https://x", "aliyun-x", "acs:x",
    "ngw-nope", "vpc-nope", "eip-nope", "ftb-nope", "stb-nope", "fwd-nope", "snat-nope", "bwp-nope",
];

/// Every short string of a JSON document (ids, addresses, CIDRs, names of a state dump).
pub fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if !s.is_empty() && s.len() < 80 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The parameters an action is about (by its name), so that random calls get past `Missing<Name>`
/// and reach the resource checks.
pub fn focus(action: &str) -> &'static [&'static str] {
    let groups: &[(&str, &[&str])] = &[
        (
            "Forward",
            &[
                "ForwardTableId",
                "ForwardEntryId",
                "ExternalIp",
                "ExternalPort",
                "InternalIp",
                "InternalPort",
                "IpProtocol",
                "NatGatewayId",
                "PortBreak",
                "ForwardEntryName",
            ],
        ),
        (
            "Snat",
            &[
                "SnatTableId",
                "SnatEntryId",
                "SnatIp",
                "SourceVSwitchId",
                "SourceCIDR",
                "NatGatewayId",
                "SnatEntryName",
                "EipAffinity",
            ],
        ),
        (
            "BandwidthPackage",
            &["BandwidthPackageId", "NatGatewayId", "IpCount", "Bandwidth", "RemovedIpAddresses.1", "Zone", "Name"],
        ),
        (
            "Eip",
            &[
                "AllocationId",
                "InstanceId",
                "InstanceType",
                "Bandwidth",
                "IpAddress",
                "Force",
                "Name",
                "Status",
                "AssociatedInstanceType",
                "AssociatedInstanceId",
            ],
        ),
        (
            "NatGateway",
            &[
                "NatGatewayId",
                "VpcId",
                "VSwitchId",
                "Spec",
                "NatType",
                "Name",
                "Description",
                "Force",
                "EipBindMode",
                "PrivateLinkEnabled",
            ],
        ),
        ("DeletionProtection", &["InstanceId", "ProtectionEnable", "Type"]),
        ("Tag", &["ResourceId.1", "ResourceId.2", "ResourceType", "Tag.1.Key", "Tag.1.Value", "TagKey.1", "All"]),
        ("VSwitch", &["VSwitchId", "VpcId", "ZoneId", "CidrBlock", "VSwitchName", "Description"]),
        ("Vpc", &["VpcId", "CidrBlock", "VpcName", "Description", "IsDefault", "DryRun"]),
        ("Zone", &["ZoneId", "AcceptLanguage", "ZoneType"]),
    ];
    groups.iter().find(|(k, _)| action.contains(k)).map(|(_, v)| *v).unwrap_or(&["RegionId"])
}

/// Values that fit a parameter, from the live world (ids by prefix, addresses, ports …).
pub fn fitting<'a>(name: &str, values: &'a [String]) -> Vec<&'a str> {
    let prefixes: &[&str] = match name {
        "VpcId" => &["vpc-"],
        "VSwitchId" | "SourceVSwitchId" => &["vsw-"],
        "NatGatewayId" | "InstanceId" | "AssociatedInstanceId" | "ResourceId.1" | "ResourceId.2" => &["ngw-", "eip-"],
        "AllocationId" => &["eip-"],
        "ForwardTableId" => &["ftb-"],
        "SnatTableId" => &["stb-"],
        "ForwardEntryId" => &["fwd-"],
        "SnatEntryId" => &["snat-"],
        "BandwidthPackageId" => &["bwp-"],
        "ZoneId" | "Zone" => &["cn-hangzhou-"],
        "ExternalIp" | "SnatIp" | "IpAddress" | "RemovedIpAddresses.1" | "InternalIp" => &["47.", "172.16.", "10."],
        "CidrBlock" | "SourceCIDR" => &["172.16.", "10.", "192.168."],
        _ => &[],
    };
    values.iter().map(String::as_str).filter(|v| prefixes.iter().any(|p| v.starts_with(p))).collect()
}
