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


# ---- one client interface over every Python SDK variant (NAT gateway / EIP tests) ----------
#
# api_client(variant).call("Action", **wire_params) sends the action through the SDK's typed
# request class and returns the reply as a dict keyed by wire names:
#   - py-core: aliyunsdkvpc.request.v20160428.<Action>Request, its set_<Param> setters (repeat
#     lists through the SDK's own names, e.g. set_Tags / set_ResourceIds); JSON via
#     do_action_with_exception, XML via get_response() and parse_xml_reply() below (XML values
#     are strings: compare through as_bool / int);
#   - Tea: models.<Action>Request.from_map(params) → client.<snake_case>(request) → the typed
#     body's to_map() (a field the typed model does not know is dropped, so a misspelt field
#     shows up as missing).
# Errors of every variant are raised as ApiError(status, code, request_id, message).
# The SDKs are imported inside these functions: the constants above need no SDK.

API_VARIANTS = ["core-POST-JSON", "core-GET-JSON", "core-POST-XML", "core-GET-XML", "tea-acs3", "tea-v2"]

# py-core setter names of repeat lists, by wire name.
CORE_LIST_SETTERS = {"Tag": "Tags", "ResourceId": "ResourceIds", "TagKey": "TagKeys"}

# Elements that repeat without a wrapper (GetNatGatewayAttribute's IpList, the bare Zones of
# ListEnhanhcedNatGatewayAvailableZones).
XML_BARE_LISTS = {"IpList"}

XML_NAT_LIST_PAIRS = {
    ("NatGateways", "NatGateway"), ("ForwardTableIds", "ForwardTableId"), ("SnatTableIds", "SnatTableId"),
    ("FullNatTableIds", "FullNatTableId"), ("BandwidthPackageIds", "BandwidthPackageId"),
    ("IpLists", "IpList"), ("IpPrefixList", "IpPrefixList"), ("EipAddresses", "EipAddress"),
    ("TagResources", "TagResource"), ("OperationLocks", "LockReason"),
    ("SecurityProtectionTypes", "SecurityProtectionType"),
}


class ApiError(Exception):
    def __init__(self, status, code, request_id, message=""):
        super().__init__("HTTP %s %s (RequestId %s): %s" % (status, code, request_id, message))
        self.status = status
        self.code = code
        self.request_id = request_id
        self.message = message


def _xml_obj(elem, items, bare, is_item=False):
    children = list(elem)
    if is_item and not children:
        return elem.text or ""
    item = items.get(elem.tag)
    if item is not None and all(c.tag == item for c in children):
        return {item: [_xml_obj(c, items, bare, is_item=True) for c in children]}
    if not children:
        return elem.text or ""
    out = {}
    for c in children:
        if c.tag in bare:
            out.setdefault(c.tag, []).append(_xml_obj(c, items, bare, is_item=True))
            continue
        assert c.tag not in out, "unexpected repeated element <%s> in <%s>" % (c.tag, elem.tag)
        out[c.tag] = _xml_obj(c, items, bare)
    return out


def parse_xml_reply(body, action):
    """An XML success or error body -> dict (list wrappers of XML_LIST_PAIRS and XML_NAT_LIST_PAIRS
    become {item: [...]}, XML_BARE_LISTS become lists)."""
    root = ET.fromstring(body)
    items = dict(XML_LIST_ITEM)
    items.update(dict(XML_NAT_LIST_PAIRS))
    if root.tag != "Error":
        assert root.tag == action + "Response", "XML root is <%s>, expected <%sResponse>" % (root.tag, action)
    return root.tag, _xml_obj(root, items, XML_BARE_LISTS)


def _snake(action):
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action.replace("VSwitch", "Vswitch")).lower()


class _CoreApi:
    def __init__(self, hostport, method, fmt, account, region):
        from aliyunsdkcore.client import AcsClient
        self.hostport, self.method, self.fmt, self.region = hostport, method, fmt, region
        self.client = AcsClient(account[0], account[1], region)

    def call(self, action, **params):
        import importlib
        from aliyunsdkcore.acs_exception.exceptions import ServerException
        mod = importlib.import_module("aliyunsdkvpc.request.v20160428.%sRequest" % action)
        req = getattr(mod, action + "Request")()
        for name, value in params.items():
            if name == "RegionId":
                req.add_query_param("RegionId", value)
                continue
            getattr(req, "set_" + CORE_LIST_SETTERS.get(name, name))(value)
        req.set_endpoint(self.hostport)
        req.set_method(self.method)
        if self.fmt == "JSON":
            try:
                return json.loads(self.client.do_action_with_exception(req))
            except ServerException as e:
                raise ApiError(e.get_http_status(), e.get_error_code(), e.get_request_id(), e.get_error_msg())
        req.set_accept_format("XML")
        status, headers, body = self.client.get_response(req)
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        assert ctype.startswith("text/xml"), "XML answer with Content-Type %r: %r" % (ctype, body)
        root, obj = parse_xml_reply(body, action)
        if not 200 <= status < 300:
            assert root == "Error", body
            raise ApiError(status, obj.get("Code"), obj.get("RequestId"), obj.get("Message"))
        return obj


