'use strict';
// HTTPS lane: both Node clients over TLS, trusting the emulator's CA the way a user would.
//
// The emulator runs with --listen-tls (scripts/sdk-lane): NAT_EMULATOR_TLS_URL is its HTTPS
// address, NAT_EMULATOR_TLS_CA the CA it wrote with --tls-ca-out, and the lane starts node with
// NODE_EXTRA_CA_CERTS=<that CA> (Node adds it to its trusted roots at start-up).
//
// - pop-core: endpoint 'https://vpc.aliyuncs.com:PORT'; trusts the CA through
//   NODE_EXTRA_CA_CERTS (or per call with {ca: pem}); the name is resolved to 127.0.0.1 by an
//   https.Agent with a `lookup` (pop-core passes opts.agent to Node's https.request).
// - Tea (@alicloud/vpc20160428): Config({protocol: 'https', ca: pem}); Tea takes no agent or
//   resolver, so vpc.aliyuncs.com is resolved by overriding dns.lookup in this process (what an
//   /etc/hosts line does for everyone); also 'localhost:PORT' with no override.
const { test, describe, before, beforeEach, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const dns = require('node:dns');
const fs = require('node:fs');
const https = require('node:https');
const { RPCClient } = require('@alicloud/pop-core');
const Vpc = require('@alicloud/vpc20160428');
const { $OpenApiUtil, ClientError } = require('@alicloud/openapi-core');
const lane = require('../lane');

const REAL_NAMES = ['vpc.aliyuncs.com', 'vpc.cn-hangzhou.aliyuncs.com'];

function tlsPort() {
  const url = process.env.NAT_EMULATOR_TLS_URL;
  if (!url) throw new Error('NAT_EMULATOR_TLS_URL is not set (run via scripts/sdk-lane)');
  return Number(new URL(url).port);
}

function caPem() {
  const path = process.env.NAT_EMULATOR_TLS_CA;
  if (!path) throw new Error('NAT_EMULATOR_TLS_CA is not set (run via scripts/sdk-lane)');
  return fs.readFileSync(path, 'utf8');
}

// `lookup` for net.connect: the given names → 127.0.0.1, others as usual.
function loopbackLookup(names) {
  return (host, opts, cb) => {
    if (typeof opts === 'function') [cb, opts] = [opts, {}];
    if (!names.includes(host)) return dns.lookup(host, opts, cb);
    if (opts && opts.all) return process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }]);
    return process.nextTick(cb, null, '127.0.0.1', 4);
  };
}

// The process-wide override Tea needs (it takes no resolver of its own).
let realLookup;
function overrideDns(names) {
  realLookup = dns.lookup;
  const lookup = loopbackLookup(names);
  dns.lookup = (host, opts, cb) => {
    if (typeof opts === 'function') [cb, opts] = [opts, {}];
    return names.includes(host) ? lookup(host, opts, cb) : realLookup.call(dns, host, opts, cb);
  };
}

before(() => overrideDns([...REAL_NAMES, 'example.com']));
beforeEach(() => lane.resetWorld()); // each test creates VPCs: stay within the per-region quota
after(() => {
  dns.lookup = realLookup;
});

