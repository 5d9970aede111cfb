"""py-tea lane: alibabacloud_vpc20160428 (Tea/Darabonba) typed client.

Variants: the default ACS3-HMAC-SHA256 and signature_algorithm='v2' (RPC v1).
Responses are checked through the SDK's typed models: Python Tea silently
returns body=None when a response shape does not match the API model.
"""
import uuid

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils_models import Config
from alibabacloud_vpc20160428 import models as m
from alibabacloud_vpc20160428.client import Client

import lane

VARIANTS = ["acs3", "v2"]


class Tea:
    def __init__(self, hostport, variant, account=lane.ACCOUNT1, region=lane.REGION):
        cfg = Config(access_key_id=account[0], access_key_secret=account[1], endpoint=hostport,
                     protocol="http", region_id=region)
        if variant == "v2":
            cfg.signature_algorithm = "v2"
        self.client = Client(cfg)
        self.region = region

    def call(self, method, request):
        """client.<method>(request); returns the typed body (asserted non-None)."""
        if hasattr(request, "region_id") and request.region_id is None:
            request.region_id = self.region
        resp = getattr(self.client, method)(request)
        assert resp.status_code == 200, resp.status_code
        assert resp.body is not None, "%s: typed body is None (response shape does not match the model)" % method
        assert resp.body.request_id, "%s: no RequestId" % method
        return resp.body


def expect_error(fn, status, codes):
    """fn() must raise the SDK's ClientException with `status` and a Code in `codes` (set or predicate)."""
    with pytest.raises(ClientException) as ei:
        fn()
    e = ei.value
    ok = codes(e.code) if callable(codes) else e.code in codes
    assert e.status_code == status and ok, "expected HTTP %s %s, got %s %s (%s)" % (
        status, codes, e.status_code, e.code, e)
    assert e.request_id, "error without RequestId: %s" % e
    return e


def wait_vpc_available(t, vpc_id):
    final, seen = lane.poll(lambda: t.call("describe_vpc_attribute", m.DescribeVpcAttributeRequest(vpc_id=vpc_id)),
                            lambda b: b.status == "Available", "VPC %s Available" % vpc_id)
    return final, [b.status for b in seen]


def wait_vsw_available(t, vsw_id):
    final, seen = lane.poll(
        lambda: t.call("describe_vswitch_attributes", m.DescribeVSwitchAttributesRequest(v_switch_id=vsw_id)),
        lambda b: b.status == "Available", "vSwitch %s Available" % vsw_id)
    return final, [b.status for b in seen]


def zones(t, region=lane.REGION):
    body = t.call("describe_zones", m.DescribeZonesRequest(region_id=region))
    return [z.zone_id for z in body.zones.zone]