class _TeaApi:
    def __init__(self, hostport, signature, account, region):
        from alibabacloud_tea_openapi.utils_models import Config
        from alibabacloud_vpc20160428.client import Client
        cfg = Config(access_key_id=account[0], access_key_secret=account[1], endpoint=hostport,
                     protocol="http", region_id=region)
        if signature == "v2":
            cfg.signature_algorithm = "v2"
        self.client = Client(cfg)
        self.region = region

    def call(self, action, **params):
        from alibabacloud_tea_openapi.exceptions import ClientException
        from alibabacloud_vpc20160428 import models
        cls = getattr(models, action + "Request")
        wire = dict(params)
        if "RegionId" not in wire and hasattr(cls(), "region_id"):
            wire["RegionId"] = self.region
        req = cls().from_map(wire)
        try:
            resp = getattr(self.client, _snake(action))(req)
        except ClientException as e:
            raise ApiError(e.status_code, e.code, e.request_id, e.message)
        assert resp.status_code == 200, resp.status_code
        assert resp.body is not None, "%s: typed body is None (the reply does not match the model)" % action
        assert resp.body.request_id, "%s: no RequestId" % action
        return resp.body.to_map()


def api_client(variant, account=ACCOUNT1, region=REGION):
    """A client of API_VARIANTS: .call(action, **wire_params) -> dict; errors raise ApiError."""
    kind, *rest = variant.split("-")
    if kind == "core":
        return _CoreApi(emulator_hostport(), rest[0], rest[1], account, region)
    return _TeaApi(emulator_hostport(), rest[0], account, region)


def expect_api_error(fn, status, code):
    """fn() must raise ApiError with this HTTP status and Code (and a RequestId)."""
    try:
        fn()
    except ApiError as e:
        assert (e.status, e.code) == (status, code), "expected HTTP %s %s, got %s" % (status, code, e)
        assert e.request_id, "error without RequestId: %s" % e
        return e
    raise AssertionError("expected HTTP %s %s, but the call succeeded" % (status, code))


def default_vswitch(c, region=None):
    """(VpcId, VSwitchId): the default VPC and one of its vSwitches."""
    kw = {} if region is None else {"RegionId": region}
    vpc = c.call("DescribeVpcs", IsDefault=True, **kw)["Vpcs"]["Vpc"][0]["VpcId"]
    return vpc, c.call("DescribeVSwitches", VpcId=vpc, **kw)["VSwitches"]["VSwitch"][0]["VSwitchId"]


def nat_gateway(c, nat_id):
    """The gateway as DescribeNatGateways shows it, or None once it is gone."""
    gws = c.call("DescribeNatGateways", NatGatewayId=nat_id)["NatGateways"]["NatGateway"]
    assert len(gws) <= 1, gws
    return gws[0] if gws else None


def wait_nat(c, nat_id, status):
    """Polls DescribeNatGateways until the gateway has `status` (None: gone). Returns (gateway,
    statuses seen)."""
    final, seen = poll(lambda: nat_gateway(c, nat_id),
                       lambda g: (g is None) if status is None else (g is not None and g["Status"] == status),
                       "NAT gateway %s %s" % (nat_id, status or "gone"))
    return final, [g["Status"] if g else None for g in seen]


def eip(c, allocation_id):
    eips = c.call("DescribeEipAddresses", AllocationId=allocation_id)["EipAddresses"]["EipAddress"]
    assert len(eips) <= 1, eips
    return eips[0] if eips else None


def wait_eip(c, allocation_id, status):
    final, seen = poll(lambda: eip(c, allocation_id), lambda e: e is not None and e["Status"] == status,
                       "EIP %s %s" % (allocation_id, status))
    return final, [e["Status"] if e else None for e in seen]


def create_available_nat(c, vpc_id, vsw_id, **extra):
    """CreateNatGateway (Enhanced, internet) and wait until Available; returns the create reply."""
    created = c.call("CreateNatGateway", VpcId=vpc_id, VSwitchId=vsw_id, NatType="Enhanced",
                     NetworkType="internet", **extra)
    wait_nat(c, created["NatGatewayId"], "Available")
    return created


# ---- DNAT/SNAT entries and bandwidth packages (test_entries.py, test_bandwidth_packages.py) -----
XML_NAT_LIST_PAIRS |= {
    ("ForwardTableEntries", "ForwardTableEntry"), ("SnatTableEntries", "SnatTableEntry"),
    ("BandwidthPackages", "BandwidthPackage"), ("PublicIpAddresses", "PublicIpAddresse"),
}
