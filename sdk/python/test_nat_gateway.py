"""NAT gateway lane: the lifecycle and the refusals through every Python SDK variant
(py-core typed requests POST/GET × JSON/XML, Tea ACS3 and signature_algorithm='v2').

Every variant goes through lane.api_client: one test body, six wire styles. XML values are
strings, hence as_bool/int in the comparisons.
"""
import uuid

import pytest

import lane
from lane import as_bool, expect_api_error

VARIANTS = lane.API_VARIANTS
MISSING_NAT_ID = "ngw-bp1sdklane00000000000"


def tag_rows(reply):
    return sorted((r["ResourceId"], r["ResourceType"], r["TagKey"], r["TagValue"])
                  for r in reply["TagResources"]["TagResource"])


@pytest.mark.parametrize("variant", VARIANTS)
def test_lifecycle(variant):
    c = lane.api_client(variant)
    name = "sdk-nat-" + variant.lower()
    vpc, vsw = lane.default_vswitch(c)

    # CreateNatGateway in the default VPC's vSwitch: ids of the real formats, one DNAT and one SNAT table
    created = c.call("CreateNatGateway", VpcId=vpc, VSwitchId=vsw, NatType="Enhanced", NetworkType="internet",
                     Name=name, Description=lane.DESCRIPTION, ClientToken=str(uuid.uuid4()))
    nat = created["NatGatewayId"]
    ftb = created["ForwardTableIds"]["ForwardTableId"]
    stb = created["SnatTableIds"]["SnatTableId"]
    assert nat.startswith("ngw-") and len(nat) == 25, created
    assert len(ftb) == 1 and ftb[0].startswith("ftb-") and len(stb) == 1 and stb[0].startswith("stb-"), created

    # DescribeNatGateways: Creating, then Available
    gw, statuses = lane.wait_nat(c, nat, "Available")
    assert statuses[0] == "Creating" and set(statuses) <= {"Creating", "Available"}, statuses
    assert (gw["NatGatewayId"], gw["VpcId"], gw["RegionId"], gw["Name"], gw["Description"]) == \
        (nat, vpc, lane.REGION, name, lane.DESCRIPTION), gw
    assert (gw["NatType"], gw["NetworkType"], gw["InstanceChargeType"]) == ("Enhanced", "internet", "PostPaid"), gw
    assert gw["NatGatewayPrivateInfo"]["VswitchId"] == vsw, gw
    assert gw["NatGatewayPrivateInfo"]["PrivateIpAddress"], gw
    assert gw["ForwardTableIds"]["ForwardTableId"] == ftb and gw["SnatTableIds"]["SnatTableId"] == stb, gw
    assert gw["IpLists"]["IpList"] == [] and not as_bool(gw["DeletionProtection"]), gw
    for flt in ({"VpcId": vpc}, {"Name": name}, {"Status": "Available", "VpcId": vpc}):
        listed = c.call("DescribeNatGateways", **flt)["NatGateways"]["NatGateway"]
        assert [g["NatGatewayId"] for g in listed] == [nat], (flt, listed)

    # ModifyNatGatewayAttribute
    c.call("ModifyNatGatewayAttribute", NatGatewayId=nat, Name=name + "-2", Description="changed by " + variant)
    gw = lane.nat_gateway(c, nat)
    assert (gw["Name"], gw["Description"], gw["Status"]) == (name + "-2", "changed by " + variant, "Available"), gw

    # TagResources / ListTagResources (NATGATEWAY); NextToken only while more pages follow
    c.call("TagResources", ResourceType="NATGATEWAY", ResourceId=[nat],
           Tag=[{"Key": "team", "Value": "net"}, {"Key": "env", "Value": variant}])
    rt = "ALIYUN::VPC::NATGATEWAY"
    listed = c.call("ListTagResources", ResourceType="NATGATEWAY", ResourceId=[nat])
    assert tag_rows(listed) == [(nat, rt, "env", variant), (nat, rt, "team", "net")], listed
    assert "NextToken" not in listed, listed
    first = c.call("ListTagResources", ResourceType="NATGATEWAY", ResourceId=[nat], MaxResults=1)
    assert len(tag_rows(first)) == 1 and first.get("NextToken"), first
    second = c.call("ListTagResources", ResourceType="NATGATEWAY", ResourceId=[nat], MaxResults=1,
                    NextToken=first["NextToken"])
    assert len(tag_rows(second)) == 1 and "NextToken" not in second, second
    assert sorted(tag_rows(first) + tag_rows(second)) == tag_rows(listed)
    tags = lane.nat_gateway(c, nat)["Tags"]["Tag"]
    assert sorted((t["TagKey"], t["TagValue"]) for t in tags) == [("env", variant), ("team", "net")], tags

    # GetNatGatewayAttribute
    attr = c.call("GetNatGatewayAttribute", NatGatewayId=nat)
    assert (attr["NatGatewayId"], attr["VpcId"], attr["Name"], attr["Status"]) == (nat, vpc, name + "-2", "Available")
    assert attr["PrivateInfo"]["VswitchId"] == vsw, attr
    assert attr["ForwardTable"]["ForwardTableId"] == ftb[0] and attr["SnatTable"]["SnatTableId"] == stb[0], attr
    assert not as_bool(attr["DeletionProtectionInfo"]["Enabled"]), attr
    assert attr.get("IpList", []) == [], attr  # XML has no element for an empty bare list

    # DeletionProtection on: DeleteNatGateway refused, nothing changes
    c.call("DeletionProtection", InstanceId=nat, ProtectionEnable=True, Type="NATGW")
    assert as_bool(lane.nat_gateway(c, nat)["DeletionProtection"])
    assert as_bool(c.call("GetNatGatewayAttribute", NatGatewayId=nat)["DeletionProtectionInfo"]["Enabled"])
    expect_api_error(lambda: c.call("DeleteNatGateway", NatGatewayId=nat), 400, "InvalidOperation.DeletionProtection")
    assert lane.nat_gateway(c, nat)["Status"] == "Available"

    # protection off, delete: Deleting, then gone; GetNatGatewayAttribute answers 404
    c.call("DeletionProtection", InstanceId=nat, ProtectionEnable=False, Type="NATGW")
    c.call("DeleteNatGateway", NatGatewayId=nat)
    _, statuses = lane.wait_nat(c, nat, None)
    assert statuses[0] == "Deleting" and set(statuses) <= {"Deleting", None}, statuses
    expect_api_error(lambda: c.call("GetNatGatewayAttribute", NatGatewayId=nat), 404, "InvalidNatGatewayId.NotFound")


