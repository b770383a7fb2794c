import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { haproxyPeerName } from '../../../agent/haproxy/peer-name.ts';

test('peer names match the specification vectors', () => {
  assert.equal(haproxyPeerName('amp1'), 'BdMDzSWGoNCTBh2R50fQ7iACCJ8');
  assert.equal(haproxyPeerName('amp_123'), 'WCbTKE70m_IHc_MucbXK5CkEoWQ');
  assert.equal(haproxyPeerName('6e4e1b1a-3c2f-4d8e-9b8a-2f1e7d6c5b4a'), 'VkgVb3tCgbJSdZMBdYIM9u7y8r0');
});

test('peer names match Octavia\'s own function, leading "-" case included', () => {
  const ids = [...Array.from({ length: 40 }, () => randomUUID()), 'é-unicode', randomBytes(8).toString('hex')];
  // Find an id whose Base64 starts with "/" (→ "-" → "x") so that branch is exercised.
  for (let index = 0; !ids.some((id) => haproxyPeerName(id).startsWith('x')); index++) ids.push(`amp-${index}`);
  const script =
    'import json,sys\nfrom octavia.common import utils\n' +
    'print(json.dumps([utils.base64_sha1_string(i).rstrip("=") for i in json.load(sys.stdin)]))';
  const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(ids) }).toString()) as string[];
  assert.deepEqual(ids.map(haproxyPeerName), expected);
});
