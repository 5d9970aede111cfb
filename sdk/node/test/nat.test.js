'use strict';
// NAT gateway lane: the lifecycle and the refusals through both Node clients (pop-core GET and
// POST, @alicloud/vpc20160428 ACS3 and v2), one test body per variant via lane.apiClient.
const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const lane = require('../lane');

const MISSING_NAT_ID = 'ngw-bp1sdklane00000000000';
const RT = 'ALIYUN::VPC::NATGATEWAY';

const tagRows = (reply) => reply.TagResources.TagResource
  .map((r) => [r.ResourceId, r.ResourceType, r.TagKey, r.TagValue]).sort();

before(lane.resetWorld);

for (const variant of lane.API_VARIANTS) {
  describe(`NAT gateways, ${variant}`, () => {
    test('lifecycle: create, Creating → Available, modify, tag, protect, delete, NotFound', async () => {
      const c = lane.apiClient(variant);
      const name = `sdk-nat-${variant.replace(' ', '-')}`;
      const [vpc, vsw] = await lane.defaultVSwitch(c);

      const created = await c.call('CreateNatGateway', {
        VpcId: vpc, VSwitchId: vsw, NatType: 'Enhanced', NetworkType: 'internet', Name: name, Description: lane.DESCRIPTION,
        ClientToken: crypto.randomUUID(),
      });
      const nat = created.NatGatewayId;
      const ftb = created.ForwardTableIds.ForwardTableId;
      const stb = created.SnatTableIds.SnatTableId;
      assert.ok(nat.startsWith('ngw-') && nat.length === 25, JSON.stringify(created));
      assert.ok(ftb.length === 1 && ftb[0].startsWith('ftb-') && stb.length === 1 && stb[0].startsWith('stb-'), JSON.stringify(created));

      const { value: gw, statuses } = await lane.waitNat(c, nat, 'Available');
      assert.equal(statuses[0], 'Creating', `${statuses}`);
      assert.ok(statuses.every((s) => s === 'Creating' || s === 'Available'), `${statuses}`);
      assert.deepEqual([gw.NatGatewayId, gw.VpcId, gw.RegionId, gw.Name, gw.Description], [nat, vpc, lane.REGION, name, lane.DESCRIPTION]);
      assert.deepEqual([gw.NatType, gw.NetworkType, gw.InstanceChargeType], ['Enhanced', 'internet', 'PostPaid']);
      assert.equal(gw.NatGatewayPrivateInfo.VswitchId, vsw);
      assert.ok(gw.NatGatewayPrivateInfo.PrivateIpAddress, JSON.stringify(gw));
      assert.deepEqual([gw.ForwardTableIds.ForwardTableId, gw.SnatTableIds.SnatTableId], [ftb, stb]);
      assert.deepEqual(gw.IpLists.IpList, []);
      assert.equal(gw.DeletionProtection, false);
      for (const flt of [{ VpcId: vpc }, { Name: name }, { Status: 'Available', VpcId: vpc }]) {
        const listed = (await c.call('DescribeNatGateways', flt)).NatGateways.NatGateway;
        assert.deepEqual(listed.map((g) => g.NatGatewayId), [nat], JSON.stringify(flt));
      }

      await c.call('ModifyNatGatewayAttribute', { NatGatewayId: nat, Name: `${name}-2`, Description: `changed by ${variant}` });
      let g = await lane.natGateway(c, nat);
      assert.deepEqual([g.Name, g.Description, g.Status], [`${name}-2`, `changed by ${variant}`, 'Available']);

      await c.call('TagResources', {
        ResourceType: 'NATGATEWAY', ResourceId: [nat], Tag: [{ Key: 'team', Value: 'net' }, { Key: 'env', Value: variant }],
      });
      const listed = await c.call('ListTagResources', { ResourceType: 'NATGATEWAY', ResourceId: [nat] });
      assert.deepEqual(tagRows(listed), [[nat, RT, 'env', variant], [nat, RT, 'team', 'net']]);
      assert.ok(!('NextToken' in listed), JSON.stringify(listed));
      const first = await c.call('ListTagResources', { ResourceType: 'NATGATEWAY', ResourceId: [nat], MaxResults: 1 });
      assert.ok(tagRows(first).length === 1 && first.NextToken, JSON.stringify(first));
      const second = await c.call('ListTagResources', { ResourceType: 'NATGATEWAY', ResourceId: [nat], MaxResults: 1, NextToken: first.NextToken });
      assert.ok(tagRows(second).length === 1 && !('NextToken' in second), JSON.stringify(second));
      assert.deepEqual([...tagRows(first), ...tagRows(second)].sort(), tagRows(listed));
      g = await lane.natGateway(c, nat);
      assert.deepEqual(g.Tags.Tag.map((t) => [t.TagKey, t.TagValue]).sort(), [['env', variant], ['team', 'net']]);

      const attr = await c.call('GetNatGatewayAttribute', { NatGatewayId: nat });
      assert.deepEqual([attr.NatGatewayId, attr.VpcId, attr.Name, attr.Status], [nat, vpc, `${name}-2`, 'Available']);
      assert.equal(attr.PrivateInfo.VswitchId, vsw);
      assert.deepEqual([attr.ForwardTable.ForwardTableId, attr.SnatTable.SnatTableId], [ftb[0], stb[0]]);
      assert.equal(attr.DeletionProtectionInfo.Enabled, false);
      assert.deepEqual(attr.IpList, []);

      await c.call('DeletionProtection', { InstanceId: nat, ProtectionEnable: true, Type: 'NATGW' });
      assert.equal((await lane.natGateway(c, nat)).DeletionProtection, true);
      assert.equal((await c.call('GetNatGatewayAttribute', { NatGatewayId: nat })).DeletionProtectionInfo.Enabled, true);
      await lane.expectApiError(() => c.call('DeleteNatGateway', { NatGatewayId: nat }), 400, 'InvalidOperation.DeletionProtection');
      assert.equal((await lane.natGateway(c, nat)).Status, 'Available');

      await c.call('DeletionProtection', { InstanceId: nat, ProtectionEnable: false, Type: 'NATGW' });
      await c.call('DeleteNatGateway', { NatGatewayId: nat });
      const gone = await lane.waitNat(c, nat, null);
      assert.equal(gone.statuses[0], 'Deleting', `${gone.statuses}`);
      assert.ok(gone.statuses.every((s) => s === 'Deleting' || s === null), `${gone.statuses}`);
      await lane.expectApiError(() => c.call('GetNatGatewayAttribute', { NatGatewayId: nat }), 404, 'InvalidNatGatewayId.NotFound');
    });

    test('unknown NatGatewayId: 404 InvalidNatGatewayId.NotFound; DescribeNatGateways lists nothing', async () => {
      const c = lane.apiClient(variant);
      for (const [action, extra] of [['GetNatGatewayAttribute', {}], ['DeleteNatGateway', {}],
        ['ModifyNatGatewayAttribute', { Name: 'renamed' }], ['ModifyNatGatewaySpec', { Spec: 'Middle' }]]) {
        await lane.expectApiError(() => c.call(action, { NatGatewayId: MISSING_NAT_ID, ...extra }), 404, 'InvalidNatGatewayId.NotFound');
      }
      const body = await c.call('DescribeNatGateways', { NatGatewayId: MISSING_NAT_ID });
      assert.deepEqual([body.NatGateways.NatGateway, body.TotalCount], [[], 0]);
    });

    test('ModifyNatGatewaySpec: the same spec is refused, another goes Modifying → Available', async () => {
      const c = lane.apiClient(variant);
      const [vpc, vsw] = await lane.defaultVSwitch(c);
      const nat = (await lane.createAvailableNat(c, vpc, vsw, { Spec: 'Small' })).NatGatewayId;
      const before = await lane.natGateway(c, nat);
      assert.deepEqual([before.Spec, before.InternetChargeType], ['Small', 'PayBySpec']);
      await lane.expectApiError(() => c.call('ModifyNatGatewaySpec', { NatGatewayId: nat, Spec: 'Small' }), 400, 'NATGW_MODIFY_SPEC_SAME');
      assert.deepEqual(await lane.natGateway(c, nat), before);
      await c.call('ModifyNatGatewaySpec', { NatGatewayId: nat, Spec: 'Middle' });
      const { value, statuses } = await lane.waitNat(c, nat, 'Available');
      assert.equal(statuses[0], 'Modifying', `${statuses}`);
      assert.equal(value.Spec, 'Middle');
      await c.call('DeleteNatGateway', { NatGatewayId: nat });
      await lane.waitNat(c, nat, null);
    });

    test('quota: a sixth gateway in a VPC is refused (OperationFailed.EnhancedQuotaExceed)', async () => {
      // A VPC of its own, so that the default VPC stays usable.
      const c = lane.apiClient(variant);
      const vpc = (await c.call('CreateVpc', { CidrBlock: '10.0.0.0/16', VpcName: 'sdk-nat-quota' })).VpcId;
      await lane.poll(() => c.call('DescribeVpcAttribute', { VpcId: vpc }), (b) => b.Status === 'Available', `VPC ${vpc} Available`);
      const zone = (await c.call('DescribeZones')).Zones.Zone[0].ZoneId;
      const vsw = (await c.call('CreateVSwitch', { VpcId: vpc, ZoneId: zone, CidrBlock: '10.0.1.0/24' })).VSwitchId;
      await lane.poll(() => c.call('DescribeVSwitchAttributes', { VSwitchId: vsw }), (b) => b.Status === 'Available', `vSwitch ${vsw} Available`);
      const ids = new Set();
      for (let i = 0; i < 5; i++) ids.add((await c.call('CreateNatGateway', { VpcId: vpc, VSwitchId: vsw, NatType: 'Enhanced' })).NatGatewayId);
      assert.equal(ids.size, 5);
      await lane.expectApiError(() => c.call('CreateNatGateway', { VpcId: vpc, VSwitchId: vsw, NatType: 'Enhanced' }), 400,
        'OperationFailed.EnhancedQuotaExceed');
      const body = await c.call('DescribeNatGateways', { VpcId: vpc });
      assert.equal(body.TotalCount, 5);
      assert.deepEqual(new Set(body.NatGateways.NatGateway.map((g) => g.NatGatewayId)), ids);
    });
  });
}
