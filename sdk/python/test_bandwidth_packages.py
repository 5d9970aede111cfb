"""Legacy NAT bandwidth packages through the generic calls only (no current typed SDK has them,
WIRE.md): py-core CommonRequest (POST/GET x JSON/XML, XML read from the raw body) and the Tea
client's call_api with the Params every generated NAT method uses (ACS3 and
signature_algorithm='v2'). One test body per variant via GenericClient.call(action, **wire_params)
-> dict keyed by wire names; errors raise lane.ApiError. XML values are strings.
"""
import json
import urllib.error
import urllib.request
import uuid

import pytest

import lane
from lane import ApiError, expect_api_error

VARIANTS = ["common-POST-JSON", "common-GET-JSON", "common-POST-XML", "common-GET-XML", "call_api-acs3",
            "call_api-v2"]


class _Common:
    """aliyun-python-sdk-core CommonRequest: set_domain, set_version, set_action_name, add_query_param."""

    def __init__(self, method, fmt, account):
        from aliyunsdkcore.client import AcsClient
        self.method, self.fmt = method, fmt
        self.client = AcsClient(account[0], account[1], lane.REGION)

    def call(self, action, **params):
        from aliyunsdkcore.acs_exception.exceptions import ServerException
        from aliyunsdkcore.request import CommonRequest
        req = CommonRequest()
        req.set_domain(lane.emulator_hostport())
        req.set_version("2016-04-28")
        req.set_action_name(action)
        req.set_method(self.method)
        req.add_query_param("RegionId", lane.REGION)
        for k, v in params.items():
            req.add_query_param(k, _wire(v))
        if self.fmt == "JSON":
            try:
                return json.loads(self.client.do_action_with_exception(req))
            except ServerException as e:
                raise ApiError(e.get_http_status(), e.get_error_code(), e.get_request_id(), e.get_error_msg())
        req.set_accept_format("XML")
        status, headers, body = self.client.get_response(req)
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        assert ctype.startswith("text/xml"), "XML answer with Content-Type %r: %r" % (ctype, body)
        root, obj = lane.parse_xml_reply(body, action)
        if not 200 <= status < 300:
            assert root == "Error", body
            raise ApiError(status, obj.get("Code"), obj.get("RequestId"), obj.get("Message"))
        return obj


class _CallApi:
    """The Tea client's call_api(Params(...), OpenApiRequest(query=...), RuntimeOptions())."""

    def __init__(self, signature, account):
        from alibabacloud_tea_openapi.client import Client
        from alibabacloud_tea_openapi.utils_models import Config
        cfg = Config(access_key_id=account[0], access_key_secret=account[1], endpoint=lane.emulator_hostport(),
                     protocol="http", region_id=lane.REGION)
        if signature == "v2":
            cfg.signature_algorithm = "v2"
        self.client = Client(cfg)

    def call(self, action, **params):
        from alibabacloud_tea_openapi.exceptions import ClientException
        from alibabacloud_tea_openapi.utils import Utils
        from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
        from darabonba.runtime import RuntimeOptions
        p = Params(action=action, version="2016-04-28", protocol="HTTP", pathname="/", method="POST", auth_type="AK",
                   style="RPC", req_body_type="formData", body_type="json")
        query = {"RegionId": lane.REGION}
        query.update({k: _wire(v) for k, v in params.items()})
        try:
            resp = self.client.call_api(p, OpenApiRequest(query=Utils.query(query)), RuntimeOptions())
        except ClientException as e:
            raise ApiError(e.status_code, e.code, e.request_id, e.message)
        assert resp["statusCode"] == 200, resp
        assert resp["body"]["RequestId"], resp
        return resp["body"]


def _wire(v):
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def generic_client(variant, account=lane.ACCOUNT1):
    kind, *rest = variant.split("-")
    if kind == "common":
        return _Common(rest[0], rest[1], account)
    return _CallApi(rest[0], account)


# ---- helpers ------------------------------------------------------------------------------------

def gateway(c, nat):
    gws = c.call("DescribeNatGateways", NatGatewayId=nat)["NatGateways"]["NatGateway"]
    assert len(gws) <= 1, gws
    return gws[0] if gws else None


def wait_gateway(c, nat, status):
    final, _ = lane.poll(lambda: gateway(c, nat),
                         lambda g: (g is None) if status is None else (g is not None and g["Status"] == status),
                         "NAT gateway %s %s" % (nat, status or "gone"))
    return final


def packages(c, **flt):
    r = c.call("DescribeBandwidthPackages", **flt)
    items = r["BandwidthPackages"]["BandwidthPackage"]
    assert int(r["TotalCount"]) == len(items) or "PageSize" in flt, r
    return items


def package(c, pkg):
    (p,) = packages(c, BandwidthPackageId=pkg)
    return p


def addresses(p):
    """[(AllocationId, IpAddress, UsingStatus)] of a package (the reference's `PublicIpAddresse`)."""
    return [(a["AllocationId"], a["IpAddress"], a["UsingStatus"]) for a in p["PublicIpAddresses"]["PublicIpAddresse"]]


