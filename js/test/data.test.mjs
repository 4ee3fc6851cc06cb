// Data artifacts in the JS package: passwords.tgd and destinations.tgd are
// read lazily, each the first time an operation needs it, verified, and
// loaded into every instance (a replaced one too); without one, the
// operation that needs it fails clearly; a damaged file is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { load, TollgateError, defaultDataURLs } from '../tollgate.js';
import { parseArtifact, parseArtifactSync, sha256js } from '../data.js';

const artifact = readFileSync(new URL('../../wasm/passwords.tgd', import.meta.url));
const destinations = readFileSync(new URL('../../wasm/destinations.tgd', import.meta.url));
const regionDoc = { region: { country: 'US' }, tables: [{ name: 'T', rows: [{ pattern: '9011*', blocked: true }, { pattern: '9*', blocked: false }, { pattern: '*', blocked: true }] }] };
const nist = (password) => ({ policy: 'nist-800-63b-4', password });

test('loads passwords.tgd on the first password check that needs it and refuses the examples of issue 14 item 24', async () => {
  assert.equal(defaultDataURLs.passwords.href, new URL('../passwords.tgd', import.meta.url).href);
  assert.equal(defaultDataURLs.destinations.href, new URL('../destinations.tgd', import.meta.url).href);
  const tg = await load();
  assert.deepEqual(tg.data, [], 'load() reads no data artifact');
  assert.deepEqual(tg.dataPending, ['passwords', 'destinations']);
  assert.equal(tg.checkPin('2580').accepted, false);
  assert.equal(tg.checkPassword('Tr0ub4dor&3', {}, { policy: 'cuc' }).accepted, true);
  assert.deepEqual(tg.data, [], 'a PIN, and a password under a policy without the blocklist, read nothing');
  for (const [pw, detail] of [['Password1234567', 'list'], ['qwertyuiopasdfg', 'keyboard'], ['P@ssw0rd12345678', 'list'], ['iloveyou1234567', 'list']]) {
    const v = tg.call('password', nist(pw));
    assert.equal(v.accepted, false, pw);
    assert.equal(v.reasons[0].detail, detail, pw);
  }
  assert.equal(tg.call('password', nist('gravel tundra sonnet pivot')).accepted, true);
  assert.deepEqual(tg.data.map((d) => d.name), ['passwords'], 'the blocklist read passwords.tgd, and only it');
});

test('loads destinations.tgd on the first tables document that declares a region', async () => {
  const tg = await load();
  assert.equal(tg.dial('918095550100', { tables: 'recommended' }).destination, undefined);
  tg.lint('recommended');
  assert.deepEqual(tg.data, [], 'tables without a region read nothing');
  const d = tg.dial('918095550100', { tables: regionDoc });
  assert.deepEqual(d.destination, { country: 'DO', region: '+1', type: 'fixed_or_mobile', tier: 'high' });
  assert.deepEqual(tg.data.map((x) => x.name), ['destinations']);
  assert.deepEqual(tg.dataPending, ['passwords']);
});

test('where a synchronous call cannot read an artifact it says how; the async entry points read it once', async () => {
  // Bytes or a Response by name are read lazily but never synchronously:
  // what a browser sees with its default URLs.
  const tg = await load({ data: { passwords: new Uint8Array(artifact), destinations: new Uint8Array(destinations) } });
  assert.throws(() => tg.checkPassword('P@ssw0rd12345678', {}, { policy: 'nist-800-63b-4' }),
    (e) => e.code === 'data_missing' && e.field === 'policy' && /checkPasswordAsync/.test(e.message) && !e.message.includes('P@ssw0rd'));
  const answer = tg.call('tables.load', regionDoc);
  assert.equal(answer.error?.code, 'data_missing');
  assert.equal(answer.error.field, 'region');
  assert.match(answer.error.message, /tg\.loadData\('destinations'\)/);
  const v = await tg.checkPasswordAsync('P@ssw0rd12345678', {}, { policy: 'nist-800-63b-4' });
  assert.equal(v.reasons[0].detail, 'list');
  const t = await tg.loadTablesAsync(regionDoc);
  assert.equal(tg.dial('918095550100', { tables: t.handle }).destination.country, 'DO');
  assert.deepEqual((await tg.lintAsync(regionDoc)).findings.map((f) => f.code).includes('nanp_international'), true);
  assert.deepEqual(tg.data.map((x) => x.name), ['passwords', 'destinations']);
  await tg.loadData('passwords'); // loaded: nothing more
  await assert.rejects(tg.loadData('nope'), (e) => e.code === 'bad_option');
  // An artifact given under the wrong name is refused, naming both.
  const wrong = await load({ data: { destinations: new Uint8Array(artifact) } });
  await assert.rejects(wrong.dialAsync('918095550100', { tables: regionDoc }), (e) => e.code === 'bad_data' && /read for "destinations" is named "passwords"/.test(e.message));
});

test('a damaged artifact found by a synchronous call is refused, never loaded', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-data-'));
  const bad = new Uint8Array(destinations);
  bad[bad.length - 1] ^= 1;
  writeFileSync(join(dir, 'destinations.tgd'), bad);
  const tg = await load({ data: { destinations: join(dir, 'destinations.tgd') } });
  assert.throws(() => tg.dial('918095550100', { tables: regionDoc }), (e) => e.code === 'bad_data' && /checksum mismatch/.test(e.message));
  assert.deepEqual(tg.data, []);
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
  await assert.rejects(load({ data: { 'No Name': 'x' } }), (e) => e.code === 'bad_option');
});

test('a replaced instance gets the data again', async () => {
  const tg = await load();
  assert.equal(tg.call('password', nist('Password1234567')).reasons[0].detail, 'list');
  tg.dial('918095550100', { tables: regionDoc });
  assert.throws(() => tg.debugFault(1), (e) => e.code === 'panic');
  const calls = tg.stats.instances;
  assert.equal(tg.call('password', nist('Password1234567')).reasons[0].detail, 'list');
  assert.equal(tg.dial('918095550100', { tables: regionDoc }).destination.country, 'DO');
  assert.equal(tg.stats.instances, calls, 'no further replacement');
});

test('the container parser and the fallback SHA-256 agree with Go and node:crypto', async () => {
  const a = await parseArtifact(new Uint8Array(artifact));
  assert.equal(a.name, 'passwords');
  assert.match(a.version, /^xato-top1m\./);
  const d = parseArtifactSync(new Uint8Array(destinations));
  assert.equal(d.name, 'destinations');
  assert.match(d.version, /^phonenumbers@v\d/);
  for (const n of [0, 1, 55, 56, 63, 64, 65, 1000]) {
    const b = new Uint8Array(n).map((_, i) => (i * 7) & 255);
    assert.equal(Buffer.from(sha256js(b)).toString('hex'), createHash('sha256').update(b).digest('hex'), `length ${n}`);
  }
});
