'use strict';
// DNAT and SNAT lane: entry lifecycles and refusals through both Node clients (pop-core GET and
// POST, @alicloud/vpc20160428 ACS3 and v2), one test body per variant via lane.apiClient. Each test
// builds its own gateway (default VPC, polled to Available) with EIPs associated as
// InstanceType=Nat and polled to InUse, and removes it with DeleteNatGateway Force=true at the end
// (also when the test fails), so the per-VPC gateway quota never fills.
const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const lane = require('../lane');

const PAGING_VARIANT = 'pop-core POST'; // paging over 55 entries runs in one client only

before(lane.resetWorld);

// IPv4 helpers (no dependency): the n-th address of a CIDR block, membership.
const toInt = (ip) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const toIp = (n) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const inCidr = (ip, cidr) => {
  const [base, len] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
};

async function allocate(c) {
  const r = await c.call('AllocateEipAddress', {});
  return [r.AllocationId, r.EipAddress];
}

async function bind(c, w, alloc, wait = true) {
  await c.call('AssociateEipAddress', { AllocationId: alloc, InstanceId: w.nat, InstanceType: 'Nat' });
  if (wait) {
    const { statuses } = await lane.waitEip(c, alloc, 'InUse');
    assert.equal(statuses[0], 'Associating', `${statuses}`);
  }
}

// Runs fn(w) with a fresh Available gateway holding `eips` InUse EIPs; tears it down afterwards.
async function withWorld(c, eips, fn) {
  const vpc = (await c.call('DescribeVpcs', { IsDefault: true })).Vpcs.Vpc[0];
  const vsw = (await c.call('DescribeVSwitches', { VpcId: vpc.VpcId })).VSwitches.VSwitch[0];
  const created = await lane.createAvailableNat(c, vpc.VpcId, vsw.VSwitchId);
  const w = {
    nat: created.NatGatewayId,
    ftb: created.ForwardTableIds.ForwardTableId[0],
    stb: created.SnatTableIds.SnatTableId[0],
    vpcCidr: vpc.CidrBlock,
    vsw: vsw.VSwitchId,
    vswCidr: vsw.CidrBlock,
    allocs: [],
    ips: [],
    host: (n) => toIp(toInt(vsw.CidrBlock.split('/')[0]) + n),
  };
  w.outsideVpc = ['192.168.7.10', '10.7.7.10', '100.99.1.1'].find((a) => !inCidr(a, vpc.CidrBlock));
  try {
    for (let i = 0; i < eips; i++) {
      const [alloc, ip] = await allocate(c);
      w.allocs.push(alloc);
      w.ips.push(ip);
      await bind(c, w, alloc);
    }
    await fn(w);
  } finally {
    try {
      await c.call('DeleteNatGateway', { NatGatewayId: w.nat, Force: true });
    } catch (e) {
      if (!(e instanceof lane.ApiError)) throw e; // already Deleting or gone
    }
    for (const alloc of w.allocs) {
      try {
        await c.call('ReleaseEipAddress', { AllocationId: alloc });
      } catch (e) {
        if (!(e instanceof lane.ApiError)) throw e;
      }
    }
    await lane.waitNat(c, w.nat, null);
  }
}

const fwdPage = (c, ftb, flt = {}) => c.call('DescribeForwardTableEntries', { ForwardTableId: ftb, ...flt });

async function fwd(c, ftb, flt = {}) {
  const r = await fwdPage(c, ftb, { PageSize: 50, ...flt });
  const items = r.ForwardTableEntries.ForwardTableEntry;
  assert.equal(r.TotalCount, items.length, JSON.stringify(r));
  return items;
}

async function snat(c, stb, flt = {}) {
  const r = await c.call('DescribeSnatTableEntries', { SnatTableId: stb, PageSize: 50, ...flt });
  const items = r.SnatTableEntries.SnatTableEntry;
  assert.equal(r.TotalCount, items.length, JSON.stringify(r));
  return items;
}

