"""EIP lane: allocate → associate with a NAT gateway → InUse → the gateway lists it → unassociate →
release, and the binding refusals, through every Python SDK variant (py-core POST/GET × JSON/XML,
Tea ACS3 and v2; see lane.api_client)."""
import ipaddress

import pytest

import lane
from lane import expect_api_error

VARIANTS = lane.API_VARIANTS
MISSING_EIP_ID = "eip-bp1sdklane00000000000"
MISSING_NAT_ID = "ngw-bp1sdklane00000000000"


def ip_list(items):
    return [(i["AllocationId"], i["IpAddress"], i["UsingStatus"]) for i in items]


def gateway_and_eip(c, name):
    vpc, vsw = lane.default_vswitch(c)
    nat = lane.create_available_nat(c, vpc, vsw, Name=name)["NatGatewayId"]
    allocated = c.call("AllocateEipAddress", Name=name, Bandwidth="5")
    assert allocated["AllocationId"].startswith("eip-"), allocated
    ipaddress.IPv4Address(allocated["EipAddress"])
    return nat, allocated["AllocationId"], allocated["EipAddress"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_lifecycle(variant):
    c = lane.api_client(variant)
    nat, alloc, ip = gateway_and_eip(c, "sdk-eip-" + variant.lower())
    e = lane.eip(c, alloc)
    assert (e["Status"], e["IpAddress"], e["InstanceId"], e["RegionId"]) == ("Available", ip, "", lane.REGION), e

    # AssociateEipAddress(InstanceType=Nat): Associating, then InUse
    c.call("AssociateEipAddress", AllocationId=alloc, InstanceId=nat, InstanceType="Nat")
    e, statuses = lane.wait_eip(c, alloc, "InUse")
    assert statuses[0] == "Associating" and set(statuses) <= {"Associating", "InUse"}, statuses
    assert (e["InstanceId"], e["InstanceType"]) == (nat, "Nat"), e
    bound = c.call("DescribeEipAddresses", AssociatedInstanceType="Nat", AssociatedInstanceId=nat)
    assert [x["AllocationId"] for x in bound["EipAddresses"]["EipAddress"]] == [alloc], bound

    # the gateway lists the address, idle
    assert ip_list(lane.nat_gateway(c, nat)["IpLists"]["IpList"]) == [(alloc, ip, "idle")]
    assert ip_list(c.call("GetNatGatewayAttribute", NatGatewayId=nat)["IpList"]) == [(alloc, ip, "idle")]

    # DeleteNatGateway without Force is refused while the EIP is bound
    expect_api_error(lambda: c.call("DeleteNatGateway", NatGatewayId=nat), 400, "DependencyViolation.EIPS")
    assert lane.nat_gateway(c, nat)["Status"] == "Available"

    # UnassociateEipAddress: Unassociating, then Available; the gateway no longer lists it
    c.call("UnassociateEipAddress", AllocationId=alloc, InstanceId=nat, InstanceType="Nat")
    e, statuses = lane.wait_eip(c, alloc, "Available")
    assert statuses[0] == "Unassociating" and set(statuses) <= {"Unassociating", "Available"}, statuses
    assert e["InstanceId"] == "", e
    assert lane.nat_gateway(c, nat)["IpLists"]["IpList"] == []

    # ReleaseEipAddress: DescribeEipAddresses by AllocationId is empty
    c.call("ReleaseEipAddress", AllocationId=alloc)
    body = c.call("DescribeEipAddresses", AllocationId=alloc)
    assert body["EipAddresses"]["EipAddress"] == [] and int(body["TotalCount"]) == 0, body

    c.call("DeleteNatGateway", NatGatewayId=nat)
    lane.wait_nat(c, nat, None)


@pytest.mark.parametrize("variant", VARIANTS)
def test_refusals(variant):
    c = lane.api_client(variant)
    nat, alloc, _ = gateway_and_eip(c, "sdk-eip-refusals")
    expect_api_error(lambda: c.call("AssociateEipAddress", AllocationId=alloc, InstanceId=MISSING_NAT_ID,
                                    InstanceType="Nat"), 404, "InvalidInstanId.NotFound")
    expect_api_error(lambda: c.call("ReleaseEipAddress", AllocationId=MISSING_EIP_ID), 404,
                     "InvalidAllocationId.NotFound")

    c.call("AssociateEipAddress", AllocationId=alloc, InstanceId=nat, InstanceType="Nat")
    # associating it again: refused, while Associating and once InUse
    expect_api_error(lambda: c.call("AssociateEipAddress", AllocationId=alloc, InstanceId=nat, InstanceType="Nat"),
                     400, "InvalidAssociation.Duplicated")
    before, _ = lane.wait_eip(c, alloc, "InUse")
    expect_api_error(lambda: c.call("AssociateEipAddress", AllocationId=alloc, InstanceId=nat, InstanceType="Nat"),
                     400, "InvalidAssociation.Duplicated")
    # releasing an InUse EIP: refused
    expect_api_error(lambda: c.call("ReleaseEipAddress", AllocationId=alloc), 400, "IncorrectEipStatus")
    assert lane.eip(c, alloc) == before

    # DeleteNatGateway Force=true unbinds it
    c.call("DeleteNatGateway", NatGatewayId=nat, Force=True)
    lane.wait_nat(c, nat, None)
    e = lane.eip(c, alloc)
    assert (e["Status"], e["InstanceId"]) == ("Available", ""), e
    c.call("ReleaseEipAddress", AllocationId=alloc)
