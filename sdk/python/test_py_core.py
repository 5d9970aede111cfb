"""py-core lane: aliyun-python-sdk-core AcsClient + typed aliyunsdkvpc requests.

Variants: POST (the typed default) and GET, each with JSON
(do_action_with_exception, which forces Format=JSON) and XML
(set_accept_format('XML') + the deprecated get_response(), which hands back
status, headers and the raw body; the XML is parsed here).
"""
import json
import uuid

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkvpc.request.v20160428.CreateVSwitchRequest import CreateVSwitchRequest
from aliyunsdkvpc.request.v20160428.CreateVpcRequest import CreateVpcRequest
from aliyunsdkvpc.request.v20160428.DeleteVSwitchRequest import DeleteVSwitchRequest
from aliyunsdkvpc.request.v20160428.DeleteVpcRequest import DeleteVpcRequest
from aliyunsdkvpc.request.v20160428.DescribeRegionsRequest import DescribeRegionsRequest
from aliyunsdkvpc.request.v20160428.DescribeVSwitchAttributesRequest import DescribeVSwitchAttributesRequest
from aliyunsdkvpc.request.v20160428.DescribeVSwitchesRequest import DescribeVSwitchesRequest
from aliyunsdkvpc.request.v20160428.DescribeVpcAttributeRequest import DescribeVpcAttributeRequest
from aliyunsdkvpc.request.v20160428.DescribeVpcsRequest import DescribeVpcsRequest
from aliyunsdkvpc.request.v20160428.DescribeZonesRequest import DescribeZonesRequest

import lane
from lane import as_bool

VARIANTS = [("POST", "JSON"), ("GET", "JSON"), ("POST", "XML"), ("GET", "XML")]
JSON_VARIANTS = [v for v in VARIANTS if v[1] == "JSON"]


def vid(v):
    return "%s-%s" % v


class XmlApiError(Exception):
    """A non-2xx answer to a Format=XML request (py-core only returns the raw body)."""

    def __init__(self, status, error):
        super().__init__("HTTP %s %r" % (status, error))
        self.status = status
        self.code = error.get("Code")
        self.error = error


class Core:
    """One AcsClient + how to send (method, format); call() returns the parsed body."""

    def __init__(self, hostport, method, fmt, account=lane.ACCOUNT1, region=lane.REGION):
        self.hostport = hostport
        self.method = method
        self.fmt = fmt
        self.client = AcsClient(account[0], account[1], region)

    def call(self, request_cls, region=None, **params):
        req = request_cls()
        for name, value in params.items():
            getattr(req, "set_" + name)(value)
        if region is not None:
            req.add_query_param("RegionId", region)
        req.set_endpoint(self.hostport)
        req.set_method(self.method)
        action = req.get_action_name()
        if self.fmt == "JSON":
            return json.loads(self.client.do_action_with_exception(req))
        req.set_accept_format("XML")
        status, headers, body = self.client.get_response(req)
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if not 200 <= status < 300:
            assert ctype.startswith("text/xml"), "XML error with Content-Type %r: %r" % (ctype, body)
            raise XmlApiError(status, lane.parse_xml_error(body))
        assert ctype.startswith("text/xml"), "XML answer with Content-Type %r" % ctype
        return lane.parse_xml_response(body, action)


def expect_error(fn, status, codes):
    """fn() must fail with HTTP `status` and a Code in `codes` (a set, or a predicate)."""
    with pytest.raises((ServerException, XmlApiError)) as ei:
        fn()
    e = ei.value
    if isinstance(e, ServerException):
        got = (e.get_http_status(), e.get_error_code())
        assert e.get_request_id(), "error without RequestId: %s" % e
    else:
        got = (e.status, e.code)
        assert e.error.get("RequestId"), "XML error without RequestId: %r" % e.error
    ok = codes(got[1]) if callable(codes) else got[1] in codes
    assert got[0] == status and ok, "expected HTTP %s %s, got %s (%s)" % (status, codes, got, e)
    return e


def wait_vpc_available(c, vpc_id):
    final, seen = lane.poll(lambda: c.call(DescribeVpcAttributeRequest, VpcId=vpc_id),
                            lambda b: b["Status"] == "Available", "VPC %s Available" % vpc_id)
    return final, [b["Status"] for b in seen]


def wait_vsw_available(c, vsw_id):
    final, seen = lane.poll(lambda: c.call(DescribeVSwitchAttributesRequest, VSwitchId=vsw_id),
                            lambda b: b["Status"] == "Available", "vSwitch %s Available" % vsw_id)
    return final, [b["Status"] for b in seen]


def zones(c, region=lane.REGION):
    body = c.call(DescribeZonesRequest, region=region)
    return [z["ZoneId"] for z in body["Zones"]["Zone"]]


