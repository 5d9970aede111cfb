"""DNAT and SNAT lane: the entry lifecycles and the refusals through every Python SDK variant
(py-core typed requests POST/GET x JSON/XML, Tea ACS3 and signature_algorithm='v2'), one test
body per variant via lane.api_client. Each test builds its own gateway (default VPC, polled to
Available) with EIPs associated as InstanceType=Nat and polled to InUse, and removes it with
DeleteNatGateway Force=true at the end (also when the test fails), so the per-VPC gateway quota
never fills. XML values are strings, hence int() on counts.
"""
import ipaddress

import pytest

import lane
from lane import ApiError, expect_api_error

VARIANTS = lane.API_VARIANTS
PAGING_VARIANT = "tea-acs3"  # paging over 55 entries runs in one client only (keeps the lane fast)


class World:
    """A gateway in the default VPC with `ips` (InUse EIPs of this gateway)."""

    def __init__(self, c, nat, ftb, stb, vpc_cidr, vsw, vsw_cidr):
        self.c, self.nat, self.ftb, self.stb = c, nat, ftb, stb
        self.vpc_cidr, self.vsw, self.vsw_cidr = vpc_cidr, vsw, vsw_cidr
        self.allocs, self.ips = [], []

    def host(self, n):
        """The n-th address of the gateway's vSwitch (inside the VPC)."""
        return str(self.vsw_cidr.network_address + n)

    def outside_vpc(self):
        return next(a for a in ("192.168.7.10", "10.7.7.10", "100.99.1.1")
                    if ipaddress.ip_address(a) not in self.vpc_cidr)


def allocate(c):
    r = c.call("AllocateEipAddress")
    return r["AllocationId"], r["EipAddress"]


def bind(c, w, alloc, wait=True):
    c.call("AssociateEipAddress", AllocationId=alloc, InstanceId=w.nat, InstanceType="Nat")
    if wait:
        _, statuses = lane.wait_eip(c, alloc, "InUse")
        assert statuses[0] == "Associating", statuses


@pytest.fixture
def nat_world():
    """make(c, eips=N): a fresh Available gateway with N InUse EIPs; torn down afterwards."""
    made = []

    def make(c, eips=1):
        vpc = c.call("DescribeVpcs", IsDefault=True)["Vpcs"]["Vpc"][0]
        vsw = c.call("DescribeVSwitches", VpcId=vpc["VpcId"])["VSwitches"]["VSwitch"][0]
        created = lane.create_available_nat(c, vpc["VpcId"], vsw["VSwitchId"])
        w = World(c, created["NatGatewayId"], created["ForwardTableIds"]["ForwardTableId"][0],
                  created["SnatTableIds"]["SnatTableId"][0], ipaddress.ip_network(vpc["CidrBlock"]),
                  vsw["VSwitchId"], ipaddress.ip_network(vsw["CidrBlock"]))
        made.append(w)
        for _ in range(eips):
            alloc, ip = allocate(c)
            w.allocs.append(alloc)
            w.ips.append(ip)
            bind(c, w, alloc)
        return w

    yield make
    for w in made:
        try:
            w.c.call("DeleteNatGateway", NatGatewayId=w.nat, Force=True)
        except ApiError:
            pass  # already Deleting or gone
        for alloc in w.allocs:
            try:
                w.c.call("ReleaseEipAddress", AllocationId=alloc)
            except ApiError:
                pass
        lane.wait_nat(w.c, w.nat, None)


# ---- reading the tables -----------------------------------------------------------------------

def fwd_page(c, ftb, **flt):
    return c.call("DescribeForwardTableEntries", ForwardTableId=ftb, **flt)


def fwd(c, ftb, **flt):
    r = fwd_page(c, ftb, PageSize=50, **flt)
    items = r["ForwardTableEntries"]["ForwardTableEntry"]
    assert int(r["TotalCount"]) == len(items), r
    return items


def snat(c, stb, **flt):
    r = c.call("DescribeSnatTableEntries", SnatTableId=stb, PageSize=50, **flt)
    items = r["SnatTableEntries"]["SnatTableEntry"]
    assert int(r["TotalCount"]) == len(items), r
    return items