// Polls until the entry has `status` (null: gone); resolves to { value, statuses }.
async function waitEntry(listFn, key, id, status) {
  const { value, seen } = await lane.poll(async () => {
    const items = await listFn({ [key]: id });
    assert.ok(items.length <= 1, JSON.stringify(items));
    return items[0] || null;
  }, (e) => (status === null ? e === null : e !== null && e.Status === status), `${id} ${status || 'gone'}`);
  return { value, statuses: seen.map((e) => (e ? e.Status : null)) };
}
const waitFwd = (c, w, id, status) => waitEntry((f) => fwd(c, w.ftb, f), 'ForwardEntryId', id, status);
const waitSnat = (c, w, id, status) => waitEntry((f) => snat(c, w.stb, f), 'SnatEntryId', id, status);

async function usingStatus(c, w) {
  const out = {};
  for (const i of (await lane.natGateway(c, w.nat)).IpLists.IpList) out[i.IpAddress] = i.UsingStatus;
  return out;
}

const tables = async (c, w) => [await fwd(c, w.ftb), await snat(c, w.stb)];
const dnat = async (c, w, ip, eport, internal, iport, proto = 'tcp', extra = {}) => (await c.call('CreateForwardEntry', {
  ForwardTableId: w.ftb, ExternalIp: ip, ExternalPort: eport, InternalIp: internal, InternalPort: iport, IpProtocol: proto, ...extra,
})).ForwardEntryId;
const ids = (items, key) => items.map((e) => e[key]);
const pick = (e, keys) => keys.map((k) => e[k]);