def add_account():
    """A fresh account through POST /_emulator/accounts, or None when the endpoint is absent."""
    key = ("lane-bwp-" + uuid.uuid4().hex[:12], "secret-" + uuid.uuid4().hex)
    body = json.dumps({"access_key_id": key[0], "access_key_secret": key[1]}).encode()
    req = urllib.request.Request(lane.emulator_url() + "/_emulator/accounts", data=body, method="POST",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status in (200, 201), resp.status
    except urllib.error.HTTPError as e:
        if e.code in (404, 405):
            return None
        raise
    return key


@pytest.fixture
def cleanup():
    """Gateways to remove with DeleteNatGateway Force=true after the test (also when it fails)."""
    made = []
    yield made
    for c, nat in made:
        lane.poll(lambda: gateway(c, nat), lambda g: g is None or g["Status"] in ("Available", "Deleting"),
                  "NAT gateway %s settled" % nat)
        try:
            c.call("DeleteNatGateway", NatGatewayId=nat, Force=True)
        except ApiError:
            pass
        wait_gateway(c, nat, None)


@pytest.mark.parametrize("variant", VARIANTS)
def test_package_lifecycle(variant, cleanup):
    c = generic_client(variant)
    vpc = c.call("DescribeVpcs", IsDefault=True)["Vpcs"]["Vpc"][0]["VpcId"]
    vsw = c.call("DescribeVSwitches", VpcId=vpc)["VSwitches"]["VSwitch"][0]
    vsw_id, vsw_net = vsw["VSwitchId"], vsw["CidrBlock"]

    # CreateNatGateway with BandwidthPackage.1.*: the package exists at once
    created = c.call("CreateNatGateway", VpcId=vpc, VSwitchId=vsw_id, NatType="Enhanced", NetworkType="internet",
                     **{"BandwidthPackage.1.IpCount": 2, "BandwidthPackage.1.Bandwidth": 5})
    nat = created["NatGatewayId"]
    cleanup.append((c, nat))
    (bwp,) = created["BandwidthPackageIds"]["BandwidthPackageId"]
    ftb = created["ForwardTableIds"]["ForwardTableId"][0]
    assert bwp.startswith("bwp-"), created
    gw = wait_gateway(c, nat, "Available")
    assert gw["BandwidthPackageIds"]["BandwidthPackageId"] == [bwp], gw

    p = package(c, bwp)
    assert (p["BandwidthPackageId"], p["NatGatewayId"], p["RegionId"], str(p["Bandwidth"]), str(p["IpCount"])) == \
        (bwp, nat, lane.REGION, "5", "2"), p
    assert (p["ISP"], p["Status"], p["InstanceChargeType"], p["BusinessStatus"]) == \
        ("BGP", "Available", "PostPaid", "Normal"), p
    assert p["ZoneId"].startswith(lane.REGION + "-"), p  # Zone omitted: a zone of the region
    addrs = addresses(p)
    assert len(addrs) == 2 and all(a.startswith("nateip-") and s == "Idle" for a, _, s in addrs), p
    ip1, ip2 = addrs[0][1], addrs[1][1]
    # the package addresses appear in the gateway's IpLists
    assert {i["IpAddress"]: i["UsingStatus"] for i in gw["IpLists"]["IpList"]} == {ip1: "idle", ip2: "idle"}, gw

    # CreateBandwidthPackage, newest first; paging
    bwp2 = c.call("CreateBandwidthPackage", NatGatewayId=nat, IpCount=1, Bandwidth=10, Name="lane-pkg")[
        "BandwidthPackageId"]
    assert [x["BandwidthPackageId"] for x in packages(c, NatGatewayId=nat)] == [bwp2, bwp]
    page = c.call("DescribeBandwidthPackages", NatGatewayId=nat, PageSize=1, PageNumber=2)
    assert int(page["TotalCount"]) == 2 and \
        [x["BandwidthPackageId"] for x in page["BandwidthPackages"]["BandwidthPackage"]] == [bwp], page

    # Add / RemoveBandwidthPackageIps
    c.call("AddBandwidthPackageIps", BandwidthPackageId=bwp2, IpCount=2)
    p2 = package(c, bwp2)
    assert str(p2["IpCount"]) == "3" and len(addresses(p2)) == 3, p2
    own = [ip for _, ip, _ in addresses(p2)]
    c.call("RemoveBandwidthPackageIps", BandwidthPackageId=bwp2, **{"RemovedIpAddresses.1": own[0]})
    assert [ip for _, ip, _ in addresses(package(c, bwp2))] == own[1:]
    expect_api_error(lambda: c.call("RemoveBandwidthPackageIps", BandwidthPackageId=bwp2,
                                    **{"RemovedIpAddresses.1": own[1], "RemovedIpAddresses.2": own[2]}),
                     400, "InvalidIpCount.ValueNotSupported")
    expect_api_error(lambda: c.call("RemoveBandwidthPackageIps", BandwidthPackageId=bwp2,
                                    **{"RemovedIpAddresses.1": ip1}), 404, "invalidRemovedIpAddresses.NotFound")
    assert [ip for _, ip, _ in addresses(package(c, bwp2))] == own[1:]

    # ModifyBandwidthPackageAttribute / Spec
    c.call("ModifyBandwidthPackageAttribute", BandwidthPackageId=bwp2, Name="renamed", Description="lane package")
    c.call("ModifyBandwidthPackageSpec", BandwidthPackageId=bwp2, Bandwidth=20)
    p2 = package(c, bwp2)
    assert (p2["Name"], p2["Description"], str(p2["Bandwidth"])) == ("renamed", "lane package", "20"), p2
    expect_api_error(lambda: c.call("ModifyBandwidthPackageSpec", BandwidthPackageId="bwp-bp1lane0000000000000",
                                    Bandwidth=20), 404, "InvalidBandwidthPackageId.NotFound")

    # a gateway with packages takes no EIP
    eip = c.call("AllocateEipAddress")["AllocationId"]
    try:
        expect_api_error(lambda: c.call("AssociateEipAddress", AllocationId=eip, InstanceId=nat, InstanceType="Nat"),
                         400, "Forbidden.EipCanNotBindGatgw")
    finally:
        c.call("ReleaseEipAddress", AllocationId=eip)

    # a DNAT entry on a package address: the address is in use
    internal = vsw_net.split("/")[0].rsplit(".", 1)[0] + ".10"
    fwd = c.call("CreateForwardEntry", ForwardTableId=ftb, ExternalIp=ip1, ExternalPort="80", InternalIp=internal,
                 InternalPort="80", IpProtocol="tcp")["ForwardEntryId"]
    lane.poll(lambda: c.call("DescribeForwardTableEntries", ForwardTableId=ftb, ForwardEntryId=fwd),
              lambda r: [e["Status"] for e in r["ForwardTableEntries"]["ForwardTableEntry"]] == ["Available"],
              "%s Available" % fwd)
    assert dict((ip, s) for _, ip, s in addresses(package(c, bwp)))[ip1] == "UsedByForwardTable"
    expect_api_error(lambda: c.call("RemoveBandwidthPackageIps", BandwidthPackageId=bwp,
                                    **{"RemovedIpAddresses.1": ip1}), 400, "DependencyViolation.ForwardEntry")
    expect_api_error(lambda: c.call("DeleteBandwidthPackage", BandwidthPackageId=bwp), 400,
                     "DependencyViolation.ForwardEntry")
    assert len(addresses(package(c, bwp))) == 2

    # Force deletes the package and the entry on it
    c.call("DeleteBandwidthPackage", BandwidthPackageId=bwp, Force=True)
    assert packages(c, BandwidthPackageId=bwp) == []
    r = c.call("DescribeForwardTableEntries", ForwardTableId=ftb)
    assert r["ForwardTableEntries"]["ForwardTableEntry"] == [], r

    # DeleteNatGateway: refused while a package is left, then Force
    expect_api_error(lambda: c.call("DeleteNatGateway", NatGatewayId=nat), 400, "DependencyViolation.BandwidthPackages")
    assert gateway(c, nat)["Status"] == "Available"
    c.call("DeleteNatGateway", NatGatewayId=nat, Force=True)
    wait_gateway(c, nat, None)
    empty = c.call("DescribeBandwidthPackages", NatGatewayId=nat)
    assert empty["BandwidthPackages"] == {"BandwidthPackage": []} and int(empty["TotalCount"]) == 0, empty


@pytest.mark.parametrize("variant", VARIANTS)
def test_packages_of_one_account_are_invisible_to_another(variant, cleanup):
    key = add_account()
    if key is None:
        pytest.skip("POST /_emulator/accounts is not available")
    c = generic_client(variant)
    vpc = c.call("DescribeVpcs", IsDefault=True)["Vpcs"]["Vpc"][0]["VpcId"]
    created = c.call("CreateNatGateway", VpcId=vpc, NatType="Enhanced",
                     **{"BandwidthPackage.1.IpCount": 1, "BandwidthPackage.1.Bandwidth": 5})
    cleanup.append((c, created["NatGatewayId"]))
    (bwp,) = created["BandwidthPackageIds"]["BandwidthPackageId"]
    other = generic_client(variant, account=key)
    assert packages(other) == []
    assert packages(other, BandwidthPackageId=bwp) == []
    for action, extra in (("ModifyBandwidthPackageAttribute", {"Name": "stolen"}),
                          ("ModifyBandwidthPackageSpec", {"Bandwidth": 6}), ("DeleteBandwidthPackage", {})):
        expect_api_error(lambda: other.call(action, BandwidthPackageId=bwp, **extra), 404,
                         "InvalidBandwidthPackageId.NotFound")
    p = package(c, bwp)
    assert (p["Name"], str(p["Bandwidth"])) == ("", "5"), p