def ids(items, key):
    return [e[key] for e in items]


def wait_entry(list_fn, table, key, entry_id, status):
    """Polls the table until the entry has `status` (None: gone); returns (entry, statuses seen)."""
    def one():
        items = list_fn(table, **{key: entry_id})
        assert len(items) <= 1, items
        return items[0] if items else None
    final, seen = lane.poll(one, lambda e: (e is None) if status is None else (e is not None and e["Status"] == status),
                            "%s %s" % (entry_id, status or "gone"))
    return final, [e["Status"] if e else None for e in seen]


def wait_fwd(c, w, entry_id, status):
    return wait_entry(lambda t, **f: fwd(c, t, **f), w.ftb, "ForwardEntryId", entry_id, status)


def wait_snat(c, w, entry_id, status):
    return wait_entry(lambda t, **f: snat(c, t, **f), w.stb, "SnatEntryId", entry_id, status)


def using_status(c, w):
    """{ip: UsingStatus} of the gateway's IpLists."""
    return {i["IpAddress"]: i["UsingStatus"] for i in lane.nat_gateway(c, w.nat)["IpLists"]["IpList"]}


def tables(c, w):
    """Both tables as DescribeForwardTableEntries / DescribeSnatTableEntries show them."""
    return fwd(c, w.ftb), snat(c, w.stb)


def dnat(c, w, ip, eport, internal, iport, proto="tcp", **extra):
    return c.call("CreateForwardEntry", ForwardTableId=w.ftb, ExternalIp=ip, ExternalPort=eport,
                  InternalIp=internal, InternalPort=iport, IpProtocol=proto, **extra)["ForwardEntryId"]


# ---- DNAT ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_dnat_lifecycle(variant, nat_world):
    c = lane.api_client(variant)
    w = nat_world(c, eips=1)
    ip = w.ips[0]
    assert using_status(c, w) == {ip: "idle"}
    empty = fwd_page(c, w.ftb)
    assert empty["ForwardTableEntries"] == {"ForwardTableEntry": []} and int(empty["TotalCount"]) == 0, empty

    # a TCP port forward and a port range (protocol given in upper case, answered in lower case)
    web = dnat(c, w, ip, "8080", w.host(10), "80", "TCP", ForwardEntryName="web")
    rng = dnat(c, w, ip, "1000/1010", w.host(11), "2000/2010", "UDP", ForwardEntryName="range")
    assert web.startswith("fwd-") and rng.startswith("fwd-") and web != rng, (web, rng)
    for entry_id in (web, rng):
        _, statuses = wait_fwd(c, w, entry_id, "Available")
        assert statuses[0] in ("Pending", "Available") and set(statuses) <= {"Pending", "Available"}, statuses
    shown = fwd(c, w.ftb)
    assert ids(shown, "ForwardEntryId") == [web, rng], shown  # oldest first
    keys = ("ForwardTableId", "NatGatewayId", "ExternalIp", "ExternalPort", "InternalIp", "InternalPort",
            "IpProtocol", "ForwardEntryName", "Status")
    assert [tuple(e[k] for k in keys) for e in shown] == [
        (w.ftb, w.nat, ip, "8080", w.host(10), "80", "tcp", "web", "Available"),
        (w.ftb, w.nat, ip, "1000/1010", w.host(11), "2000/2010", "udp", "range", "Available"),
    ], shown
    assert using_status(c, w) == {ip: "UsedByForwardTable"}

    # filters
    for flt, want in (({"IpProtocol": "udp"}, [rng]), ({"ExternalPort": "1000/1010"}, [rng]),
                      ({"InternalIp": w.host(10)}, [web]), ({"ForwardEntryName": "web"}, [web]),
                      ({"ExternalIp": ip}, [web, rng]), ({"InternalPort": "9"}, [])):
        assert ids(fwd(c, w.ftb, **flt), "ForwardEntryId") == want, flt
    by_gw = c.call("DescribeForwardTableEntries", NatGatewayId=w.nat)
    assert ids(by_gw["ForwardTableEntries"]["ForwardTableEntry"], "ForwardEntryId") == [web, rng], by_gw

    # ModifyForwardEntry: Pending again, then Available with the change
    c.call("ModifyForwardEntry", ForwardTableId=w.ftb, ForwardEntryId=web, InternalPort="8081",
           ForwardEntryName="web2")
    e, statuses = wait_fwd(c, w, web, "Available")
    assert statuses[0] in ("Pending", "Available"), statuses
    assert (e["InternalPort"], e["ForwardEntryName"], e["ExternalPort"], e["IpProtocol"]) == \
        ("8081", "web2", "8080", "tcp"), e

    # DeleteForwardEntry: Deleting, then gone
    for entry_id in (web, rng):
        c.call("DeleteForwardEntry", ForwardTableId=w.ftb, ForwardEntryId=entry_id)
    for entry_id in (web, rng):
        _, statuses = wait_fwd(c, w, entry_id, None)
        assert set(statuses) <= {"Deleting", None}, statuses
    assert fwd(c, w.ftb) == []
    assert using_status(c, w) == {ip: "idle"}
    expect_api_error(lambda: c.call("DeleteForwardEntry", ForwardTableId=w.ftb, ForwardEntryId=web), 404,
                     "InvalidForwardEntryId.NotFound")