@pytest.mark.parametrize("variant", VARIANTS)
def test_lifecycle(hostport, variant):
    t = Tea(hostport, variant)
    name = "sdk-pytea-" + variant

    body = t.call("describe_regions", m.DescribeRegionsRequest())
    assert lane.REGIONS <= {r.region_id for r in body.regions.region}
    for r in body.regions.region:
        assert r.local_name and r.region_endpoint, r.to_map()

    for region in lane.ZONE_REGIONS:
        zs = zones(t, region)
        assert len(zs) >= 2 and all(z.startswith(region) and len(z) > len(region) for z in zs), zs
    zone, other_zone = zones(t)[:2]

    body = t.call("describe_vpcs", m.DescribeVpcsRequest(is_default=True))
    assert len(body.vpcs.vpc) == 1 and body.total_count == 1, body.to_map()
    default = body.vpcs.vpc[0]
    assert default.is_default is True and default.status == "Available", default.to_map()
    assert default.vpc_id.startswith("vpc-") and default.region_id == lane.REGION
    body = t.call("describe_vswitches", m.DescribeVSwitchesRequest(vpc_id=default.vpc_id))
    assert len({v.zone_id for v in body.v_switches.v_switch}) >= 2, body.to_map()

    token = str(uuid.uuid4())
    body = t.call("create_vpc", m.CreateVpcRequest(cidr_block="192.168.0.0/16", vpc_name=name,
                                                   description=lane.DESCRIPTION, client_token=token))
    vpc_id = body.vpc_id
    assert vpc_id.startswith("vpc-") and body.vrouter_id and body.route_table_id, body.to_map()
    again = t.call("create_vpc", m.CreateVpcRequest(cidr_block="192.168.0.0/16", vpc_name=name,
                                                    description=lane.DESCRIPTION, client_token=token))
    assert again.vpc_id == vpc_id, (body.to_map(), again.to_map())
    vpc, statuses = wait_vpc_available(t, vpc_id)
    assert statuses[0] == "Pending" and set(statuses) <= {"Pending", "Available"}, statuses
    assert (vpc.vpc_id, vpc.vpc_name, vpc.cidr_block, vpc.region_id, vpc.description, vpc.is_default) == \
        (vpc_id, name, "192.168.0.0/16", lane.REGION, lane.DESCRIPTION, False), vpc.to_map()

    for req in (m.DescribeVpcsRequest(vpc_id=vpc_id), m.DescribeVpcsRequest(vpc_name=name)):
        body = t.call("describe_vpcs", req)
        assert [v.vpc_id for v in body.vpcs.vpc] == [vpc_id] and body.total_count == 1, body.to_map()

    body = t.call("create_vswitch", m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=zone, cidr_block="192.168.1.0/24",
                                                           v_switch_name=name + "-vsw"))
    vsw_id = body.v_switch_id
    assert vsw_id.startswith("vsw-"), body.to_map()
    vsw, statuses = wait_vsw_available(t, vsw_id)
    assert statuses[0] == "Pending" and set(statuses) <= {"Pending", "Available"}, statuses
    assert (vsw.v_switch_id, vsw.vpc_id, vsw.zone_id, vsw.cidr_block, vsw.v_switch_name) == \
        (vsw_id, vpc_id, zone, "192.168.1.0/24", name + "-vsw"), vsw.to_map()

    body = t.call("describe_vswitches", m.DescribeVSwitchesRequest(vpc_id=vpc_id))
    assert [v.v_switch_id for v in body.v_switches.v_switch] == [vsw_id] and body.total_count == 1, body.to_map()
    for req, expected in ((m.DescribeVSwitchesRequest(v_switch_id=vsw_id), [vsw_id]),
                          (m.DescribeVSwitchesRequest(vpc_id=vpc_id, zone_id=zone), [vsw_id]),
                          (m.DescribeVSwitchesRequest(vpc_id=vpc_id, zone_id=other_zone), [])):
        body = t.call("describe_vswitches", req)
        assert [v.v_switch_id for v in body.v_switches.v_switch] == expected, (req.to_map(), body.to_map())
    body = t.call("describe_vpc_attribute", m.DescribeVpcAttributeRequest(vpc_id=vpc_id))
    assert body.v_switch_ids.v_switch_id == [vsw_id], body.to_map()

    t.call("delete_vswitch", m.DeleteVSwitchRequest(v_switch_id=vsw_id))
    lane.poll(lambda: t.call("describe_vswitches", m.DescribeVSwitchesRequest(vpc_id=vpc_id)),
              lambda b: not b.v_switches.v_switch, "vSwitch %s gone" % vsw_id)
    t.call("delete_vpc", m.DeleteVpcRequest(vpc_id=vpc_id))
    expect_error(lambda: t.call("describe_vpc_attribute", m.DescribeVpcAttributeRequest(vpc_id=vpc_id)),
                 404, {"InvalidVpcId.NotFound"})


@pytest.mark.parametrize("variant", VARIANTS)
def test_wrong_secret(hostport, variant):
    t = Tea(hostport, variant, account=(lane.ACCOUNT1[0], lane.WRONG_SECRET))
    expect_error(lambda: t.call("describe_vpcs", m.DescribeVpcsRequest()), 400, {"SignatureDoesNotMatch"})


@pytest.mark.parametrize("variant", VARIANTS)
def test_unknown_vpc(hostport, variant):
    t = Tea(hostport, variant)
    expect_error(lambda: t.call("describe_vpc_attribute", m.DescribeVpcAttributeRequest(vpc_id=lane.MISSING_VPC_ID)),
                 404, {"InvalidVpcId.NotFound"})


