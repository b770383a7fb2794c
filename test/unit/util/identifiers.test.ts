import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSafeCertFilename, isSafeId } from '../../../agent/util/identifiers.ts';

test('ids: Octavia\'s UUIDs pass; traversal, separators, control bytes, long and reserved names do not', () => {
  for (const good of ['6e4e1b1a-3c2f-4d8e-9b8a-2f1e7d6c5b4a', 'lb_1', 'A'.repeat(64)]) assert.ok(isSafeId(good), good);
  for (const bad of ['', '.', '..', '%2e%2e', 'a/b', 'a b', 'a\0b', 'a\nb', 'é', 'A'.repeat(65), 'lvs', 'vrrp', 'certs', 'LVS']) {
    assert.ok(!isSafeId(bad), JSON.stringify(bad));
  }
});

test('certificate names: what Octavia sends passes; escapes and the reference\'s own rejects do not', () => {
  for (const good of ['6e4e1b1a-3c2f-4d8e-9b8a-2f1e7d6c5b4a.pem', `${'ab'.repeat(20)}.pem`, 'a.pem', 'abc.pem.bak', `${'c'.repeat(251)}.pem`]) {
    assert.ok(isSafeCertFilename(good), good);
  }
  for (const bad of ['xpem', 'a.PEM', '..pem', '../a.pem', 'a/b.pem', '.hidden.pem', 'a b.pem', 'a\nb.pem', 'x..pem', `${'c'.repeat(252)}.pem`]) {
    assert.ok(!isSafeCertFilename(bad), JSON.stringify(bad));
  }
});