# ---- SNAT ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_snat_lifecycle(variant, nat_world):
    c = lane.api_client(variant)
    w = nat_world(c, eips=2)
    ip1, ip2 = w.ips
    empty = c.call("DescribeSnatTableEntries", SnatTableId=w.stb)
    assert empty["SnatTableEntries"] == {"SnatTableEntry": []} and int(empty["TotalCount"]) == 0, empty

    by_vsw = c.call("CreateSnatEntry", SnatTableId=w.stb, SourceVSwitchId=w.vsw, SnatIp=ip1,
                    SnatEntryName="by-vsw", EipAffinity=1)["SnatEntryId"]
    one_host = "%s/32" % w.host(20)
    by_cidr = c.call("CreateSnatEntry", SnatTableId=w.stb, SourceCIDR=one_host, SnatIp="%s,%s" % (ip1, ip2),
                     SnatEntryName="by-cidr")["SnatEntryId"]
    assert by_vsw.startswith("snat-") and by_cidr.startswith("snat-"), (by_vsw, by_cidr)
    for entry_id in (by_vsw, by_cidr):
        _, statuses = wait_snat(c, w, entry_id, "Available")
        assert set(statuses) <= {"Pending", "Available"}, statuses
    shown = snat(c, w.stb)
    keys = ("SnatTableId", "NatGatewayId", "SourceVSwitchId", "SourceCIDR", "SnatIp", "SnatEntryName", "EipAffinity",
            "Status")
    # EipAffinity is a string; a vSwitch entry's SourceCIDR is the vSwitch's CIDR
    assert [tuple(e[k] for k in keys) for e in shown] == [
        (w.stb, w.nat, w.vsw, str(w.vsw_cidr), ip1, "by-vsw", "1", "Available"),
        (w.stb, w.nat, "", one_host, "%s,%s" % (ip1, ip2), "by-cidr", "0", "Available"),
    ], shown
    assert using_status(c, w) == {ip1: "UsedBySnatTable", ip2: "UsedBySnatTable"}

    for flt, want in (({"SnatIp": ip2}, [by_cidr]), ({"SourceVSwitchId": w.vsw}, [by_vsw]),
                      ({"SourceCIDR": one_host}, [by_cidr]), ({"SnatEntryName": "by-vsw"}, [by_vsw]),
                      ({"SnatIp": ip1}, [by_vsw, by_cidr])):
        assert ids(snat(c, w.stb, **flt), "SnatEntryId") == want, flt

    # a second entry for the same vSwitch is refused
    expect_api_error(lambda: c.call("CreateSnatEntry", SnatTableId=w.stb, SourceVSwitchId=w.vsw, SnatIp=ip2), 400,
                     "Forbidden.SourceVSwitchId.Duplicated")

    # ModifySnatEntry: the SnatIp list, the name, EipAffinity
    c.call("ModifySnatEntry", SnatTableId=w.stb, SnatEntryId=by_vsw, SnatIp="%s,%s" % (ip2, ip1),
           SnatEntryName="renamed", EipAffinity=0)
    e, statuses = wait_snat(c, w, by_vsw, "Available")
    assert set(statuses) <= {"Pending", "Available"}, statuses
    assert set(e["SnatIp"].split(",")) == {ip1, ip2} and (e["SnatEntryName"], e["EipAffinity"]) == ("renamed", "0"), e
    c.call("ModifySnatEntry", SnatTableId=w.stb, SnatEntryId=by_cidr, SnatIp=ip2)
    e, _ = wait_snat(c, w, by_cidr, "Available")
    assert (e["SnatIp"], e["SnatEntryName"]) == (ip2, "by-cidr"), e

    for entry_id in (by_vsw, by_cidr):
        c.call("DeleteSnatEntry", SnatTableId=w.stb, SnatEntryId=entry_id)
    for entry_id in (by_vsw, by_cidr):
        _, statuses = wait_snat(c, w, entry_id, None)
        assert set(statuses) <= {"Deleting", None}, statuses
    assert snat(c, w.stb) == []
    assert using_status(c, w) == {ip1: "idle", ip2: "idle"}
    expect_api_error(lambda: c.call("DeleteSnatEntry", SnatTableId=w.stb, SnatEntryId=by_vsw), 404,
                     "InvalidSnatEntryId.NotFound")


