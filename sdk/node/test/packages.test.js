'use strict';
// Legacy NAT bandwidth packages through @alicloud/pop-core's generic `request` (GET and
// {method: 'POST'}); no current typed Node SDK has these actions (WIRE.md). One test body per
// variant via lane.apiClient('pop-core GET' | 'pop-core POST'), which passes params as given.
const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const lane = require('../lane');

const VARIANTS = ['pop-core GET', 'pop-core POST'];

before(lane.resetWorld);

async function packages(c, flt = {}) {
  const r = await c.call('DescribeBandwidthPackages', flt);
  const items = r.BandwidthPackages.BandwidthPackage;
  if (!('PageSize' in flt)) assert.equal(r.TotalCount, items.length, JSON.stringify(r));
  return items;
}

async function pkg(c, id) {
  const items = await packages(c, { BandwidthPackageId: id });
  assert.equal(items.length, 1, JSON.stringify(items));
  return items[0];
}

// [[AllocationId, IpAddress, UsingStatus]] (the reference's spelling `PublicIpAddresse`).
const addresses = (p) => p.PublicIpAddresses.PublicIpAddresse.map((a) => [a.AllocationId, a.IpAddress, a.UsingStatus]);

// Waits until the gateway is Available or Deleting (or gone), then DeleteNatGateway Force=true.
async function forceDelete(c, nat) {
  await lane.poll(() => lane.natGateway(c, nat), (g) => g === null || g.Status === 'Available' || g.Status === 'Deleting', `${nat} settled`);
  try {
    await c.call('DeleteNatGateway', { NatGatewayId: nat, Force: true });
  } catch (e) {
    if (!(e instanceof lane.ApiError)) throw e;
  }
  await lane.waitNat(c, nat, null);
}

