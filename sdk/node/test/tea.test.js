'use strict';
// node-tea lane: @alicloud/vpc20160428 typed client (Tea/Darabonba),
// default ACS3-HMAC-SHA256 and signatureAlgorithm: 'v2' (RPC v1).
// Responses are checked through the SDK's typed models (camelCase).
const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const Vpc = require('@alicloud/vpc20160428');
const { $OpenApiUtil, ClientError } = require('@alicloud/openapi-core');
const lane = require('../lane');

const Client = Vpc.default;
const VARIANTS = ['acs3', 'v2'];

class Tea {
  constructor(variant, account = lane.ACCOUNT1, region = lane.REGION) {
    this.region = region;
    const config = new $OpenApiUtil.Config({
      accessKeyId: account.accessKeyId,
      accessKeySecret: account.accessKeySecret,
      endpoint: lane.emulatorHostPort(),
      protocol: 'http',
      regionId: region,
    });
    if (variant === 'v2') config.signatureAlgorithm = 'v2';
    this.client = new Client(config);
  }

  // client[method](new Vpc[Request](fields)); RegionId defaults to the client's region
  // (DescribeRegions is sent without one). Returns the typed body.
  async call(method, requestClass, fields = {}) {
    const req = new Vpc[requestClass](fields);
    if (requestClass !== 'DescribeRegionsRequest' && req.regionId === undefined) req.regionId = this.region;
    const resp = await this.client[method](req);
    assert.equal(resp.statusCode, 200);
    assert.ok(resp.body && resp.body.requestId, `${method}: no typed body / RequestId`);
    return resp.body;
  }
}