# ---- refusals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_refusals(variant, nat_world):
    c = lane.api_client(variant)
    w = nat_world(c, eips=1)
    ip = w.ips[0]
    web = dnat(c, w, ip, "80", w.host(10), "80")
    wait_fwd(c, w, web, "Available")
    unbound_alloc, unbound_ip = allocate(c)
    w.allocs.append(unbound_alloc)
    late_alloc, late_ip = allocate(c)
    w.allocs.append(late_alloc)
    before = tables(c, w)

    def refused(status, code, action, **params):
        expect_api_error(lambda: c.call(action, **params), status, code)
        assert tables(c, w) == before, (action, params)

    # ExternalIp: no EIP of the account / an EIP not bound to this gateway
    refused(404, "InvalidExternalIp.NotFound", "CreateForwardEntry", ForwardTableId=w.ftb, ExternalIp="203.0.113.9",
            ExternalPort="81", InternalIp=w.host(10), InternalPort="81", IpProtocol="tcp")
    refused(400, "InvalidIp.NotInNatgw", "CreateForwardEntry", ForwardTableId=w.ftb, ExternalIp=unbound_ip,
            ExternalPort="81", InternalIp=w.host(10), InternalPort="81", IpProtocol="tcp")
    # an EIP still Associating (asked right after AssociateEipAddress; the delay is 300 ms)
    bind(c, w, late_alloc, wait=False)
    refused(400, "OperationUnsupported.EipInBinding", "CreateForwardEntry", ForwardTableId=w.ftb, ExternalIp=late_ip,
            ExternalPort="81", InternalIp=w.host(10), InternalPort="81", IpProtocol="tcp")
    lane.wait_eip(c, late_alloc, "InUse")
    # InternalIp outside the VPC; the same external tuple twice
    refused(400, "Forbidden.InternalIpOutOfVpcCIDR", "CreateForwardEntry", ForwardTableId=w.ftb, ExternalIp=ip,
            ExternalPort="81", InternalIp=w.outside_vpc(), InternalPort="81", IpProtocol="tcp")
    refused(400, "OperationUnsupported.PortConflict", "CreateForwardEntry", ForwardTableId=w.ftb, ExternalIp=ip,
            ExternalPort="80", InternalIp=w.host(12), InternalPort="8080", IpProtocol="tcp")
    # SNAT on the address DNAT uses
    refused(400, "Forbidden.IpUsedInForwardTable", "CreateSnatEntry", SnatTableId=w.stb, SourceVSwitchId=w.vsw,
            SnatIp=ip)

    # SNAT on the second address; DNAT on it is refused, so is a second entry for the vSwitch
    s = c.call("CreateSnatEntry", SnatTableId=w.stb, SourceVSwitchId=w.vsw, SnatIp=late_ip)["SnatEntryId"]
    wait_snat(c, w, s, "Available")
    before = tables(c, w)
    refused(400, "Forbidden.ExternalIp.UsedInSnatTable", "CreateForwardEntry", ForwardTableId=w.ftb,
            ExternalIp=late_ip, ExternalPort="443", InternalIp=w.host(10), InternalPort="443", IpProtocol="tcp")
    refused(400, "Forbidden.SourceVSwitchId.Duplicated", "CreateSnatEntry", SnatTableId=w.stb, SourceVSwitchId=w.vsw,
            SnatIp=late_ip)
    # UnassociateEipAddress while entries use the address
    refused(400, "InvalidIpStatus.HasBeenUsedBySnatTable", "UnassociateEipAddress", AllocationId=late_alloc,
            InstanceId=w.nat, InstanceType="Nat")
    refused(400, "InvalidIpStatus.HasBeenUsedByForwardEntry", "UnassociateEipAddress", AllocationId=w.allocs[0],
            InstanceId=w.nat, InstanceType="Nat")
    assert lane.eip(c, late_alloc)["Status"] == "InUse"
    # DeleteNatGateway without Force: the bound EIPs are the first blocker (decisions.md)
    refused(400, "DependencyViolation.EIPS", "DeleteNatGateway", NatGatewayId=w.nat)
    assert lane.nat_gateway(c, w.nat)["Status"] == "Available"

    # another account sees neither table
    other = lane.api_client(variant, account=lane.ACCOUNT2)
    expect_api_error(lambda: other.call("DescribeForwardTableEntries", ForwardTableId=w.ftb), 404,
                     "InvalidForwardTableId.NotFound")
    expect_api_error(lambda: other.call("DescribeSnatTableEntries", SnatTableId=w.stb), 404,
                     "InvalidSnatTableId.NotFound")

    # Force=true removes entries and EIP bindings at once; the gateway goes Deleting -> gone
    c.call("DeleteNatGateway", NatGatewayId=w.nat, Force=True)
    for alloc in (w.allocs[0], late_alloc):
        e = lane.eip(c, alloc)
        assert (e["Status"], e["InstanceId"]) == ("Available", ""), e
    _, statuses = lane.wait_nat(c, w.nat, None)
    assert set(statuses) <= {"Deleting", None}, statuses
    expect_api_error(lambda: fwd_page(c, w.ftb), 404, "InvalidForwardTableId.NotFound")


