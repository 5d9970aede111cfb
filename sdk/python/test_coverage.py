"""Drift report lane: real Python SDK calls carrying what the emulator does not model, and
`GET /_emulator/coverage` telling so (the emulator still answers, as the real service does).

- py-core: a typed request plus an extra `add_query_param` / `add_body_params` (what a newer SDK
  version or a hand-added parameter looks like on the wire), and a `CommonRequest` for an action
  the emulator does not implement;
- Tea: `Client.call_api` with a query parameter the typed model does not have.
"""
import json
import urllib.request

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkvpc.request.v20160428.DescribeVpcsRequest import DescribeVpcsRequest
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.utils_models import Config
from alibabacloud_vpc20160428.client import Client
from darabonba.runtime import RuntimeOptions

import lane


def coverage(action=None):
    url = lane.emulator_url() + "/_emulator/coverage" + ("?action=" + action if action else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        return json.loads(r.read())


def core_client():
    return AcsClient(lane.ACCOUNT1[0], lane.ACCOUNT1[1], lane.REGION)


@pytest.fixture(autouse=True)
def clean_report():
    req = urllib.request.Request(lane.emulator_url() + "/_emulator/coverage", method="DELETE")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
    yield


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_py_core_extra_parameters_are_reported(hostport, method):
    client = core_client()
    for _ in range(2):
        req = DescribeVpcsRequest()
        req.set_endpoint(hostport)
        req.set_method(method)
        req.set_PageSize(5)
        req.add_query_param("VpcFutureOption", "on")
        if method == "POST":
            req.add_body_params("BodyOnlyOption", "1")
        body = json.loads(client.do_action_with_exception(req))
        assert body["TotalCount"] >= 1  # accepted, as the real service would
    report = coverage("DescribeVpcs")["ignored_parameters"]["DescribeVpcs"]
    assert set(report) == ({"VpcFutureOption", "BodyOnlyOption"} if method == "POST" else {"VpcFutureOption"})
    seen = report["VpcFutureOption"]
    assert seen["count"] == 2
    assert seen["accounts"] == [lane.ACCOUNT1[0]]
    assert any("python" in ua.lower() for ua in seen["user_agents"]), seen["user_agents"]
    assert seen["first_seen"] <= seen["last_seen"]
    assert "PageSize" not in report  # modelled: never reported


def test_py_core_unknown_action_is_reported(hostport):
    req = CommonRequest(domain=hostport, version="2016-04-28", action_name="CreateVpcPeerConnection")
    req.set_method("POST")
    req.set_protocol_type("http")
    req.add_query_param("RegionId", lane.REGION)
    req.add_query_param("AcceptingVpcId", "vpc-x")
    with pytest.raises(ServerException) as ei:
        core_client().do_action_with_exception(req)
    assert ei.value.get_error_code() == "InvalidAction.NotFound"
    assert ei.value.get_http_status() == 404
    action = coverage()["unknown_actions"]["CreateVpcPeerConnection"]
    assert action["count"] == 1
    assert action["parameters"] == ["AcceptingVpcId"]


@pytest.mark.parametrize("variant", ["acs3", "v2"])
def test_tea_call_api_extra_parameter_is_reported(hostport, variant):
    cfg = Config(access_key_id=lane.ACCOUNT1[0], access_key_secret=lane.ACCOUNT1[1], endpoint=hostport,
                 protocol="http", region_id=lane.REGION)
    if variant == "v2":
        cfg.signature_algorithm = "v2"
    client = Client(cfg)
    params = open_api_models.Params(action="DescribeVpcs", version="2016-04-28", protocol="HTTP", pathname="/",
                                    method="POST", auth_type="AK", style="RPC", req_body_type="formData",
                                    body_type="json")
    request = open_api_models.OpenApiRequest(query={"RegionId": lane.REGION, "TeaFutureFilter": "x"})
    resp = client.call_api(params, request, RuntimeOptions())
    assert resp["statusCode"] == 200
    assert resp["body"]["TotalCount"] >= 1
    seen = coverage("DescribeVpcs")["ignored_parameters"]["DescribeVpcs"]["TeaFutureFilter"]
    assert seen["count"] == 1
    assert seen["user_agents"] and "AlibabaCloud" in seen["user_agents"][0]
