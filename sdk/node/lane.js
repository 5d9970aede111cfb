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

module.exports = {
  ACCOUNT1, ACCOUNT2, WRONG_SECRET, REGION, REGIONS, ZONE_REGIONS, PAGING_REGION, MISSING_VPC_ID, DESCRIPTION,
  emulatorUrl, emulatorHostPort, resetWorld, poll, cidrCode,
};
