'use strict';
// Drift report lane: real Node SDK calls carrying what the emulator does not model, and
// GET /_emulator/coverage telling so (the emulator still answers, as the real service does).
// - pop-core: an extra key in the params object (sent and signed like any other);
// - Tea: a typed request whose model has a field the emulator does not read, and callApi with a
//   query parameter the typed model does not have.
const { test, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { RPCClient } = require('@alicloud/pop-core');
const Vpc = require('@alicloud/vpc20160428');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const $dara = require('@darabonba/typescript');
const lane = require('../lane');

async function coverage(action) {
  const resp = await fetch(`${lane.emulatorUrl()}/_emulator/coverage${action ? `?action=${action}` : ''}`);
  assert.equal(resp.status, 200);
  return resp.json();
}

beforeEach(async () => {
  const resp = await fetch(`${lane.emulatorUrl()}/_emulator/coverage`, { method: 'DELETE' });
  assert.equal(resp.status, 200);
});

for (const method of ['GET', 'POST']) {
  test(`pop-core ${method}: an extra parameter is accepted and reported`, async () => {
    const client = new RPCClient({ endpoint: lane.emulatorUrl(), apiVersion: '2016-04-28', ...lane.ACCOUNT1 });
    for (let i = 0; i < 2; i++) {
      const body = await client.request('DescribeVpcs', { RegionId: lane.REGION, PageSize: 5, PopFutureOption: 'on' },
        method === 'POST' ? { method: 'POST' } : {});
      assert.ok(body.TotalCount >= 1);
    }
    const report = (await coverage('DescribeVpcs')).ignored_parameters.DescribeVpcs;
    assert.deepEqual(Object.keys(report), ['PopFutureOption']);
    const seen = report.PopFutureOption;
    assert.equal(seen.count, 2);
    assert.deepEqual(seen.accounts, [lane.ACCOUNT1.accessKeyId]);
    assert.ok(seen.user_agents.some((ua) => /Node\.js/.test(ua)), JSON.stringify(seen.user_agents));
  });
}

test('pop-core: an action the emulator does not implement is reported', async () => {
  const client = new RPCClient({ endpoint: lane.emulatorUrl(), apiVersion: '2016-04-28', ...lane.ACCOUNT1 });
  await assert.rejects(client.request('DescribeVpcPeerConnections', { RegionId: lane.REGION, MaxResults: 10 }),
    (e) => e.code === 'InvalidAction.NotFound');
  const unknown = (await coverage()).unknown_actions.DescribeVpcPeerConnections;
  assert.equal(unknown.count, 1);
  assert.deepEqual(unknown.parameters, ['MaxResults']);
});

for (const variant of ['acs3', 'v2']) {
  test(`Tea ${variant}: callApi with a parameter the typed model lacks`, async () => {
    const config = new $OpenApiUtil.Config({
      ...lane.ACCOUNT1, endpoint: lane.emulatorHostPort(), protocol: 'http', regionId: lane.REGION,
    });
    if (variant === 'v2') config.signatureAlgorithm = 'v2';
    const client = new Vpc.default(config);
    const params = new $OpenApiUtil.Params({
      action: 'DescribeVpcs', version: '2016-04-28', protocol: 'HTTP', pathname: '/', method: 'POST',
      authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
    });
    const request = new $OpenApiUtil.OpenApiRequest({ query: { RegionId: lane.REGION, TeaFutureFilter: 'x' } });
    const resp = await client.callApi(params, request, new $dara.RuntimeOptions({}));
    assert.equal(resp.statusCode, 200);
    const seen = (await coverage('DescribeVpcs')).ignored_parameters.DescribeVpcs.TeaFutureFilter;
    assert.equal(seen.count, 1);
    assert.ok(seen.user_agents.length >= 1 && /AlibabaCloud/.test(seen.user_agents[0]), JSON.stringify(seen));
  });
}