for (const variant of lane.API_VARIANTS) {
  describe(`DNAT and SNAT entries, ${variant}`, () => {
    test('DNAT lifecycle: port forward and port range, Pending → Available, filters, modify, delete', async () => {
      const c = lane.apiClient(variant);
      await withWorld(c, 1, async (w) => {
        const ip = w.ips[0];
        assert.deepEqual(await usingStatus(c, w), { [ip]: 'idle' });
        const empty = await fwdPage(c, w.ftb);
        assert.deepEqual([Object.keys(empty.ForwardTableEntries), empty.ForwardTableEntries.ForwardTableEntry, empty.TotalCount], [['ForwardTableEntry'], [], 0]);

        const web = await dnat(c, w, ip, '8080', w.host(10), '80', 'TCP', { ForwardEntryName: 'web' });
        const rng = await dnat(c, w, ip, '1000/1010', w.host(11), '2000/2010', 'UDP', { ForwardEntryName: 'range' });
        assert.ok(web.startsWith('fwd-') && rng.startsWith('fwd-') && web !== rng, `${web} ${rng}`);
        for (const id of [web, rng]) {
          const { statuses } = await waitFwd(c, w, id, 'Available');
          assert.ok(statuses.every((s) => s === 'Pending' || s === 'Available'), `${statuses}`);
        }
        const keys = ['ForwardTableId', 'NatGatewayId', 'ExternalIp', 'ExternalPort', 'InternalIp', 'InternalPort',
          'IpProtocol', 'ForwardEntryName', 'Status'];
        const shown = await fwd(c, w.ftb);
        assert.deepEqual(ids(shown, 'ForwardEntryId'), [web, rng]);
        assert.deepEqual(shown.map((e) => pick(e, keys)), [
          [w.ftb, w.nat, ip, '8080', w.host(10), '80', 'tcp', 'web', 'Available'],
          [w.ftb, w.nat, ip, '1000/1010', w.host(11), '2000/2010', 'udp', 'range', 'Available'],
        ]);
        assert.deepEqual(await usingStatus(c, w), { [ip]: 'UsedByForwardTable' });

        for (const [flt, want] of [[{ IpProtocol: 'udp' }, [rng]], [{ ExternalPort: '1000/1010' }, [rng]],
          [{ InternalIp: w.host(10) }, [web]], [{ ForwardEntryName: 'web' }, [web]], [{ ExternalIp: ip }, [web, rng]],
          [{ InternalPort: '9' }, []]]) {
          assert.deepEqual(ids(await fwd(c, w.ftb, flt), 'ForwardEntryId'), want, JSON.stringify(flt));
        }
        const byGw = await c.call('DescribeForwardTableEntries', { NatGatewayId: w.nat });
        assert.deepEqual(ids(byGw.ForwardTableEntries.ForwardTableEntry, 'ForwardEntryId'), [web, rng]);

        await c.call('ModifyForwardEntry', { ForwardTableId: w.ftb, ForwardEntryId: web, InternalPort: '8081', ForwardEntryName: 'web2' });
        const { value: e } = await waitFwd(c, w, web, 'Available');
        assert.deepEqual(pick(e, ['InternalPort', 'ForwardEntryName', 'ExternalPort', 'IpProtocol']), ['8081', 'web2', '8080', 'tcp']);

        for (const id of [web, rng]) await c.call('DeleteForwardEntry', { ForwardTableId: w.ftb, ForwardEntryId: id });
        for (const id of [web, rng]) {
          const { statuses } = await waitFwd(c, w, id, null);
          assert.ok(statuses.every((s) => s === 'Deleting' || s === null), `${statuses}`);
        }
        assert.deepEqual(await fwd(c, w.ftb), []);
        assert.deepEqual(await usingStatus(c, w), { [ip]: 'idle' });
        await lane.expectApiError(() => c.call('DeleteForwardEntry', { ForwardTableId: w.ftb, ForwardEntryId: web }), 404,
          'InvalidForwardEntryId.NotFound');
      });
    });

    test('SNAT lifecycle: by SourceVSwitchId and by SourceCIDR, EipAffinity, modify, delete', async () => {
      const c = lane.apiClient(variant);
      await withWorld(c, 2, async (w) => {
        const [ip1, ip2] = w.ips;
        const empty = await c.call('DescribeSnatTableEntries', { SnatTableId: w.stb });
        assert.deepEqual([Object.keys(empty.SnatTableEntries), empty.SnatTableEntries.SnatTableEntry, empty.TotalCount], [['SnatTableEntry'], [], 0]);

        const byVsw = (await c.call('CreateSnatEntry', {
          SnatTableId: w.stb, SourceVSwitchId: w.vsw, SnatIp: ip1, SnatEntryName: 'by-vsw', EipAffinity: 1,
        })).SnatEntryId;
        const oneHost = `${w.host(20)}/32`;
        const byCidr = (await c.call('CreateSnatEntry', {
          SnatTableId: w.stb, SourceCIDR: oneHost, SnatIp: `${ip1},${ip2}`, SnatEntryName: 'by-cidr',
        })).SnatEntryId;
        assert.ok(byVsw.startsWith('snat-') && byCidr.startsWith('snat-'), `${byVsw} ${byCidr}`);
        for (const id of [byVsw, byCidr]) await waitSnat(c, w, id, 'Available');
        const keys = ['SnatTableId', 'NatGatewayId', 'SourceVSwitchId', 'SourceCIDR', 'SnatIp', 'SnatEntryName', 'EipAffinity', 'Status'];
        // EipAffinity is a string; a vSwitch entry's SourceCIDR is the vSwitch's CIDR
        assert.deepEqual((await snat(c, w.stb)).map((e) => pick(e, keys)), [
          [w.stb, w.nat, w.vsw, w.vswCidr, ip1, 'by-vsw', '1', 'Available'],
          [w.stb, w.nat, '', oneHost, `${ip1},${ip2}`, 'by-cidr', '0', 'Available'],
        ]);
        assert.deepEqual(await usingStatus(c, w), { [ip1]: 'UsedBySnatTable', [ip2]: 'UsedBySnatTable' });

        for (const [flt, want] of [[{ SnatIp: ip2 }, [byCidr]], [{ SourceVSwitchId: w.vsw }, [byVsw]],
          [{ SourceCIDR: oneHost }, [byCidr]], [{ SnatEntryName: 'by-vsw' }, [byVsw]], [{ SnatIp: ip1 }, [byVsw, byCidr]]]) {
          assert.deepEqual(ids(await snat(c, w.stb, flt), 'SnatEntryId'), want, JSON.stringify(flt));
        }
        await lane.expectApiError(() => c.call('CreateSnatEntry', { SnatTableId: w.stb, SourceVSwitchId: w.vsw, SnatIp: ip2 }), 400,
          'Forbidden.SourceVSwitchId.Duplicated');

        await c.call('ModifySnatEntry', { SnatTableId: w.stb, SnatEntryId: byVsw, SnatIp: `${ip2},${ip1}`, SnatEntryName: 'renamed', EipAffinity: 0 });
        let { value: e } = await waitSnat(c, w, byVsw, 'Available');
        assert.deepEqual([new Set(e.SnatIp.split(',')), e.SnatEntryName, e.EipAffinity], [new Set([ip1, ip2]), 'renamed', '0']);
        await c.call('ModifySnatEntry', { SnatTableId: w.stb, SnatEntryId: byCidr, SnatIp: ip2 });
        ({ value: e } = await waitSnat(c, w, byCidr, 'Available'));
        assert.deepEqual([e.SnatIp, e.SnatEntryName], [ip2, 'by-cidr']);

        for (const id of [byVsw, byCidr]) await c.call('DeleteSnatEntry', { SnatTableId: w.stb, SnatEntryId: id });
        for (const id of [byVsw, byCidr]) {
          const { statuses } = await waitSnat(c, w, id, null);
          assert.ok(statuses.every((s) => s === 'Deleting' || s === null), `${statuses}`);
        }
        assert.deepEqual(await snat(c, w.stb), []);
        assert.deepEqual(await usingStatus(c, w), { [ip1]: 'idle', [ip2]: 'idle' });
        await lane.expectApiError(() => c.call('DeleteSnatEntry', { SnatTableId: w.stb, SnatEntryId: byVsw }), 404,
          'InvalidSnatEntryId.NotFound');
      });
    });

    test('refusals: each by Code and status, none changes the tables; DeleteNatGateway Force', async () => {
      const c = lane.apiClient(variant);
      await withWorld(c, 1, async (w) => {
        const ip = w.ips[0];
        const web = await dnat(c, w, ip, '80', w.host(10), '80');
        await waitFwd(c, w, web, 'Available');
        const [unboundAlloc, unboundIp] = await allocate(c);
        w.allocs.push(unboundAlloc);
        const [lateAlloc, lateIp] = await allocate(c);
        w.allocs.push(lateAlloc);
        let before = await tables(c, w);
        const refused = async (status, code, action, params) => {
          await lane.expectApiError(() => c.call(action, params), status, code);
          assert.deepEqual(await tables(c, w), before, `${action} ${JSON.stringify(params)}`);
        };
        const fwdReq = (extIp, eport, internal, iport) => ({
          ForwardTableId: w.ftb, ExternalIp: extIp, ExternalPort: eport, InternalIp: internal, InternalPort: iport, IpProtocol: 'tcp',
        });

        await refused(404, 'InvalidExternalIp.NotFound', 'CreateForwardEntry', fwdReq('203.0.113.9', '81', w.host(10), '81'));
        await refused(400, 'InvalidIp.NotInNatgw', 'CreateForwardEntry', fwdReq(unboundIp, '81', w.host(10), '81'));
        await bind(c, w, lateAlloc, false); // still Associating right after the call (delay 300 ms)
        await refused(400, 'OperationUnsupported.EipInBinding', 'CreateForwardEntry', fwdReq(lateIp, '81', w.host(10), '81'));
        await lane.waitEip(c, lateAlloc, 'InUse');
        await refused(400, 'Forbidden.InternalIpOutOfVpcCIDR', 'CreateForwardEntry', fwdReq(ip, '81', w.outsideVpc, '81'));
        await refused(400, 'OperationUnsupported.PortConflict', 'CreateForwardEntry', fwdReq(ip, '80', w.host(12), '8080'));
        await refused(400, 'Forbidden.IpUsedInForwardTable', 'CreateSnatEntry', { SnatTableId: w.stb, SourceVSwitchId: w.vsw, SnatIp: ip });

        const s = (await c.call('CreateSnatEntry', { SnatTableId: w.stb, SourceVSwitchId: w.vsw, SnatIp: lateIp })).SnatEntryId;
        await waitSnat(c, w, s, 'Available');
        before = await tables(c, w);
        await refused(400, 'Forbidden.ExternalIp.UsedInSnatTable', 'CreateForwardEntry', fwdReq(lateIp, '443', w.host(10), '443'));
        await refused(400, 'Forbidden.SourceVSwitchId.Duplicated', 'CreateSnatEntry', { SnatTableId: w.stb, SourceVSwitchId: w.vsw, SnatIp: lateIp });
        await refused(400, 'InvalidIpStatus.HasBeenUsedBySnatTable', 'UnassociateEipAddress',
          { AllocationId: lateAlloc, InstanceId: w.nat, InstanceType: 'Nat' });
        await refused(400, 'InvalidIpStatus.HasBeenUsedByForwardEntry', 'UnassociateEipAddress',
          { AllocationId: w.allocs[0], InstanceId: w.nat, InstanceType: 'Nat' });
        assert.equal((await lane.eip(c, lateAlloc)).Status, 'InUse');
        // without Force the bound EIPs are the first blocker (decisions.md)
        await refused(400, 'DependencyViolation.EIPS', 'DeleteNatGateway', { NatGatewayId: w.nat });
        assert.equal((await lane.natGateway(c, w.nat)).Status, 'Available');

        const other = lane.apiClient(variant, lane.ACCOUNT2);
        await lane.expectApiError(() => other.call('DescribeForwardTableEntries', { ForwardTableId: w.ftb }), 404, 'InvalidForwardTableId.NotFound');
        await lane.expectApiError(() => other.call('DescribeSnatTableEntries', { SnatTableId: w.stb }), 404, 'InvalidSnatTableId.NotFound');

        await c.call('DeleteNatGateway', { NatGatewayId: w.nat, Force: true });
        for (const alloc of [w.allocs[0], lateAlloc]) {
          const e = await lane.eip(c, alloc);
          assert.deepEqual([e.Status, e.InstanceId], ['Available', ''], JSON.stringify(e));
        }
        const { statuses } = await lane.waitNat(c, w.nat, null);
        assert.ok(statuses.every((x) => x === 'Deleting' || x === null), `${statuses}`);
        await lane.expectApiError(() => fwdPage(c, w.ftb), 404, 'InvalidForwardTableId.NotFound');
      });
    });
  });
}