@pytest.mark.parametrize("variant", VARIANTS)
def test_vswitch_refusals(hostport, variant):
    t = Tea(hostport, variant)
    vpc_id = t.call("create_vpc", m.CreateVpcRequest(cidr_block="10.0.0.0/16", vpc_name="sdk-pytea-dep")).vpc_id
    wait_vpc_available(t, vpc_id)
    zone = zones(t)[0]
    expect_error(lambda: t.call("create_vswitch", m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=zone,
                                                                         cidr_block="172.31.0.0/24")),
                 400, lane.cidr_code)
    vsw_id = t.call("create_vswitch", m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=zone,
                                                             cidr_block="10.0.5.0/24")).v_switch_id
    wait_vsw_available(t, vsw_id)
    expect_error(lambda: t.call("create_vswitch", m.CreateVSwitchRequest(vpc_id=vpc_id, zone_id=zone,
                                                                         cidr_block="10.0.5.128/25")),
                 400, {"InvalidCidrBlock.Overlapped"})
    expect_error(lambda: t.call("delete_vpc", m.DeleteVpcRequest(vpc_id=vpc_id)), 400, {"DependencyViolation.VSwitch"})
    assert t.call("describe_vpc_attribute", m.DescribeVpcAttributeRequest(vpc_id=vpc_id)).vpc_id == vpc_id
    t.call("delete_vswitch", m.DeleteVSwitchRequest(v_switch_id=vsw_id))


@pytest.mark.parametrize("variant", VARIANTS)
def test_second_account_isolation(hostport, variant):
    t1 = Tea(hostport, variant)
    t2 = Tea(hostport, variant, account=lane.ACCOUNT2)
    vpc_id = t1.call("create_vpc", m.CreateVpcRequest(cidr_block="10.1.0.0/16", vpc_name="sdk-pytea-private")).vpc_id
    default1 = t1.call("describe_vpcs", m.DescribeVpcsRequest(is_default=True)).vpcs.vpc[0].vpc_id

    body = t2.call("describe_vpcs", m.DescribeVpcsRequest(vpc_id=vpc_id))
    assert body.vpcs.vpc == [] and body.total_count == 0, body.to_map()
    listed = {v.vpc_id for v in t2.call("describe_vpcs", m.DescribeVpcsRequest(page_size=50)).vpcs.vpc}
    assert vpc_id not in listed and default1 not in listed, listed
    for other in (vpc_id, default1):
        expect_error(lambda: t2.call("describe_vpc_attribute", m.DescribeVpcAttributeRequest(vpc_id=other)),
                     404, {"InvalidVpcId.NotFound"})
    mine = t2.call("describe_vpcs", m.DescribeVpcsRequest(is_default=True)).vpcs.vpc
    assert len(mine) == 1 and mine[0].vpc_id != default1, [v.to_map() for v in mine]


@pytest.mark.parametrize("variant", VARIANTS)
def test_dry_run_and_paging(hostport, variant):
    t = Tea(hostport, variant, region=lane.PAGING_REGION)
    before = t.call("describe_vpcs", m.DescribeVpcsRequest()).total_count
    expect_error(lambda: t.call("create_vpc", m.CreateVpcRequest(cidr_block="10.9.0.0/16", vpc_name="sdk-pytea-dry",
                                                                 dry_run=True)),
                 400, {"DryRunOperation"})
    assert t.call("describe_vpcs", m.DescribeVpcsRequest()).total_count == before
    for i in range(2):
        t.call("create_vpc", m.CreateVpcRequest(cidr_block="10.%d.0.0/16" % (20 + i), vpc_name="sdk-pytea-page-%d" % i))
    total = t.call("describe_vpcs", m.DescribeVpcsRequest()).total_count
    assert total == before + 2 and total >= 3, total
    seen = []
    for page in range(1, total + 1):
        body = t.call("describe_vpcs", m.DescribeVpcsRequest(page_size=1, page_number=page))
        assert (body.page_number, body.page_size, body.total_count, len(body.vpcs.vpc)) == (page, 1, total, 1), \
            body.to_map()
        seen.append(body.vpcs.vpc[0].vpc_id)
    assert len(set(seen)) == total, seen
    body = t.call("describe_vpcs", m.DescribeVpcsRequest(page_size=1, page_number=total + 1))
    assert body.vpcs.vpc == [] and body.total_count == total, body.to_map()
