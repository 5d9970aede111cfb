"""Fault injection driven by a real SDK's retry loop.

alibabacloud-vpc20160428 (Tea) retries an injected Throttling / ServiceUnavailable with its own
retry policy, and GET /_emulator/faults/report must see each retry: the same request (account,
action, business parameters) coming back, with the backoff between the attempts.

With the pinned alibabacloud-tea-openapi 0.4.6 the retry loop reads Config.retry_options
(darabonba RetryOptions); RuntimeOptions(autoretry=True, max_attempts=3) is passed as well, as
older Tea releases read it.
"""
import json
import urllib.request

import pytest
from alibabacloud_tea_openapi.utils_models import Config
from alibabacloud_vpc20160428 import models as m
from alibabacloud_vpc20160428.client import Client
from darabonba.policy.retry import RetryOptions
from darabonba.runtime import RuntimeOptions

import lane

BACKOFF_MS = 50


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(lane.emulator_url() + "/_emulator" + path, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


@pytest.fixture(autouse=True)
def no_faults_left():
    control("DELETE", "/faults")
    control("DELETE", "/faults/report")
    yield
    control("DELETE", "/faults")
    control("DELETE", "/faults/report")


def tea(hostport, variant, retry):
    cfg = Config(access_key_id=lane.ACCOUNT1[0], access_key_secret=lane.ACCOUNT1[1], endpoint=hostport,
                 protocol="http", region_id=lane.REGION)
    if variant == "v2":
        cfg.signature_algorithm = "v2"
    if retry:
        cfg.retry_options = RetryOptions({
            "retryable": True,
            "retryCondition": [{
                "maxAttempts": 3,
                "errorCode": ["Throttling", "ServiceUnavailable"],
                "backoff": {"policy": "Fixed", "period": BACKOFF_MS},
            }],
        })
    return Client(cfg)


def describe(client):
    return client.describe_vpcs_with_options(
        m.DescribeVpcsRequest(region_id=lane.REGION, vpc_name="faulted"),
        RuntimeOptions(autoretry=True, max_attempts=3))


@pytest.mark.parametrize("variant", ["acs3", "v2"])
@pytest.mark.parametrize("preset,status", [("Throttling", 400), ("ServiceUnavailable", 503)])
def test_sdk_retries_are_reported(hostport, variant, preset, status):
    rule = control("POST", "/faults", {"match": {"action": "DescribeVpcs", "account": lane.ACCOUNT1[0]},
                                       "error": preset, "when": {"first": 2}})
    assert rule["error"]["status"] == status

    resp = describe(tea(hostport, variant, retry=True))
    assert resp.status_code == 200 and resp.body.request_id

    report = control("GET", "/faults/report")
    injected = report["injected"]
    assert [f["code"] for f in injected] == [preset, preset], report
    assert all(f["retried"] for f in injected), report
    assert [f["attempt"] for f in injected] == [1, 2]
    assert injected[0]["retry_outcome"]["code"] == preset
    assert injected[1]["retry_outcome"] == {"status": 200, "code": None, "injected": False}
    # Tea announces its retries in x-acs-retry-attempts.
    assert injected[1]["client_retry_attempt"] == "1", injected
    (episode,) = report["episodes"]
    assert episode["attempts"] == 3 and episode["retries"] == 2 and episode["recovered"], episode
    assert episode["request_ids"][-1] == resp.body.request_id
    backoffs = episode["backoffs_ms"]
    assert len(backoffs) == 2
    if preset == "Throttling":
        # x-acs-retry-after: 1 → Tea waits that long instead of its own backoff.
        assert all(b < BACKOFF_MS for b in backoffs), backoffs
    else:
        assert all(b >= BACKOFF_MS * 0.8 for b in backoffs), backoffs
    (per_rule,) = report["rules"]
    assert per_rule["injected"] == 2 and per_rule["retried"] == 2 and per_rule["not_retried"] == 0

    # The journal shows the faulted attempts and the success, nothing changed in between.
    reqs = control("GET", "/requests?action=DescribeVpcs&limit=3")["requests"]
    assert [r["status"] for r in reqs] == [200, status, status], reqs


def test_no_retry_policy_means_no_retry(hostport):
    control("POST", "/faults", {"match": {"action": "DescribeVpcs", "account": lane.ACCOUNT1[0]},
                                "error": "ServiceUnavailable", "when": {"first": 1}})
    with pytest.raises(Exception):
        describe(tea(hostport, "acs3", retry=False))
    (fault,) = control("GET", "/faults/report")["injected"]
    assert fault["retried"] is False and fault["backoff_ms"] is None, fault
