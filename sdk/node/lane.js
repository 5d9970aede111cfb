'use strict';
// Shared constants and helpers for the Node SDK lane (no SDK imports here).

const ACCOUNT1 = { accessKeyId: 'testid', accessKeySecret: 'testsecret' };
const ACCOUNT2 = { accessKeyId: 'testid2', accessKeySecret: 'testsecret2' };
const WRONG_SECRET = 'not-the-secret';

const REGION = 'cn-hangzhou';
const REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen',
  'ap-southeast-1', 'us-west-1', 'eu-central-1'];
const ZONE_REGIONS = ['cn-hangzhou', 'eu-central-1'];
const PAGING_REGION = 'cn-shanghai'; // keeps the paging test clear of the per-region VPC quota
const MISSING_VPC_ID = 'vpc-sdklane0000000000000000';
// space, '*', '~', reserved chars and non-ASCII: exercises each SDK's
// percent-encoding inside the signature and the server's form-decoding.
const DESCRIPTION = 'sdk lane 描述 *~ a+b=c/d,e:f';

const POLL_INTERVAL_MS = 100;
const POLL_TIMEOUT_MS = 10000;

function emulatorUrl() {
  const url = process.env.NAT_EMULATOR_URL;
  if (!url) throw new Error('NAT_EMULATOR_URL is not set (run via scripts/sdk-lane)');
  return url.replace(/\/+$/, '');
}

// '127.0.0.1:PORT'
function emulatorHostPort() {
  return new URL(emulatorUrl()).host;
}

