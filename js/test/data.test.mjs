// Data artifacts in the JS package: passwords.tgd is read and verified by
// default and loaded into every instance (a replaced one too); without it
// a blocklist policy fails clearly; a damaged file is refused at load().

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { load, TollgateError, defaultDataURLs } from '../tollgate.js';
import { parseArtifact, sha256js } from '../data.js';

const artifact = readFileSync(new URL('../../wasm/passwords.tgd', import.meta.url));
const nist = (password) => ({ policy: 'nist-800-63b-4', password });

test('loads passwords.tgd by default and refuses the examples of issue 14 item 24', async () => {
  assert.equal(defaultDataURLs[0].href, new URL('../passwords.tgd', import.meta.url).href);
  const tg = await load();
  assert.deepEqual(tg.data.map((d) => d.name), ['passwords']);
  for (const [pw, detail] of [['Password1234567', 'list'], ['qwertyuiopasdfg', 'keyboard'], ['P@ssw0rd12345678', 'list'], ['iloveyou1234567', 'list']]) {
    const v = tg.call('password', nist(pw));
    assert.equal(v.accepted, false, pw);
    assert.equal(v.reasons[0].detail, detail, pw);
  }
  assert.equal(tg.call('password', nist('gravel tundra sonnet pivot')).accepted, true);
});

test('without data a blocklist policy fails with data_missing, never accepts', async () => {
  const tg = await load({ data: false });
  assert.deepEqual(tg.data, []);
  assert.throws(() => tg.checkPassword('P@ssw0rd12345678', {}, { policy: 'nist-800-63b-4' }),
    (e) => e instanceof TollgateError && e.code === 'data_missing' && !e.message.includes('P@ssw0rd'));
  assert.equal(tg.checkPassword('Tr0ub4dor&3', {}, { policy: 'cuc' }).accepted, true);
});

test('bytes work as a source; a damaged artifact is refused at load()', async () => {
  const tg = await load({ data: [new Uint8Array(artifact)] });
  assert.equal(tg.call('password', nist('Password1234567')).accepted, false);
  const bad = new Uint8Array(artifact);
  bad[bad.length - 1] ^= 1;
  await assert.rejects(load({ data: [bad] }), (e) => e instanceof TollgateError && e.code === 'bad_data' && /checksum mismatch/.test(e.message));
  await assert.rejects(load({ data: [artifact.subarray(0, 100)] }), (e) => e.code === 'bad_data' && /truncated/.test(e.message));
  await assert.rejects(load({ data: ['/nonexistent/passwords.tgd'] }), (e) => e.code === 'load' && /nonexistent/.test(e.message));
  await assert.rejects(load({ data: 'passwords.tgd' }), (e) => e.code === 'bad_option');
});

test('a replaced instance gets the data again', async () => {
  const tg = await load();
  assert.throws(() => tg.debugFault(1), (e) => e.code === 'panic');
  assert.equal(tg.call('password', nist('Password1234567')).reasons[0].detail, 'list');
});

test('the container parser and the fallback SHA-256 agree with Go and node:crypto', async () => {
  const a = await parseArtifact(new Uint8Array(artifact));
  assert.equal(a.name, 'passwords');
  assert.match(a.version, /^xato-top1m\./);
  for (const n of [0, 1, 55, 56, 63, 64, 65, 1000]) {
    const b = new Uint8Array(n).map((_, i) => (i * 7) & 255);
    assert.equal(Buffer.from(sha256js(b)).toString('hex'), createHash('sha256').update(b).digest('hex'), `length ${n}`);
  }
});
