"""HTTPS lane: both Python SDKs over TLS, trusting the emulator's CA the way a user would.

The emulator runs with `--listen-tls` (scripts/sdk-lane): NAT_EMULATOR_TLS_URL is its HTTPS
address, NAT_EMULATOR_TLS_CA the CA it wrote with `--tls-ca-out`.

- py-core (aliyun-python-sdk-core, vendored requests): `AcsClient(..., verify=CA)` or the
  variable `ALIBABA_CLOUD_CA_BUNDLE=CA` (py-core passes `verify` explicitly, so requests'
  own REQUESTS_CA_BUNDLE is not read); the request speaks HTTPS with
  `set_protocol_type("https")`.
- Tea (alibabacloud-vpc20160428): `Config(protocol="https", ca=CA)` (a file path).

They call `vpc.aliyuncs.com:PORT` (and `vpc.cn-hangzhou.aliyuncs.com:PORT`), resolved to
127.0.0.1 by a resolver override in this process (neither SDK takes a resolver of its own;
/etc/hosts or a container network alias does the same for a real setup), and `localhost:PORT`
with no override.
"""
import contextlib
import json
import os
import socket
import urllib.parse
import uuid

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException as CoreClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkvpc.request.v20160428.CreateVpcRequest import CreateVpcRequest
from aliyunsdkvpc.request.v20160428.DescribeRegionsRequest import DescribeRegionsRequest
from aliyunsdkvpc.request.v20160428.DescribeVpcAttributeRequest import DescribeVpcAttributeRequest
from alibabacloud_tea_openapi.exceptions import ClientException as TeaClientException
from alibabacloud_tea_openapi.utils_models import Config
from alibabacloud_vpc20160428 import models as m
from alibabacloud_vpc20160428.client import Client

import lane

REAL_NAMES = ["vpc.aliyuncs.com", "vpc.cn-hangzhou.aliyuncs.com"]


def tls_port():
    url = os.environ.get("NAT_EMULATOR_TLS_URL")
    if not url:
        raise RuntimeError("NAT_EMULATOR_TLS_URL is not set (run via scripts/sdk-lane)")
    return urllib.parse.urlsplit(url).port


def ca_path():
    path = os.environ.get("NAT_EMULATOR_TLS_CA")
    if not path or not os.path.isfile(path):
        raise RuntimeError("NAT_EMULATOR_TLS_CA does not name the emulator's CA file (run via scripts/sdk-lane)")
    return path