async function resetWorld() {
  const resp = await fetch(emulatorUrl() + '/_emulator/reset', { method: 'POST' });
  if (resp.status !== 200) throw new Error(`POST /_emulator/reset answered ${resp.status}`);
  await resp.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Call fetchFn() every 100 ms until done(value); give up after 10 s.
// Resolves to { value, seen } (seen: every value fetched, in order).
async function poll(fetchFn, done, what) {
  const seen = [];
  const deadline = Date.now() + POLL_TIMEOUT_MS;
  for (;;) {
    const value = await fetchFn();
    seen.push(value);
    if (done(value)) return { value, seen };
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${POLL_TIMEOUT_MS / 1000} s waiting for ${what}; last value: ${JSON.stringify(value)}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

// A vSwitch CIDR outside its VPC. The real service answers 400 InvalidParameter
// ("Specified CIDR block is not valid in VPC."); InvalidCidrBlock.* is accepted too.
const cidrCode = (code) => code === 'InvalidParameter' || (typeof code === 'string' && code.startsWith('InvalidCidrBlock'));


// ---- one client interface over every Node SDK variant (NAT gateway / EIP tests) -------------
//
// apiClient(variant).call('Action', {WireName: value, …}) resolves to the reply keyed by wire
// names (PascalCase):
//   - pop-core RPCClient, GET or {method: 'POST'}: the params as given (pop-core flattens
//     `Tag: [{Key, Value}]` into Tag.1.Key itself), the parsed JSON body;
//   - @alicloud/vpc20160428 (Tea), ACS3 or signatureAlgorithm 'v2': the params cast into the typed
//     <Action>Request ($dara.cast, the SDK's own wire-name → model mapping), client.<action>(),
//     then the typed body's toMap() — a field the model does not know is dropped, and a field of
//     the wrong type makes the SDK throw.
// Errors of every variant reject with ApiError {status, code, requestId, message}.
// The SDKs are required inside these functions: the constants above need no SDK.

const API_VARIANTS = ['pop-core GET', 'pop-core POST', 'tea acs3', 'tea v2'];

class ApiError extends Error {
  constructor(status, code, requestId, message) {
    super(`HTTP ${status} ${code} (RequestId ${requestId}): ${message}`);
    Object.assign(this, { status, code, requestId });
  }
}

function apiClient(variant, account = ACCOUNT1, region = REGION) {
  const [kind, style] = variant.split(' ');
  if (kind === 'pop-core') {
    const { RPCClient } = require('@alicloud/pop-core');
    const client = new RPCClient({
      endpoint: emulatorUrl(), apiVersion: '2016-04-28', accessKeyId: account.accessKeyId, accessKeySecret: account.accessKeySecret,
    });
    return {
      async call(action, params = {}) {
        try {
          return await client.request(action, { RegionId: region, ...params }, style === 'POST' ? { method: 'POST' } : {});
        } catch (e) {
          if (!e.data || !e.entry) throw e;
          throw new ApiError(e.entry.response.statusCode, e.code, e.data.RequestId, e.message);
        }
      },
    };
  }
  const Vpc = require('@alicloud/vpc20160428');
  const { $OpenApiUtil, ClientError } = require('@alicloud/openapi-core');
  const $dara = require('@darabonba/typescript');
  const config = new $OpenApiUtil.Config({
    accessKeyId: account.accessKeyId, accessKeySecret: account.accessKeySecret, endpoint: emulatorHostPort(), protocol: 'http', regionId: region,
  });
  if (style === 'v2') config.signatureAlgorithm = 'v2';
  const client = new Vpc.default(config);
  return {
    async call(action, params = {}) {
      const req = $dara.cast({ RegionId: region, ...params }, new Vpc[`${action}Request`]({}));
      let resp;
      try {
        resp = await client[action[0].toLowerCase() + action.slice(1)](req);
      } catch (e) {
        if (!(e instanceof ClientError)) throw e;
        throw new ApiError(e.statusCode, e.code, e.requestId, e.message);
      }
      if (resp.statusCode !== 200 || !resp.body || !resp.body.requestId) {
        throw new Error(`${action}: HTTP ${resp.statusCode}, typed body ${JSON.stringify(resp.body)}`);
      }
      return resp.body.toMap();
    },
  };
}

// fn() must reject with ApiError of this HTTP status and Code (and a RequestId).
async function expectApiError(fn, status, code) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected HTTP ${status} ${code}, but the call succeeded`);
  if (!(err instanceof ApiError)) throw err;
  if (err.status !== status || err.code !== code) throw new Error(`expected HTTP ${status} ${code}, got ${err.message}`);
  if (!err.requestId) throw new Error(`error without RequestId: ${err.message}`);
  return err;
}

// [VpcId, VSwitchId]: the default VPC and one of its vSwitches.
async function defaultVSwitch(c) {
  const vpc = (await c.call('DescribeVpcs', { IsDefault: true })).Vpcs.Vpc[0].VpcId;
  return [vpc, (await c.call('DescribeVSwitches', { VpcId: vpc })).VSwitches.VSwitch[0].VSwitchId];
}

// The gateway as DescribeNatGateways shows it, or null once it is gone.
async function natGateway(c, id) {
  const gws = (await c.call('DescribeNatGateways', { NatGatewayId: id })).NatGateways.NatGateway;
  if (gws.length > 1) throw new Error(`${id} listed ${gws.length} times`);
  return gws[0] || null;
}

// Polls until the gateway has `status` (null: gone); resolves to { value, statuses }.
async function waitNat(c, id, status) {
  const { value, seen } = await poll(() => natGateway(c, id),
    (g) => (status === null ? g === null : g !== null && g.Status === status), `NAT gateway ${id} ${status || 'gone'}`);
  return { value, statuses: seen.map((g) => (g ? g.Status : null)) };
}

async function eip(c, id) {
  const eips = (await c.call('DescribeEipAddresses', { AllocationId: id })).EipAddresses.EipAddress;
  if (eips.length > 1) throw new Error(`${id} listed ${eips.length} times`);
  return eips[0] || null;
}

async function waitEip(c, id, status) {
  const { value, seen } = await poll(() => eip(c, id), (e) => e !== null && e.Status === status, `EIP ${id} ${status}`);
  return { value, statuses: seen.map((e) => (e ? e.Status : null)) };
}

// CreateNatGateway (Enhanced, internet), then wait until Available; resolves to the create reply.
async function createAvailableNat(c, vpcId, vswId, extra = {}) {
  const created = await c.call('CreateNatGateway', { VpcId: vpcId, VSwitchId: vswId, NatType: 'Enhanced', NetworkType: 'internet', ...extra });
  await waitNat(c, created.NatGatewayId, 'Available');
  return created;
}

module.exports = {
  ACCOUNT1, ACCOUNT2, WRONG_SECRET, REGION, REGIONS, ZONE_REGIONS, PAGING_REGION, MISSING_VPC_ID, DESCRIPTION,
  emulatorUrl, emulatorHostPort, resetWorld, poll, cidrCode,
  API_VARIANTS, ApiError, apiClient, expectApiError, defaultVSwitch, natGateway, waitNat, eip, waitEip, createAvailableNat,
};
