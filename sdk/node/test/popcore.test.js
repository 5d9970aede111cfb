'use strict';
// pop-core lane: @alicloud/pop-core RPCClient, GET (default) and POST ({method: 'POST'}).
// pop-core ignores the HTTP status and throws whenever the body has a Code;
// the status is still visible as err.entry.response.statusCode.
const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { RPCClient } = require('@alicloud/pop-core');
const lane = require('../lane');

const VARIANTS = ['GET', 'POST'];

class Pop {
  constructor(method, account = lane.ACCOUNT1, region = lane.REGION) {
    this.method = method;
    this.region = region;
    this.client = new RPCClient({
      endpoint: lane.emulatorUrl(),
      apiVersion: '2016-04-28',
      accessKeyId: account.accessKeyId,
      accessKeySecret: account.accessKeySecret,
    });
  }

  // RegionId is added unless given (DescribeRegions is sent without one).
  call(action, params = {}) {
    const p = action === 'DescribeRegions' || 'RegionId' in params ? params : { RegionId: this.region, ...params };
    return this.client.request(action, p, this.method === 'POST' ? { method: 'POST' } : {});
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
  assert.ok(err.data && err.entry, `not an API error: ${err && err.stack}`);
  const got = [err.entry.response.statusCode, err.code];
  const ok = typeof codes === 'function' ? codes(err.code) : codes.includes(err.code);
  assert.ok(got[0] === status && ok, `expected HTTP ${status} ${codes}, got ${JSON.stringify(got)}: ${err.message}`);
  assert.equal(err.name, `${err.code}Error`);
  assert.ok(err.data.RequestId, `error without RequestId: ${JSON.stringify(err.data)}`);
  return err;
}

async function waitAvailable(fetchFn, what) {
  const { value, seen } = await lane.poll(fetchFn, (b) => b.Status === 'Available', what);
  return { value, statuses: seen.map((b) => b.Status) };
}
const waitVpc = (c, id) => waitAvailable(() => c.call('DescribeVpcAttribute', { VpcId: id }), `VPC ${id} Available`);
const waitVsw = (c, id) => waitAvailable(() => c.call('DescribeVSwitchAttributes', { VSwitchId: id }), `vSwitch ${id} Available`);

async function zones(c, region = lane.REGION) {
  const body = await c.call('DescribeZones', { RegionId: region });
  return body.Zones.Zone.map((z) => z.ZoneId);
}

function assertPendingThenAvailable(statuses) {
  assert.equal(statuses[0], 'Pending', `first status: ${statuses}`);
  assert.ok(statuses.every((s) => s === 'Pending' || s === 'Available'), `statuses: ${statuses}`);
}

before(lane.resetWorld);

for (const method of VARIANTS) {
  describe(`pop-core ${method}`, () => {
    test('lifecycle', async () => {
      const c = new Pop(method);
      const name = `sdk-popcore-${method.toLowerCase()}`;

      let body = await c.call('DescribeRegions');
      const regionIds = body.Regions.Region.map((r) => r.RegionId);
      for (const r of lane.REGIONS) assert.ok(regionIds.includes(r), `${r} missing from ${regionIds}`);
      for (const r of body.Regions.Region) assert.ok(r.LocalName && r.RegionEndpoint, JSON.stringify(r));

      for (const region of lane.ZONE_REGIONS) {
        const zs = await zones(c, region);
        assert.ok(zs.length >= 2 && zs.every((z) => z.startsWith(region) && z.length > region.length), `${region}: ${zs}`);
      }
      const [zone, otherZone] = await zones(c);

      body = await c.call('DescribeVpcs', { IsDefault: true });
      assert.equal(body.Vpcs.Vpc.length, 1, JSON.stringify(body));
      assert.equal(body.TotalCount, 1);
      const def = body.Vpcs.Vpc[0];
      assert.ok(def.IsDefault === true && def.Status === 'Available', JSON.stringify(def));
      assert.ok(def.VpcId.startsWith('vpc-') && def.RegionId === lane.REGION, JSON.stringify(def));
      body = await c.call('DescribeVSwitches', { VpcId: def.VpcId });
      assert.ok(new Set(body.VSwitches.VSwitch.map((v) => v.ZoneId)).size >= 2, JSON.stringify(body));

      const create = { CidrBlock: '192.168.0.0/16', VpcName: name, Description: lane.DESCRIPTION, ClientToken: crypto.randomUUID() };
      body = await c.call('CreateVpc', create);
      const vpcId = body.VpcId;
      assert.ok(vpcId.startsWith('vpc-') && body.VRouterId && body.RouteTableId, JSON.stringify(body));
      // the same ClientToken again: the original VPC, not a new one
      assert.equal((await c.call('CreateVpc', create)).VpcId, vpcId);
      const vpc = await waitVpc(c, vpcId);
      assertPendingThenAvailable(vpc.statuses);
      assert.deepEqual(
        [vpc.value.VpcId, vpc.value.VpcName, vpc.value.CidrBlock, vpc.value.RegionId, vpc.value.Description, vpc.value.IsDefault],
        [vpcId, name, '192.168.0.0/16', lane.REGION, lane.DESCRIPTION, false],
      );

      for (const flt of [{ VpcId: vpcId }, { VpcName: name }]) {
        body = await c.call('DescribeVpcs', flt);
        assert.deepEqual(body.Vpcs.Vpc.map((v) => v.VpcId), [vpcId], JSON.stringify(flt));
        assert.equal(body.TotalCount, 1);
      }

      body = await c.call('CreateVSwitch', { VpcId: vpcId, ZoneId: zone, CidrBlock: '192.168.1.0/24', VSwitchName: `${name}-vsw` });
      const vswId = body.VSwitchId;
      assert.ok(vswId.startsWith('vsw-'), JSON.stringify(body));
      const vsw = await waitVsw(c, vswId);
      assertPendingThenAvailable(vsw.statuses);
      assert.deepEqual(
        [vsw.value.VSwitchId, vsw.value.VpcId, vsw.value.ZoneId, vsw.value.CidrBlock, vsw.value.VSwitchName],
        [vswId, vpcId, zone, '192.168.1.0/24', `${name}-vsw`],
      );

      body = await c.call('DescribeVSwitches', { VpcId: vpcId });
      assert.deepEqual(body.VSwitches.VSwitch.map((v) => v.VSwitchId), [vswId]);
      assert.equal(body.TotalCount, 1);
      for (const [flt, expected] of [[{ VSwitchId: vswId }, [vswId]], [{ VpcId: vpcId, ZoneId: zone }, [vswId]],
        [{ VpcId: vpcId, ZoneId: otherZone }, []]]) {
        body = await c.call('DescribeVSwitches', flt);
        assert.deepEqual(body.VSwitches.VSwitch.map((v) => v.VSwitchId), expected, JSON.stringify(flt));
      }
      body = await c.call('DescribeVpcAttribute', { VpcId: vpcId });
      assert.deepEqual(body.VSwitchIds.VSwitchId, [vswId]);

      assert.ok((await c.call('DeleteVSwitch', { VSwitchId: vswId })).RequestId);
      await lane.poll(() => c.call('DescribeVSwitches', { VpcId: vpcId }), (b) => b.VSwitches.VSwitch.length === 0, `vSwitch ${vswId} gone`);
      assert.ok((await c.call('DeleteVpc', { VpcId: vpcId })).RequestId);
      await expectError(() => c.call('DescribeVpcAttribute', { VpcId: vpcId }), 404, ['InvalidVpcId.NotFound']);
    });

    test('wrong secret', async () => {
      const c = new Pop(method, { accessKeyId: lane.ACCOUNT1.accessKeyId, accessKeySecret: lane.WRONG_SECRET });
      await expectError(() => c.call('DescribeVpcs'), 400, ['SignatureDoesNotMatch']);
    });

    test('unknown VpcId', async () => {
      const c = new Pop(method);
      await expectError(() => c.call('DescribeVpcAttribute', { VpcId: lane.MISSING_VPC_ID }), 404, ['InvalidVpcId.NotFound']);
    });

    test('vSwitch refusals: CIDR outside VPC, overlapping CIDR, DeleteVpc with a vSwitch', async () => {
      const c = new Pop(method);
      const vpcId = (await c.call('CreateVpc', { CidrBlock: '10.0.0.0/16', VpcName: 'sdk-popcore-dep' })).VpcId;
      await waitVpc(c, vpcId);
      const zone = (await zones(c))[0];
      await expectError(() => c.call('CreateVSwitch', { VpcId: vpcId, ZoneId: zone, CidrBlock: '172.31.0.0/24' }), 400, lane.cidrCode);
      const vswId = (await c.call('CreateVSwitch', { VpcId: vpcId, ZoneId: zone, CidrBlock: '10.0.5.0/24' })).VSwitchId;
      await waitVsw(c, vswId);
      await expectError(() => c.call('CreateVSwitch', { VpcId: vpcId, ZoneId: zone, CidrBlock: '10.0.5.128/25' }), 400, ['InvalidCidrBlock.Overlapped']);
      await expectError(() => c.call('DeleteVpc', { VpcId: vpcId }), 400, ['DependencyViolation.VSwitch']);
      assert.equal((await c.call('DescribeVpcAttribute', { VpcId: vpcId })).VpcId, vpcId);
      await c.call('DeleteVSwitch', { VSwitchId: vswId });
    });

    test('DryRun and paging', async () => {
      const c = new Pop(method, lane.ACCOUNT1, lane.PAGING_REGION);
      const before = (await c.call('DescribeVpcs')).TotalCount;
      await expectError(() => c.call('CreateVpc', { CidrBlock: '10.9.0.0/16', VpcName: 'sdk-popcore-dry', DryRun: true }),
        400, ['DryRunOperation']);
      assert.equal((await c.call('DescribeVpcs')).TotalCount, before);
      for (const i of [0, 1]) await c.call('CreateVpc', { CidrBlock: `10.${20 + i}.0.0/16`, VpcName: `sdk-popcore-page-${i}` });
      const total = (await c.call('DescribeVpcs')).TotalCount;
      assert.ok(total === before + 2 && total >= 3, `${total}`);
      const seen = [];
      for (let page = 1; page <= total; page++) {
        const body = await c.call('DescribeVpcs', { PageSize: 1, PageNumber: page });
        assert.deepEqual([body.PageNumber, body.PageSize, body.TotalCount, body.Vpcs.Vpc.length], [page, 1, total, 1]);
        seen.push(body.Vpcs.Vpc[0].VpcId);
      }
      assert.equal(new Set(seen).size, total);
      const body = await c.call('DescribeVpcs', { PageSize: 1, PageNumber: total + 1 });
      assert.deepEqual([body.Vpcs.Vpc, body.TotalCount], [[], total]);
    });

    test('second account cannot see the first account\'s VPCs', async () => {
      const c1 = new Pop(method);
      const c2 = new Pop(method, lane.ACCOUNT2);
      const vpcId = (await c1.call('CreateVpc', { CidrBlock: '10.1.0.0/16', VpcName: 'sdk-popcore-private' })).VpcId;
      const default1 = (await c1.call('DescribeVpcs', { IsDefault: true })).Vpcs.Vpc[0].VpcId;

      const body = await c2.call('DescribeVpcs', { VpcId: vpcId });
      assert.deepEqual(body.Vpcs.Vpc, []);
      assert.equal(body.TotalCount, 0);
      const listed = (await c2.call('DescribeVpcs', { PageSize: 50 })).Vpcs.Vpc.map((v) => v.VpcId);
      assert.ok(!listed.includes(vpcId) && !listed.includes(default1), `${listed}`);
      for (const other of [vpcId, default1]) {
        await expectError(() => c2.call('DescribeVpcAttribute', { VpcId: other }), 404, ['InvalidVpcId.NotFound']);
      }
      const mine = (await c2.call('DescribeVpcs', { IsDefault: true })).Vpcs.Vpc;
      assert.ok(mine.length === 1 && mine[0].VpcId !== default1, JSON.stringify(mine));
    });
  });
}