// A fresh account through POST /_emulator/accounts, or null when the endpoint is absent.
async function addAccount() {
  const key = { accessKeyId: `lane-bwp-${crypto.randomUUID().slice(0, 12)}`, accessKeySecret: `secret-${crypto.randomUUID()}` };
  const resp = await fetch(`${lane.emulatorUrl()}/_emulator/accounts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ access_key_id: key.accessKeyId, access_key_secret: key.accessKeySecret }),
  });
  if (resp.status === 404 || resp.status === 405) return null;
  assert.ok(resp.status === 200 || resp.status === 201, `POST /_emulator/accounts answered ${resp.status}`);
  return key;
}

for (const variant of VARIANTS) {
  describe(`bandwidth packages, ${variant}`, () => {
    test('lifecycle: BandwidthPackage.N on CreateNatGateway, the seven actions, DNAT on a package IP, Force', async () => {
      const c = lane.apiClient(variant);
      const [vpc, vsw] = await lane.defaultVSwitch(c);
      const created = await c.call('CreateNatGateway', {
        VpcId: vpc, VSwitchId: vsw, NatType: 'Enhanced', NetworkType: 'internet',
        'BandwidthPackage.1.IpCount': 2, 'BandwidthPackage.1.Bandwidth': 5,
      });
      const nat = created.NatGatewayId;
      try {
        const bwps = created.BandwidthPackageIds.BandwidthPackageId;
        assert.ok(bwps.length === 1 && bwps[0].startsWith('bwp-'), JSON.stringify(created));
        const bwp = bwps[0];
        const ftb = created.ForwardTableIds.ForwardTableId[0];
        const { value: gw } = await lane.waitNat(c, nat, 'Available');
        assert.deepEqual(gw.BandwidthPackageIds.BandwidthPackageId, [bwp]);

        let p = await pkg(c, bwp);
        assert.deepEqual([p.BandwidthPackageId, p.NatGatewayId, p.RegionId, p.Bandwidth, p.IpCount], [bwp, nat, lane.REGION, '5', '2']);
        assert.deepEqual([p.ISP, p.Status, p.InstanceChargeType, p.BusinessStatus], ['BGP', 'Available', 'PostPaid', 'Normal']);
        assert.ok(p.ZoneId.startsWith(`${lane.REGION}-`), p.ZoneId);
        const addrs = addresses(p);
        assert.ok(addrs.length === 2 && addrs.every(([a, , s]) => a.startsWith('nateip-') && s === 'Idle'), JSON.stringify(addrs));
        const [ip1, ip2] = addrs.map(([, ip]) => ip);
        assert.deepEqual(gw.IpLists.IpList.map((i) => [i.IpAddress, i.UsingStatus]).sort(), [[ip1, 'idle'], [ip2, 'idle']].sort());

        const bwp2 = (await c.call('CreateBandwidthPackage', { NatGatewayId: nat, IpCount: 1, Bandwidth: 10, Name: 'lane-pkg' })).BandwidthPackageId;
        assert.deepEqual((await packages(c, { NatGatewayId: nat })).map((x) => x.BandwidthPackageId), [bwp2, bwp]);
        const page = await c.call('DescribeBandwidthPackages', { NatGatewayId: nat, PageSize: 1, PageNumber: 2 });
        assert.deepEqual([page.TotalCount, page.BandwidthPackages.BandwidthPackage.map((x) => x.BandwidthPackageId)], [2, [bwp]]);

        await c.call('AddBandwidthPackageIps', { BandwidthPackageId: bwp2, IpCount: 2 });
        let p2 = await pkg(c, bwp2);
        assert.deepEqual([p2.IpCount, addresses(p2).length], ['3', 3]);
        const own = addresses(p2).map(([, ip]) => ip);
        await c.call('RemoveBandwidthPackageIps', { BandwidthPackageId: bwp2, 'RemovedIpAddresses.1': own[0] });
        assert.deepEqual(addresses(await pkg(c, bwp2)).map(([, ip]) => ip), own.slice(1));
        await lane.expectApiError(() => c.call('RemoveBandwidthPackageIps',
          { BandwidthPackageId: bwp2, 'RemovedIpAddresses.1': own[1], 'RemovedIpAddresses.2': own[2] }), 400, 'InvalidIpCount.ValueNotSupported');
        await lane.expectApiError(() => c.call('RemoveBandwidthPackageIps', { BandwidthPackageId: bwp2, 'RemovedIpAddresses.1': ip1 }), 404,
          'invalidRemovedIpAddresses.NotFound');
        assert.deepEqual(addresses(await pkg(c, bwp2)).map(([, ip]) => ip), own.slice(1));

        await c.call('ModifyBandwidthPackageAttribute', { BandwidthPackageId: bwp2, Name: 'renamed', Description: 'lane package' });
        await c.call('ModifyBandwidthPackageSpec', { BandwidthPackageId: bwp2, Bandwidth: 20 });
        p2 = await pkg(c, bwp2);
        assert.deepEqual([p2.Name, p2.Description, p2.Bandwidth], ['renamed', 'lane package', '20']);
        await lane.expectApiError(() => c.call('ModifyBandwidthPackageSpec', { BandwidthPackageId: 'bwp-bp1lane0000000000000', Bandwidth: 20 }), 404,
          'InvalidBandwidthPackageId.NotFound');

        // a gateway with packages takes no EIP
        const eip = (await c.call('AllocateEipAddress', {})).AllocationId;
        try {
          await lane.expectApiError(() => c.call('AssociateEipAddress', { AllocationId: eip, InstanceId: nat, InstanceType: 'Nat' }), 400,
            'Forbidden.EipCanNotBindGatgw');
        } finally {
          await c.call('ReleaseEipAddress', { AllocationId: eip });
        }

        // a DNAT entry on a package address
        const vswCidr = (await c.call('DescribeVSwitches', { VSwitchId: vsw })).VSwitches.VSwitch[0].CidrBlock;
        const internal = vswCidr.split('/')[0].replace(/\.\d+$/, '.10');
        const fwd = (await c.call('CreateForwardEntry', {
          ForwardTableId: ftb, ExternalIp: ip1, ExternalPort: '80', InternalIp: internal, InternalPort: '80', IpProtocol: 'tcp',
        })).ForwardEntryId;
        await lane.poll(() => c.call('DescribeForwardTableEntries', { ForwardTableId: ftb, ForwardEntryId: fwd }),
          (r) => r.ForwardTableEntries.ForwardTableEntry.length === 1 && r.ForwardTableEntries.ForwardTableEntry[0].Status === 'Available',
          `${fwd} Available`);
        p = await pkg(c, bwp);
        assert.equal(addresses(p).find(([, ip]) => ip === ip1)[2], 'UsedByForwardTable');
        await lane.expectApiError(() => c.call('RemoveBandwidthPackageIps', { BandwidthPackageId: bwp, 'RemovedIpAddresses.1': ip1 }), 400,
          'DependencyViolation.ForwardEntry');
        await lane.expectApiError(() => c.call('DeleteBandwidthPackage', { BandwidthPackageId: bwp }), 400, 'DependencyViolation.ForwardEntry');
        assert.equal(addresses(await pkg(c, bwp)).length, 2);

        await c.call('DeleteBandwidthPackage', { BandwidthPackageId: bwp, Force: true });
        assert.deepEqual(await packages(c, { BandwidthPackageId: bwp }), []);
        assert.deepEqual((await c.call('DescribeForwardTableEntries', { ForwardTableId: ftb })).ForwardTableEntries.ForwardTableEntry, []);

        await lane.expectApiError(() => c.call('DeleteNatGateway', { NatGatewayId: nat }), 400, 'DependencyViolation.BandwidthPackages');
        assert.equal((await lane.natGateway(c, nat)).Status, 'Available');
        await c.call('DeleteNatGateway', { NatGatewayId: nat, Force: true });
        await lane.waitNat(c, nat, null);
        const empty = await c.call('DescribeBandwidthPackages', { NatGatewayId: nat });
        assert.deepEqual([Object.keys(empty.BandwidthPackages), empty.BandwidthPackages.BandwidthPackage, empty.TotalCount],
          [['BandwidthPackage'], [], 0]);
      } finally {
        await forceDelete(c, nat);
      }
    });

    test('another account (POST /_emulator/accounts) sees none of the packages', async (t) => {
      const key = await addAccount();
      if (key === null) {
        t.skip('POST /_emulator/accounts is not available');
        return;
      }
      const c = lane.apiClient(variant);
      const [vpc] = await lane.defaultVSwitch(c);
      const created = await c.call('CreateNatGateway', {
        VpcId: vpc, NatType: 'Enhanced', 'BandwidthPackage.1.IpCount': 1, 'BandwidthPackage.1.Bandwidth': 5,
      });
      try {
        const bwp = created.BandwidthPackageIds.BandwidthPackageId[0];
        const other = lane.apiClient(variant, key);
        assert.deepEqual(await packages(other), []);
        assert.deepEqual(await packages(other, { BandwidthPackageId: bwp }), []);
        for (const [action, extra] of [['ModifyBandwidthPackageAttribute', { Name: 'stolen' }], ['ModifyBandwidthPackageSpec', { Bandwidth: 6 }],
          ['DeleteBandwidthPackage', {}]]) {
          await lane.expectApiError(() => other.call(action, { BandwidthPackageId: bwp, ...extra }), 404, 'InvalidBandwidthPackageId.NotFound');
        }
        const p = await pkg(c, bwp);
        assert.deepEqual([p.Name, p.Bandwidth], ['', '5']);
      } finally {
        await forceDelete(c, created.NatGatewayId);
      }
    });
  });
}
