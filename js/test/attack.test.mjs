// Regression tests for findings of the attack on tollgate (issue 14), named
// after the finding; docs/security.md states the threat model.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load, TollgateError } from '../tollgate.js';

const tg = await load();
const lone = '\udcff'; // a lone low surrogate: a JS string holds it, UTF-8 cannot

// Finding 6, non-UTF-8 secrets collide. TextEncoder writes U+FFFD for a
// lone surrogate, so a request text holding one reached the module as a
// different secret (and "x\udcff", "x\udcfe" as the same one). callText now
// escapes it, and the module refuses it as it does on every host.
test('finding 6: a lone surrogate in a secret is refused, never hashed as U+FFFD', () => {
  const { record } = tg.call('hash.make', { scheme: '{SHA}', secret: 'Kx93\ufffd' });
  assert.equal(record, '{SHA}ukZ5kx5TCQGbsMrg/KKsdLao7yo=');
  // U+FFFD itself is a character, and verifies.
  assert.equal(tg.call('hash.verify', { record, secret: 'Kx93\ufffd' }).verified, true);
  for (const text of [
    `{"record":"${record}","secret":"Kx93${lone}"}`,
    `{"record":"${record}","secret":"Kx93\ud800"}`,
    `{"record":"${record}","secret":"\\\\Kx93${lone}"}`, // after an escaped backslash
  ]) {
    const res = JSON.parse(tg.callText('hash.verify', text));
    assert.equal(res.error?.code, 'bad_request', JSON.stringify(res));
    assert.equal(res.error.field, 'secret');
    assert.ok(!res.error.message.includes('Kx93'));
  }
  // After one backslash the text is a bad escape, as it was before: an
  // error, never the six letters "\udcff" as the secret.
  const bad = JSON.parse(tg.callText('hash.verify', `{"record":"${record}","secret":"Kx93\\${lone}"}`));
  assert.equal(bad.error?.code, 'bad_request', JSON.stringify(bad));
  assert.equal(tg.callText('hash.make', `{"scheme":"{SHA}","secret":"${lone}"}`),
    tg.callText('hash.make', '{"scheme":"{SHA}","secret":"\\udcff"}'));
});

test('finding 6: the typed calls refuse a lone surrogate in every secret field', () => {
  const cases = [
    [() => tg.checkPassword(`Correct-horse-${lone}`), 'password'],
    [() => tg.checkPassword('Correct-horse-battery-9', { old: `x${lone}` }), 'context.old'],
    [() => tg.checkPassword('Correct-horse-battery-9', { previous: ['\ud800'] }), 'context.previous[0]'],
    [() => tg.checkPin(`739164${lone}`), 'pin'],
    [() => tg.checkPin('739164', { previous: ['111111', lone] }), 'context.previous[1]'],
  ];
  for (const [call, field] of cases) {
    assert.throws(call, (e) => e instanceof TollgateError && e.code === 'bad_request' && e.field === field, field);
  }
  // Elsewhere a lone surrogate still reads as U+FFFD, as on the Go hosts:
  // a dialed number with one is invalid, not an error.
  assert.equal(tg.dial(`9${lone}1`).reason, 'invalid');
});