test(`paging over 55 DNAT entries (${PAGING_VARIANT} only)`, async () => {
  const c = lane.apiClient(PAGING_VARIANT);
  await withWorld(c, 1, async (w) => {
    const created = [];
    for (let i = 0; i < 55; i++) created.push(await dnat(c, w, w.ips[0], String(10000 + i), w.host(100), String(20000 + i)));
    assert.equal(new Set(created).size, 55);
    await lane.poll(async () => {
      const statuses = [];
      for (const n of [1, 2]) statuses.push(...(await fwdPage(c, w.ftb, { PageSize: 50, PageNumber: n })).ForwardTableEntries.ForwardTableEntry.map((e) => e.Status));
      return statuses;
    }, (s) => s.length === 55 && s.every((x) => x === 'Available'), '55 entries Available');
    const seen = [];
    for (const [number, size, count] of [[1, 50, 50], [2, 50, 5], [3, 50, 0]]) {
      const page = await fwdPage(c, w.ftb, { PageSize: size, PageNumber: number });
      assert.deepEqual([page.TotalCount, page.PageNumber, page.PageSize, page.ForwardTableEntries.ForwardTableEntry.length], [55, number, size, count]);
      seen.push(...ids(page.ForwardTableEntries.ForwardTableEntry, 'ForwardEntryId'));
    }
    assert.deepEqual(seen, created); // every entry once, oldest first
    const dflt = await fwdPage(c, w.ftb);
    assert.deepEqual([dflt.PageSize, dflt.ForwardTableEntries.ForwardTableEntry.length], [10, 10]);
    await lane.expectApiError(() => fwdPage(c, w.ftb, { PageSize: 51 }), 400, 'InvalidParameter');
  });
});