# ---- paging (one client) ------------------------------------------------------------------------

def test_paging_over_55_dnat_entries(nat_world):
    c = lane.api_client(PAGING_VARIANT)
    w = nat_world(c, eips=1)
    created = [dnat(c, w, w.ips[0], str(10000 + i), w.host(100), str(20000 + i)) for i in range(55)]
    assert len(set(created)) == 55
    lane.poll(lambda: [e["Status"] for p in (1, 2)
                       for e in fwd_page(c, w.ftb, PageSize=50, PageNumber=p)["ForwardTableEntries"]["ForwardTableEntry"]],
              lambda statuses: statuses == ["Available"] * 55, "55 entries Available")
    seen = []
    for number, size, count in ((1, 50, 50), (2, 50, 5), (3, 50, 0)):
        page = fwd_page(c, w.ftb, PageSize=size, PageNumber=number)
        assert (int(page["TotalCount"]), int(page["PageNumber"]), int(page["PageSize"])) == (55, number, size), page
        items = page["ForwardTableEntries"]["ForwardTableEntry"]
        assert len(items) == count, page
        seen += ids(items, "ForwardEntryId")
    assert seen == created  # every entry once, oldest first
    default = fwd_page(c, w.ftb)
    assert (int(default["PageSize"]), len(default["ForwardTableEntries"]["ForwardTableEntry"])) == (10, 10), default
    expect_api_error(lambda: fwd_page(c, w.ftb, PageSize=51), 400, "InvalidParameter")
