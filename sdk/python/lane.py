"""Shared constants and helpers for the Python SDK lane (no SDK imports here)."""
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

ACCOUNT1 = ("testid", "testsecret")
ACCOUNT2 = ("testid2", "testsecret2")
WRONG_SECRET = "not-the-secret"

REGION = "cn-hangzhou"
REGIONS = {
    "cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen",
    "ap-southeast-1", "us-west-1", "eu-central-1",
}
ZONE_REGIONS = ["cn-hangzhou", "eu-central-1"]
PAGING_REGION = "cn-shanghai"  # keeps the paging test clear of the per-region VPC quota

# A VPC id that never exists (well-formed, unknown).
MISSING_VPC_ID = "vpc-sdklane0000000000000000"

# Description with space, '*', '~' and non-ASCII: exercises each SDK's
# percent-encoding inside the signature and the server's form-decoding.
DESCRIPTION = "sdk lane 描述 *~ a+b=c/d,e:f"

POLL_INTERVAL_S = 0.1
POLL_TIMEOUT_S = 10.0


def emulator_url():
    url = os.environ.get("NAT_EMULATOR_URL")
    if not url:
        raise RuntimeError("NAT_EMULATOR_URL is not set (run via scripts/sdk-lane)")
    return url.rstrip("/")


def emulator_hostport():
    """'127.0.0.1:PORT' from NAT_EMULATOR_URL."""
    return urllib.parse.urlsplit(emulator_url()).netloc


def reset_world():
    req = urllib.request.Request(emulator_url() + "/_emulator/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200, resp.status
        json.loads(resp.read() or b"{}")


def poll(fetch, done, what):
    """Call fetch() every 100 ms until done(value) is true; give up after 10 s.

    Returns (final_value, list_of_all_values_seen)."""
    seen = []
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        value = fetch()
        seen.append(value)
        if done(value):
            return value, seen
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.0f s waiting for %s; last value: %r"
                                 % (POLL_TIMEOUT_S, what, value))
        time.sleep(POLL_INTERVAL_S)


def as_bool(v):
    """JSON gives a bool; XML gives 'true'/'false'."""
    if isinstance(v, bool):
        return v
    assert v in ("true", "false"), v
    return v == "true"


# ---- XML responses (py-core with Format=XML) -------------------------------

# (wrapper, item) element pairs that are arrays in the API model.
XML_LIST_PAIRS = {
    ("Regions", "Region"), ("Zones", "Zone"), ("Vpcs", "Vpc"),
    ("VSwitches", "VSwitch"), ("VSwitchIds", "VSwitchId"), ("Tags", "Tag"),
    ("UserCidrs", "UserCidr"), ("SecondaryCidrBlocks", "SecondaryCidrBlock"),
    ("RouterTableIds", "RouterTableIds"), ("NatGatewayIds", "NatGatewayIds"),
    ("Ipv6CidrBlocks", "Ipv6CidrBlock"), ("CloudResources", "CloudResourceSetType"),
    ("AssociatedCens", "AssociatedCen"),
}
XML_LIST_ITEM = dict(XML_LIST_PAIRS)


def xml_to_obj(elem, is_item=False):
    """Element -> JSON-like value, using XML_LIST_PAIRS to know arrays."""
    children = list(elem)
    if is_item and not children:
        return elem.text or ""
    item = XML_LIST_ITEM.get(elem.tag)
    if item is not None and all(c.tag == item for c in children):
        return {item: [xml_to_obj(c, is_item=True) for c in children]}
    if not children:
        return elem.text or ""
    out = {}
    for c in children:
        assert c.tag not in out, "unexpected repeated element <%s> in <%s>" % (c.tag, elem.tag)
        out[c.tag] = xml_to_obj(c)
    return out


def parse_xml_response(body, action):
    root = ET.fromstring(body)
    assert root.tag == action + "Response", "XML root is <%s>, expected <%sResponse>" % (root.tag, action)
    return xml_to_obj(root)


def parse_xml_error(body):
    root = ET.fromstring(body)
    assert root.tag == "Error", "XML error root is <%s>, expected <Error>" % root.tag
    return xml_to_obj(root)


def cidr_code(code):
    """A vSwitch CIDR outside its VPC. The real service answers 400 InvalidParameter
    ("Specified CIDR block is not valid in VPC."); InvalidCidrBlock.* is accepted too."""
    return code == "InvalidParameter" or (bool(code) and code.startswith("InvalidCidrBlock"))