@pytest.mark.parametrize("variant", VARIANTS, ids=vid)
def test_lifecycle(hostport, variant):
    method, fmt = variant
    c = Core(hostport, method, fmt)
    name = "sdk-core-%s-%s" % (method.lower(), fmt.lower())

    # DescribeRegions: all 7 regions
    body = c.call(DescribeRegionsRequest)
    assert body["RequestId"]
    regions = body["Regions"]["Region"]
    assert lane.REGIONS <= {r["RegionId"] for r in regions}
    for r in regions:
        assert r["LocalName"] and r["RegionEndpoint"], r

    # DescribeZones: at least two zones per region, named after the region
    for region in lane.ZONE_REGIONS:
        zs = zones(c, region)
        assert len(zs) >= 2, zs
        assert all(z.startswith(region) and len(z) > len(region) for z in zs), zs
    zone, other_zone = zones(c)[:2]

    # DescribeVpcs finds the default VPC, whose default vSwitches span 2+ zones
    body = c.call(DescribeVpcsRequest, IsDefault=True)
    vpcs = body["Vpcs"]["Vpc"]
    assert len(vpcs) == 1 and int(body["TotalCount"]) == 1, body
    default = vpcs[0]
    assert as_bool(default["IsDefault"]) and default["Status"] == "Available", default
    assert default["VpcId"].startswith("vpc-") and default["RegionId"] == lane.REGION
    body = c.call(DescribeVSwitchesRequest, VpcId=default["VpcId"])
    assert len({v["ZoneId"] for v in body["VSwitches"]["VSwitch"]}) >= 2, body

    # CreateVpc -> Pending -> Available
    token = str(uuid.uuid4())
    body = c.call(CreateVpcRequest, CidrBlock="192.168.0.0/16", VpcName=name,
                  Description=lane.DESCRIPTION, ClientToken=token)
    vpc_id = body["VpcId"]
    assert vpc_id.startswith("vpc-") and body["VRouterId"] and body["RouteTableId"], body
    # the same ClientToken again: the original VPC, not a new one
    again = c.call(CreateVpcRequest, CidrBlock="192.168.0.0/16", VpcName=name,
                   Description=lane.DESCRIPTION, ClientToken=token)
    assert again["VpcId"] == vpc_id, (body, again)
    vpc, statuses = wait_vpc_available(c, vpc_id)
    assert statuses[0] == "Pending" and set(statuses) <= {"Pending", "Available"}, statuses
    assert vpc["VpcId"] == vpc_id and vpc["VpcName"] == name
    assert vpc["CidrBlock"] == "192.168.0.0/16" and vpc["RegionId"] == lane.REGION
    assert vpc["Description"] == lane.DESCRIPTION
    assert not as_bool(vpc["IsDefault"])

    # DescribeVpcs by id and by name
    for flt in ({"VpcId": vpc_id}, {"VpcName": name}):
        body = c.call(DescribeVpcsRequest, **flt)
        assert [v["VpcId"] for v in body["Vpcs"]["Vpc"]] == [vpc_id], (flt, body)
        assert int(body["TotalCount"]) == 1

    # CreateVSwitch -> Pending -> Available
    body = c.call(CreateVSwitchRequest, VpcId=vpc_id, ZoneId=zone, CidrBlock="192.168.1.0/24",
                  VSwitchName=name + "-vsw")
    vsw_id = body["VSwitchId"]
    assert vsw_id.startswith("vsw-"), body
    vsw, statuses = wait_vsw_available(c, vsw_id)
    assert statuses[0] == "Pending" and set(statuses) <= {"Pending", "Available"}, statuses
    assert (vsw["VSwitchId"], vsw["VpcId"], vsw["ZoneId"], vsw["CidrBlock"], vsw["VSwitchName"]) == \
        (vsw_id, vpc_id, zone, "192.168.1.0/24", name + "-vsw")

    # DescribeVSwitches by VpcId shows it; the VPC lists it
    body = c.call(DescribeVSwitchesRequest, VpcId=vpc_id)
    assert [v["VSwitchId"] for v in body["VSwitches"]["VSwitch"]] == [vsw_id], body
    assert int(body["TotalCount"]) == 1
    for flt, expected in (({"VSwitchId": vsw_id}, [vsw_id]), ({"VpcId": vpc_id, "ZoneId": zone}, [vsw_id]),
                          ({"VpcId": vpc_id, "ZoneId": other_zone}, [])):
        body = c.call(DescribeVSwitchesRequest, **flt)
        assert [v["VSwitchId"] for v in body["VSwitches"]["VSwitch"]] == expected, (flt, body)
    body = c.call(DescribeVpcAttributeRequest, VpcId=vpc_id)
    assert body["VSwitchIds"]["VSwitchId"] == [vsw_id], body

    # DeleteVSwitch, then DeleteVpc, then the VPC is gone (404)
    assert c.call(DeleteVSwitchRequest, VSwitchId=vsw_id)["RequestId"]
    lane.poll(lambda: c.call(DescribeVSwitchesRequest, VpcId=vpc_id),
              lambda b: b["VSwitches"]["VSwitch"] == [], "vSwitch %s gone" % vsw_id)
    assert c.call(DeleteVpcRequest, VpcId=vpc_id)["RequestId"]
    expect_error(lambda: c.call(DescribeVpcAttributeRequest, VpcId=vpc_id), 404, {"InvalidVpcId.NotFound"})