@pytest.mark.parametrize("variant", VARIANTS)
def test_unknown_gateway(variant):
    c = lane.api_client(variant)
    for action, extra in (("GetNatGatewayAttribute", {}), ("DeleteNatGateway", {}),
                          ("ModifyNatGatewayAttribute", {"Name": "renamed"}), ("ModifyNatGatewaySpec", {"Spec": "Middle"})):
        expect_api_error(lambda: c.call(action, NatGatewayId=MISSING_NAT_ID, **extra), 404,
                         "InvalidNatGatewayId.NotFound")
    body = c.call("DescribeNatGateways", NatGatewayId=MISSING_NAT_ID)
    assert body["NatGateways"]["NatGateway"] == [] and int(body["TotalCount"]) == 0, body


@pytest.mark.parametrize("variant", VARIANTS)
def test_modify_spec(variant):
    c = lane.api_client(variant)
    vpc, vsw = lane.default_vswitch(c)
    nat = lane.create_available_nat(c, vpc, vsw, Spec="Small")["NatGatewayId"]
    before = lane.nat_gateway(c, nat)
    assert (before["Spec"], before["InternetChargeType"]) == ("Small", "PayBySpec"), before

    # the same spec again: refused, nothing changes
    expect_api_error(lambda: c.call("ModifyNatGatewaySpec", NatGatewayId=nat, Spec="Small"), 400,
                     "NATGW_MODIFY_SPEC_SAME")
    assert lane.nat_gateway(c, nat) == before

    # another spec: Modifying, then Available with it
    c.call("ModifyNatGatewaySpec", NatGatewayId=nat, Spec="Middle")
    gw, statuses = lane.wait_nat(c, nat, "Available")
    assert statuses[0] == "Modifying" and set(statuses) <= {"Modifying", "Available"}, statuses
    assert gw["Spec"] == "Middle", gw

    c.call("DeleteNatGateway", NatGatewayId=nat)
    lane.wait_nat(c, nat, None)


@pytest.mark.parametrize("variant", VARIANTS)
def test_quota_of_five_gateways_per_vpc(variant):
    # A VPC of its own, so that the default VPC stays usable for the other tests.
    c = lane.api_client(variant)
    vpc = c.call("CreateVpc", CidrBlock="10.0.0.0/16", VpcName="sdk-nat-quota")["VpcId"]
    lane.poll(lambda: c.call("DescribeVpcAttribute", VpcId=vpc), lambda b: b["Status"] == "Available",
              "VPC %s Available" % vpc)
    zone = c.call("DescribeZones")["Zones"]["Zone"][0]["ZoneId"]
    vsw = c.call("CreateVSwitch", VpcId=vpc, ZoneId=zone, CidrBlock="10.0.1.0/24")["VSwitchId"]
    lane.poll(lambda: c.call("DescribeVSwitchAttributes", VSwitchId=vsw), lambda b: b["Status"] == "Available",
              "vSwitch %s Available" % vsw)

    ids = {c.call("CreateNatGateway", VpcId=vpc, VSwitchId=vsw, NatType="Enhanced")["NatGatewayId"]
           for _ in range(5)}
    assert len(ids) == 5, ids
    expect_api_error(lambda: c.call("CreateNatGateway", VpcId=vpc, VSwitchId=vsw, NatType="Enhanced"), 400,
                     "OperationFailed.EnhancedQuotaExceed")
    body = c.call("DescribeNatGateways", VpcId=vpc)
    assert int(body["TotalCount"]) == 5, body
    assert {g["NatGatewayId"] for g in body["NatGateways"]["NatGateway"]} == ids, body