@contextlib.contextmanager
def resolve_to_loopback(names):
    """Resolve `names` to 127.0.0.1 in this process (what an /etc/hosts line does for everyone)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        if host in names:
            host = "127.0.0.1"
        return real(host, port, *args, **kwargs)

    socket.getaddrinfo = fake
    try:
        yield
    finally:
        socket.getaddrinfo = real


@pytest.fixture(autouse=True)
def real_names():
    lane.reset_world()  # each test creates VPCs: stay within the per-region quota
    with resolve_to_loopback(set(REAL_NAMES)):
        yield


HOSTS = REAL_NAMES + ["localhost"]


# ---- py-core ---------------------------------------------------------------------------------

def core_call(client, request, host):
    request.set_endpoint("%s:%d" % (host, tls_port()))
    request.set_protocol_type("https")
    return json.loads(client.do_action_with_exception(request))


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("host", HOSTS)
def test_py_core_over_https_with_verify(host, method):
    client = AcsClient(lane.ACCOUNT1[0], lane.ACCOUNT1[1], lane.REGION, verify=ca_path())
    req = DescribeRegionsRequest()
    req.set_method(method)
    regions = core_call(client, req, host)["Regions"]["Region"]
    assert {r["RegionId"] for r in regions} == lane.REGIONS

    req = CreateVpcRequest()
    req.set_method(method)
    req.set_VpcName("https-core")
    req.set_ClientToken(str(uuid.uuid4()))
    vpc_id = core_call(client, req, host)["VpcId"]
    req = DescribeVpcAttributeRequest()
    req.set_method(method)
    req.set_VpcId(vpc_id)
    assert core_call(client, req, host)["VpcName"] == "https-core"

    req = DescribeVpcAttributeRequest()
    req.set_method(method)
    req.set_VpcId(lane.MISSING_VPC_ID)
    with pytest.raises(ServerException) as ei:
        core_call(client, req, host)
    assert ei.value.get_error_code() == "InvalidVpcId.NotFound"
    assert ei.value.get_http_status() == 404
    assert ei.value.get_request_id()


def test_py_core_trusts_the_ca_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_CA_BUNDLE", ca_path())
    client = AcsClient(lane.ACCOUNT1[0], lane.ACCOUNT1[1], lane.REGION)
    body = core_call(client, DescribeRegionsRequest(), "vpc.aliyuncs.com")
    assert body["RequestId"]


def test_py_core_without_the_ca_refuses_the_certificate(monkeypatch):
    monkeypatch.delenv("ALIBABA_CLOUD_CA_BUNDLE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    client = AcsClient(lane.ACCOUNT1[0], lane.ACCOUNT1[1], lane.REGION)  # certifi's public roots
    with pytest.raises(CoreClientException) as ei:
        core_call(client, DescribeRegionsRequest(), "vpc.aliyuncs.com")
    assert ei.value.get_error_code() == "SDK.HttpError"
    assert "CERTIFICATE_VERIFY_FAILED" in str(ei.value) or "certificate" in str(ei.value).lower()


def test_py_core_wrong_secret_over_https():
    client = AcsClient(lane.ACCOUNT1[0], lane.WRONG_SECRET, lane.REGION, verify=ca_path())
    with pytest.raises(ServerException) as ei:
        core_call(client, DescribeRegionsRequest(), "vpc.aliyuncs.com")
    # py-core turns SignatureDoesNotMatch into InvalidAccessKeySecret when the server's
    # string-to-sign equals its own: the signature is compared over TLS exactly as over HTTP.
    assert ei.value.get_error_code() == "InvalidAccessKeySecret"


# ---- Tea -------------------------------------------------------------------------------------

def tea(host, variant, secret=lane.ACCOUNT1[1], ca=None):
    cfg = Config(access_key_id=lane.ACCOUNT1[0], access_key_secret=secret, region_id=lane.REGION,
                 endpoint="%s:%d" % (host, tls_port()), protocol="https", ca=ca or ca_path())
    if variant == "v2":
        cfg.signature_algorithm = "v2"
    return Client(cfg)


@pytest.mark.parametrize("variant", ["acs3", "v2"])
@pytest.mark.parametrize("host", HOSTS)
def test_tea_over_https_with_config_ca(host, variant):
    client = tea(host, variant)
    body = client.describe_regions(m.DescribeRegionsRequest()).body
    assert {r.region_id for r in body.regions.region} == lane.REGIONS
    vpc_id = client.create_vpc(m.CreateVpcRequest(region_id=lane.REGION, vpc_name="https-tea",
                                                  client_token=str(uuid.uuid4()))).body.vpc_id
    attr = client.describe_vpc_attribute(m.DescribeVpcAttributeRequest(region_id=lane.REGION, vpc_id=vpc_id)).body
    assert attr.vpc_name == "https-tea"
    with pytest.raises(TeaClientException) as ei:
        client.describe_vpc_attribute(m.DescribeVpcAttributeRequest(region_id=lane.REGION, vpc_id=lane.MISSING_VPC_ID))
    e = ei.value
    assert (e.status_code, e.code) == (404, "InvalidVpcId.NotFound")
    # HostId is the host the client used, over TLS as over HTTP.
    host_id = (e.data or {}).get("HostId")
    assert host_id == "%s:%d" % (host, tls_port()), e.data


@pytest.mark.parametrize("variant", ["acs3", "v2"])
def test_tea_wrong_secret_over_https(variant):
    with pytest.raises(TeaClientException) as ei:
        tea("vpc.aliyuncs.com", variant, secret=lane.WRONG_SECRET).describe_regions(m.DescribeRegionsRequest())
    assert ei.value.code == "SignatureDoesNotMatch"


def test_tea_refuses_a_name_outside_the_certificate(tmp_path):
    # example.com resolves to the emulator too, but its certificate does not name it.
    with resolve_to_loopback({"example.com"}):
        with pytest.raises(Exception) as ei:
            tea("example.com", "acs3").describe_regions(m.DescribeRegionsRequest())
    assert "certificate" in str(ei.value).lower() or "ssl" in str(ei.value).lower(), ei.value