@pytest.mark.parametrize("variant", JSON_VARIANTS, ids=vid)
def test_wrong_secret(hostport, variant):
    c = Core(hostport, *variant, account=(lane.ACCOUNT1[0], lane.WRONG_SECRET))
    # py-core turns SignatureDoesNotMatch into InvalidAccessKeySecret when the
    # server's string-to-sign equals its own.
    expect_error(lambda: c.call(DescribeVpcsRequest), 400, {"SignatureDoesNotMatch", "InvalidAccessKeySecret"})


@pytest.mark.parametrize("variant", VARIANTS, ids=vid)
def test_unknown_vpc(hostport, variant):
    c = Core(hostport, *variant)
    expect_error(lambda: c.call(DescribeVpcAttributeRequest, VpcId=lane.MISSING_VPC_ID), 404,
                 {"InvalidVpcId.NotFound"})


@pytest.mark.parametrize("variant", JSON_VARIANTS, ids=vid)
def test_vswitch_refusals(hostport, variant):
    c = Core(hostport, *variant)
    vpc_id = c.call(CreateVpcRequest, CidrBlock="10.0.0.0/16", VpcName="sdk-core-dep")["VpcId"]
    wait_vpc_available(c, vpc_id)
    zone = zones(c)[0]
    # a vSwitch CIDR outside the VPC CIDR
    expect_error(lambda: c.call(CreateVSwitchRequest, VpcId=vpc_id, ZoneId=zone, CidrBlock="172.31.0.0/24"),
                 400, lane.cidr_code)

    vsw_id = c.call(CreateVSwitchRequest, VpcId=vpc_id, ZoneId=zone, CidrBlock="10.0.5.0/24")["VSwitchId"]
    wait_vsw_available(c, vsw_id)
    # a CIDR overlapping an existing vSwitch
    expect_error(lambda: c.call(CreateVSwitchRequest, VpcId=vpc_id, ZoneId=zone, CidrBlock="10.0.5.128/25"),
                 400, {"InvalidCidrBlock.Overlapped"})
    expect_error(lambda: c.call(DeleteVpcRequest, VpcId=vpc_id), 400, {"DependencyViolation.VSwitch"})
    # still there
    assert c.call(DescribeVpcAttributeRequest, VpcId=vpc_id)["VpcId"] == vpc_id
    c.call(DeleteVSwitchRequest, VSwitchId=vsw_id)


@pytest.mark.parametrize("variant", JSON_VARIANTS, ids=vid)
def test_second_account_isolation(hostport, variant):
    c1 = Core(hostport, *variant)
    c2 = Core(hostport, *variant, account=lane.ACCOUNT2)
    vpc_id = c1.call(CreateVpcRequest, CidrBlock="10.1.0.0/16", VpcName="sdk-core-private")["VpcId"]
    default1 = c1.call(DescribeVpcsRequest, IsDefault=True)["Vpcs"]["Vpc"][0]["VpcId"]

    body = c2.call(DescribeVpcsRequest, VpcId=vpc_id)
    assert body["Vpcs"]["Vpc"] == [] and int(body["TotalCount"]) == 0, body
    listed = {v["VpcId"] for v in c2.call(DescribeVpcsRequest, PageSize=50)["Vpcs"]["Vpc"]}
    assert vpc_id not in listed and default1 not in listed, listed
    for other in (vpc_id, default1):
        expect_error(lambda: c2.call(DescribeVpcAttributeRequest, VpcId=other), 404, {"InvalidVpcId.NotFound"})
    # account 2 has its own default VPC
    mine = c2.call(DescribeVpcsRequest, IsDefault=True)["Vpcs"]["Vpc"]
    assert len(mine) == 1 and mine[0]["VpcId"] != default1, mine


@pytest.mark.parametrize("variant", JSON_VARIANTS, ids=vid)
def test_dry_run_and_paging(hostport, variant):
    c = Core(hostport, *variant, region=lane.PAGING_REGION)
    before = int(c.call(DescribeVpcsRequest)["TotalCount"])
    expect_error(lambda: c.call(CreateVpcRequest, CidrBlock="10.9.0.0/16", VpcName="sdk-core-dry", DryRun=True),
                 400, {"DryRunOperation"})
    assert int(c.call(DescribeVpcsRequest)["TotalCount"]) == before
    for i in range(2):
        c.call(CreateVpcRequest, CidrBlock="10.%d.0.0/16" % (20 + i), VpcName="sdk-core-page-%d" % i)
    total = int(c.call(DescribeVpcsRequest)["TotalCount"])
    assert total == before + 2 and total >= 3, total
    seen = []
    for page in range(1, total + 1):
        body = c.call(DescribeVpcsRequest, PageSize=1, PageNumber=page)
        assert (int(body["PageNumber"]), int(body["PageSize"]), int(body["TotalCount"])) == (page, 1, total), body
        assert len(body["Vpcs"]["Vpc"]) == 1, body
        seen.append(body["Vpcs"]["Vpc"][0]["VpcId"])
    assert len(set(seen)) == total, seen
    body = c.call(DescribeVpcsRequest, PageSize=1, PageNumber=total + 1)
    assert body["Vpcs"]["Vpc"] == [] and int(body["TotalCount"]) == total, body