async function expectError(fn, status, codes) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected HTTP ${status} ${codes}, but the call succeeded`);
  assert.ok(err instanceof ClientError, `expected ClientError, got ${err && err.stack}`);
  const ok = typeof codes === 'function' ? codes(err.code) : codes.includes(err.code);
  assert.ok(err.statusCode === status && ok,
    `expected HTTP ${status} ${codes}, got ${JSON.stringify([err.statusCode, err.code])}: ${err.message}`);
  assert.ok(err.requestId, `error without RequestId: ${err.message}`);
  return err;
}

async function waitAvailable(fetchFn, what) {
  const { value, seen } = await lane.poll(fetchFn, (b) => b.status === 'Available', what);
  return { value, statuses: seen.map((b) => b.status) };
}
const waitVpc = (t, id) => waitAvailable(() => t.call('describeVpcAttribute', 'DescribeVpcAttributeRequest', { vpcId: id }), `VPC ${id} Available`);
const waitVsw = (t, id) => waitAvailable(() => t.call('describeVSwitchAttributes', 'DescribeVSwitchAttributesRequest', { vSwitchId: id }), `vSwitch ${id} Available`);

async function zones(t, region = lane.REGION) {
  const body = await t.call('describeZones', 'DescribeZonesRequest', { regionId: region });
  return body.zones.zone.map((z) => z.zoneId);
}

function assertPendingThenAvailable(statuses) {
  assert.equal(statuses[0], 'Pending', `first status: ${statuses}`);
  assert.ok(statuses.every((s) => s === 'Pending' || s === 'Available'), `statuses: ${statuses}`);
}

before(lane.resetWorld);

for (const variant of VARIANTS) {
  describe(`node-tea ${variant}`, () => {
    test('lifecycle', async () => {
      const t = new Tea(variant);
      const name = `sdk-nodetea-${variant}`;

      let body = await t.call('describeRegions', 'DescribeRegionsRequest');
      const regionIds = body.regions.region.map((r) => r.regionId);
      for (const r of lane.REGIONS) assert.ok(regionIds.includes(r), `${r} missing from ${regionIds}`);
      for (const r of body.regions.region) assert.ok(r.localName && r.regionEndpoint, JSON.stringify(r));

      for (const region of lane.ZONE_REGIONS) {
        const zs = await zones(t, region);
        assert.ok(zs.length >= 2 && zs.every((z) => z.startsWith(region) && z.length > region.length), `${region}: ${zs}`);
      }
      const [zone, otherZone] = await zones(t);

      body = await t.call('describeVpcs', 'DescribeVpcsRequest', { isDefault: true });
      assert.equal(body.vpcs.vpc.length, 1, JSON.stringify(body));
      assert.equal(body.totalCount, 1);
      const def = body.vpcs.vpc[0];
      assert.ok(def.isDefault === true && def.status === 'Available', JSON.stringify(def));
      assert.ok(def.vpcId.startsWith('vpc-') && def.regionId === lane.REGION, JSON.stringify(def));
      body = await t.call('describeVSwitches', 'DescribeVSwitchesRequest', { vpcId: def.vpcId });
      assert.ok(new Set(body.vSwitches.vSwitch.map((v) => v.zoneId)).size >= 2, JSON.stringify(body));

      const create = { cidrBlock: '192.168.0.0/16', vpcName: name, description: lane.DESCRIPTION, clientToken: crypto.randomUUID() };
      body = await t.call('createVpc', 'CreateVpcRequest', create);
      const vpcId = body.vpcId;
      assert.ok(vpcId.startsWith('vpc-') && body.VRouterId && body.routeTableId, JSON.stringify(body));
      // the same ClientToken again: the original VPC, not a new one
      assert.equal((await t.call('createVpc', 'CreateVpcRequest', create)).vpcId, vpcId);
      const vpc = await waitVpc(t, vpcId);
      assertPendingThenAvailable(vpc.statuses);
      const v = vpc.value;
      assert.deepEqual([v.vpcId, v.vpcName, v.cidrBlock, v.regionId, v.description, v.isDefault],
        [vpcId, name, '192.168.0.0/16', lane.REGION, lane.DESCRIPTION, false]);

      for (const flt of [{ vpcId }, { vpcName: name }]) {
        body = await t.call('describeVpcs', 'DescribeVpcsRequest', flt);
        assert.deepEqual(body.vpcs.vpc.map((x) => x.vpcId), [vpcId], JSON.stringify(flt));
        assert.equal(body.totalCount, 1);
      }

      body = await t.call('createVSwitch', 'CreateVSwitchRequest', {
        vpcId, zoneId: zone, cidrBlock: '192.168.1.0/24', vSwitchName: `${name}-vsw`,
      });
      const vswId = body.vSwitchId;
      assert.ok(vswId.startsWith('vsw-'), JSON.stringify(body));
      const vsw = await waitVsw(t, vswId);
      assertPendingThenAvailable(vsw.statuses);
      const s = vsw.value;
      assert.deepEqual([s.vSwitchId, s.vpcId, s.zoneId, s.cidrBlock, s.vSwitchName],
        [vswId, vpcId, zone, '192.168.1.0/24', `${name}-vsw`]);

      body = await t.call('describeVSwitches', 'DescribeVSwitchesRequest', { vpcId });
      assert.deepEqual(body.vSwitches.vSwitch.map((x) => x.vSwitchId), [vswId]);
      assert.equal(body.totalCount, 1);
      for (const [flt, expected] of [[{ vSwitchId: vswId }, [vswId]], [{ vpcId, zoneId: zone }, [vswId]],
        [{ vpcId, zoneId: otherZone }, []]]) {
        body = await t.call('describeVSwitches', 'DescribeVSwitchesRequest', flt);
        assert.deepEqual(body.vSwitches.vSwitch.map((x) => x.vSwitchId), expected, JSON.stringify(flt));
      }
      body = await t.call('describeVpcAttribute', 'DescribeVpcAttributeRequest', { vpcId });
      assert.deepEqual(body.vSwitchIds.vSwitchId, [vswId]);

      await t.call('deleteVSwitch', 'DeleteVSwitchRequest', { vSwitchId: vswId });
      await lane.poll(() => t.call('describeVSwitches', 'DescribeVSwitchesRequest', { vpcId }),
        (b) => b.vSwitches.vSwitch.length === 0, `vSwitch ${vswId} gone`);
      await t.call('deleteVpc', 'DeleteVpcRequest', { vpcId });
      await expectError(() => t.call('describeVpcAttribute', 'DescribeVpcAttributeRequest', { vpcId }), 404, ['InvalidVpcId.NotFound']);
    });

    test('wrong secret', async () => {
      const t = new Tea(variant, { accessKeyId: lane.ACCOUNT1.accessKeyId, accessKeySecret: lane.WRONG_SECRET });
      await expectError(() => t.call('describeVpcs', 'DescribeVpcsRequest'), 400, ['SignatureDoesNotMatch']);
    });

    test('unknown VpcId', async () => {
      const t = new Tea(variant);
      await expectError(() => t.call('describeVpcAttribute', 'DescribeVpcAttributeRequest', { vpcId: lane.MISSING_VPC_ID }),
        404, ['InvalidVpcId.NotFound']);
    });

    test('vSwitch refusals: CIDR outside VPC, overlapping CIDR, DeleteVpc with a vSwitch', async () => {
      const t = new Tea(variant);
      const vpcId = (await t.call('createVpc', 'CreateVpcRequest', { cidrBlock: '10.0.0.0/16', vpcName: 'sdk-nodetea-dep' })).vpcId;
      await waitVpc(t, vpcId);
      const zone = (await zones(t))[0];
      await expectError(() => t.call('createVSwitch', 'CreateVSwitchRequest', { vpcId, zoneId: zone, cidrBlock: '172.31.0.0/24' }),
        400, lane.cidrCode);
      const vswId = (await t.call('createVSwitch', 'CreateVSwitchRequest', { vpcId, zoneId: zone, cidrBlock: '10.0.5.0/24' })).vSwitchId;
      await waitVsw(t, vswId);
      await expectError(() => t.call('createVSwitch', 'CreateVSwitchRequest', { vpcId, zoneId: zone, cidrBlock: '10.0.5.128/25' }),
        400, ['InvalidCidrBlock.Overlapped']);
      await expectError(() => t.call('deleteVpc', 'DeleteVpcRequest', { vpcId }), 400, ['DependencyViolation.VSwitch']);
      assert.equal((await t.call('describeVpcAttribute', 'DescribeVpcAttributeRequest', { vpcId })).vpcId, vpcId);
      await t.call('deleteVSwitch', 'DeleteVSwitchRequest', { vSwitchId: vswId });
    });

    test('DryRun and paging', async () => {
      const t = new Tea(variant, lane.ACCOUNT1, lane.PAGING_REGION);
      const before = (await t.call('describeVpcs', 'DescribeVpcsRequest')).totalCount;
      await expectError(() => t.call('createVpc', 'CreateVpcRequest', { cidrBlock: '10.9.0.0/16', vpcName: 'sdk-nodetea-dry', dryRun: true }),
        400, ['DryRunOperation']);
      assert.equal((await t.call('describeVpcs', 'DescribeVpcsRequest')).totalCount, before);
      for (const i of [0, 1]) await t.call('createVpc', 'CreateVpcRequest', { cidrBlock: `10.${20 + i}.0.0/16`, vpcName: `sdk-nodetea-page-${i}` });
      const total = (await t.call('describeVpcs', 'DescribeVpcsRequest')).totalCount;
      assert.ok(total === before + 2 && total >= 3, `${total}`);
      const seen = [];
      for (let page = 1; page <= total; page++) {
        const body = await t.call('describeVpcs', 'DescribeVpcsRequest', { pageSize: 1, pageNumber: page });
        assert.deepEqual([body.pageNumber, body.pageSize, body.totalCount, body.vpcs.vpc.length], [page, 1, total, 1]);
        seen.push(body.vpcs.vpc[0].vpcId);
      }
      assert.equal(new Set(seen).size, total);
      const body = await t.call('describeVpcs', 'DescribeVpcsRequest', { pageSize: 1, pageNumber: total + 1 });
      assert.deepEqual([body.vpcs.vpc, body.totalCount], [[], total]);
    });

    test('second account cannot see the first account\'s VPCs', async () => {
      const t1 = new Tea(variant);
      const t2 = new Tea(variant, lane.ACCOUNT2);
      const vpcId = (await t1.call('createVpc', 'CreateVpcRequest', { cidrBlock: '10.1.0.0/16', vpcName: 'sdk-nodetea-private' })).vpcId;
      const default1 = (await t1.call('describeVpcs', 'DescribeVpcsRequest', { isDefault: true })).vpcs.vpc[0].vpcId;

      const body = await t2.call('describeVpcs', 'DescribeVpcsRequest', { vpcId });
      assert.deepEqual(body.vpcs.vpc, []);
      assert.equal(body.totalCount, 0);
      const listed = (await t2.call('describeVpcs', 'DescribeVpcsRequest', { pageSize: 50 })).vpcs.vpc.map((x) => x.vpcId);
      assert.ok(!listed.includes(vpcId) && !listed.includes(default1), `${listed}`);
      for (const other of [vpcId, default1]) {
        await expectError(() => t2.call('describeVpcAttribute', 'DescribeVpcAttributeRequest', { vpcId: other }), 404, ['InvalidVpcId.NotFound']);
      }
      const mine = (await t2.call('describeVpcs', 'DescribeVpcsRequest', { isDefault: true })).vpcs.vpc;
      assert.ok(mine.length === 1 && mine[0].vpcId !== default1, JSON.stringify(mine));
    });
  });
}