describe('pop-core over HTTPS', () => {
  test('NODE_EXTRA_CA_CERTS names the emulator CA', () => {
    assert.ok(process.env.NODE_EXTRA_CA_CERTS, 'the lane starts node with NODE_EXTRA_CA_CERTS');
    assert.equal(fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8'), caPem());
  });

  for (const host of [...REAL_NAMES, 'localhost']) {
    for (const method of ['GET', 'POST']) {
      test(`${host} ${method}`, async () => {
        const client = new RPCClient({
          endpoint: `https://${host}:${tlsPort()}`, apiVersion: '2016-04-28', ...lane.ACCOUNT1,
        });
        const agent = new https.Agent({ keepAlive: true, lookup: loopbackLookup(REAL_NAMES) });
        const opts = () => ({ agent, ...(method === 'POST' ? { method: 'POST' } : {}) });
        const regions = await client.request('DescribeRegions', {}, opts());
        assert.deepEqual(new Set(regions.Regions.Region.map((r) => r.RegionId)), new Set(lane.REGIONS));
        const created = await client.request('CreateVpc', {
          RegionId: lane.REGION, VpcName: 'https-pop', ClientToken: crypto.randomUUID(),
        }, opts());
        const attr = await client.request('DescribeVpcAttribute', { RegionId: lane.REGION, VpcId: created.VpcId }, opts());
        assert.equal(attr.VpcName, 'https-pop');
        // An error names the host the client used (HostId), over TLS as over HTTP.
        let err;
        try {
          await client.request('DescribeVpcAttribute', { RegionId: lane.REGION, VpcId: lane.MISSING_VPC_ID }, opts());
        } catch (e) {
          err = e;
        }
        assert.ok(err && err.data, `expected an API error, got ${err}`);
        assert.equal(err.code, 'InvalidVpcId.NotFound');
        assert.equal(err.entry.response.statusCode, 404);
        assert.equal(err.data.HostId, `${host}:${tlsPort()}`);
        agent.destroy();
      });
    }
  }

  test('a per-call {ca} works too', async () => {
    const client = new RPCClient({ endpoint: `https://localhost:${tlsPort()}`, apiVersion: '2016-04-28', ...lane.ACCOUNT1 });
    const agent = new https.Agent({ keepAlive: false });
    const body = await client.request('DescribeRegions', {}, { agent, ca: caPem() });
    assert.ok(body.RequestId);
  });

  test('a wrong secret is refused over TLS', async () => {
    const client = new RPCClient({
      endpoint: `https://localhost:${tlsPort()}`, apiVersion: '2016-04-28',
      accessKeyId: lane.ACCOUNT1.accessKeyId, accessKeySecret: lane.WRONG_SECRET,
    });
    await assert.rejects(client.request('DescribeRegions', {}, {}), (e) => e.code === 'SignatureDoesNotMatch');
  });
});

describe('Tea over HTTPS', () => {
  function tea(host, variant, secret = lane.ACCOUNT1.accessKeySecret) {
    const config = new $OpenApiUtil.Config({
      accessKeyId: lane.ACCOUNT1.accessKeyId, accessKeySecret: secret, regionId: lane.REGION,
      endpoint: `${host}:${tlsPort()}`, protocol: 'https', ca: caPem(),
    });
    if (variant === 'v2') config.signatureAlgorithm = 'v2';
    return new Vpc.default(config);
  }

  for (const host of [...REAL_NAMES, 'localhost']) {
    for (const variant of ['acs3', 'v2']) {
      test(`${host} ${variant}`, async () => {
        const client = tea(host, variant);
        const regions = (await client.describeRegions(new Vpc.DescribeRegionsRequest({}))).body;
        assert.deepEqual(new Set(regions.regions.region.map((r) => r.regionId)), new Set(lane.REGIONS));
        const vpcId = (await client.createVpc(new Vpc.CreateVpcRequest({
          regionId: lane.REGION, vpcName: 'https-tea', clientToken: crypto.randomUUID(),
        }))).body.vpcId;
        const attr = (await client.describeVpcAttribute(new Vpc.DescribeVpcAttributeRequest({ regionId: lane.REGION, vpcId }))).body;
        assert.equal(attr.vpcName, 'https-tea');
        await assert.rejects(
          client.describeVpcAttribute(new Vpc.DescribeVpcAttributeRequest({ regionId: lane.REGION, vpcId: lane.MISSING_VPC_ID })),
          (e) => {
            assert.ok(e instanceof ClientError, `${e}`);
            assert.equal(e.code, 'InvalidVpcId.NotFound');
            assert.equal(e.statusCode, 404);
            assert.equal(e.data.HostId, `${host}:${tlsPort()}`);
            return true;
          },
        );
      });
    }
  }

  test('a wrong secret is refused over TLS', async () => {
    await assert.rejects(
      tea('vpc.aliyuncs.com', 'acs3', lane.WRONG_SECRET).describeRegions(new Vpc.DescribeRegionsRequest({})),
      (e) => e.code === 'SignatureDoesNotMatch',
    );
  });

  test('a name the certificate does not carry is refused', async () => {
    // example.com resolves to the emulator too; its certificate does not name it.
    await assert.rejects(
      tea('example.com', 'acs3').describeRegions(new Vpc.DescribeRegionsRequest({})),
      (e) => /altname|certificate|ERR_TLS/i.test(`${e.code} ${e.message}`),
    );
  });
});
