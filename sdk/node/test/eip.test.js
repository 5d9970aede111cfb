'use strict';
// EIP lane: allocate → associate with a NAT gateway → InUse → the gateway lists it → unassociate →
// release, and the binding refusals, through both Node clients (pop-core GET and POST,
// @alicloud/vpc20160428 ACS3 and v2) via lane.apiClient.
const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const lane = require('../lane');

const MISSING_EIP_ID = 'eip-bp1sdklane00000000000';
const MISSING_NAT_ID = 'ngw-bp1sdklane00000000000';

const ipList = (items) => items.map((i) => [i.AllocationId, i.IpAddress, i.UsingStatus]);

async function gatewayAndEip(c, name) {
  const [vpc, vsw] = await lane.defaultVSwitch(c);
  const nat = (await lane.createAvailableNat(c, vpc, vsw, { Name: name })).NatGatewayId;
  const allocated = await c.call('AllocateEipAddress', { Name: name, Bandwidth: '5' });
  assert.ok(allocated.AllocationId.startsWith('eip-') && net.isIPv4(allocated.EipAddress), JSON.stringify(allocated));
  return [nat, allocated.AllocationId, allocated.EipAddress];
}

before(lane.resetWorld);

for (const variant of lane.API_VARIANTS) {
  describe(`EIPs, ${variant}`, () => {
    test('lifecycle: allocate, associate, InUse, the gateway lists it, unassociate, release', async () => {
      const c = lane.apiClient(variant);
      const [nat, alloc, ip] = await gatewayAndEip(c, `sdk-eip-${variant.replace(' ', '-')}`);
      let e = await lane.eip(c, alloc);
      assert.deepEqual([e.Status, e.IpAddress, e.InstanceId, e.RegionId], ['Available', ip, '', lane.REGION]);

      await c.call('AssociateEipAddress', { AllocationId: alloc, InstanceId: nat, InstanceType: 'Nat' });
      let w = await lane.waitEip(c, alloc, 'InUse');
      assert.equal(w.statuses[0], 'Associating', `${w.statuses}`);
      assert.ok(w.statuses.every((s) => s === 'Associating' || s === 'InUse'), `${w.statuses}`);
      assert.deepEqual([w.value.InstanceId, w.value.InstanceType], [nat, 'Nat']);
      const bound = await c.call('DescribeEipAddresses', { AssociatedInstanceType: 'Nat', AssociatedInstanceId: nat });
      assert.deepEqual(bound.EipAddresses.EipAddress.map((x) => x.AllocationId), [alloc]);

      assert.deepEqual(ipList((await lane.natGateway(c, nat)).IpLists.IpList), [[alloc, ip, 'idle']]);
      assert.deepEqual(ipList((await c.call('GetNatGatewayAttribute', { NatGatewayId: nat })).IpList), [[alloc, ip, 'idle']]);

      await lane.expectApiError(() => c.call('DeleteNatGateway', { NatGatewayId: nat }), 400, 'DependencyViolation.EIPS');
      assert.equal((await lane.natGateway(c, nat)).Status, 'Available');

      await c.call('UnassociateEipAddress', { AllocationId: alloc, InstanceId: nat, InstanceType: 'Nat' });
      w = await lane.waitEip(c, alloc, 'Available');
      assert.equal(w.statuses[0], 'Unassociating', `${w.statuses}`);
      assert.ok(w.statuses.every((s) => s === 'Unassociating' || s === 'Available'), `${w.statuses}`);
      assert.equal(w.value.InstanceId, '');
      assert.deepEqual((await lane.natGateway(c, nat)).IpLists.IpList, []);

      await c.call('ReleaseEipAddress', { AllocationId: alloc });
      const body = await c.call('DescribeEipAddresses', { AllocationId: alloc });
      assert.deepEqual([body.EipAddresses.EipAddress, body.TotalCount], [[], 0]);

      await c.call('DeleteNatGateway', { NatGatewayId: nat });
      await lane.waitNat(c, nat, null);
    });

    test('refusals: unknown ids, associating twice, releasing an InUse EIP; Force=true delete unbinds', async () => {
      const c = lane.apiClient(variant);
      const [nat, alloc] = await gatewayAndEip(c, 'sdk-eip-refusals');
      await lane.expectApiError(() => c.call('AssociateEipAddress', { AllocationId: alloc, InstanceId: MISSING_NAT_ID, InstanceType: 'Nat' }),
        404, 'InvalidInstanId.NotFound');
      await lane.expectApiError(() => c.call('ReleaseEipAddress', { AllocationId: MISSING_EIP_ID }), 404, 'InvalidAllocationId.NotFound');

      const associate = () => c.call('AssociateEipAddress', { AllocationId: alloc, InstanceId: nat, InstanceType: 'Nat' });
      await associate();
      await lane.expectApiError(associate, 400, 'InvalidAssociation.Duplicated');
      const before = (await lane.waitEip(c, alloc, 'InUse')).value;
      await lane.expectApiError(associate, 400, 'InvalidAssociation.Duplicated');
      await lane.expectApiError(() => c.call('ReleaseEipAddress', { AllocationId: alloc }), 400, 'IncorrectEipStatus');
      assert.deepEqual(await lane.eip(c, alloc), before);

      await c.call('DeleteNatGateway', { NatGatewayId: nat, Force: true });
      await lane.waitNat(c, nat, null);
      const e = await lane.eip(c, alloc);
      assert.deepEqual([e.Status, e.InstanceId], ['Available', '']);
      await c.call('ReleaseEipAddress', { AllocationId: alloc });
    });
  });
}
