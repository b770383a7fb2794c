import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInterfaceFile } from '../../../agent/network/interface-file.ts';
import { readRegistry } from '../../../agent/network/plugged-registry.ts';

test('interface files: unknown keys and names that are not interface names are refused', () => {
  assert.equal(parseInterfaceFile('{"name": "eth1", "addresses": [], "routes": [], "rules": [], "scripts": {"up": [], "down": []}}', 'x').name, 'eth1');
  for (const name of ['', '../etc', 'a b', 'x'.repeat(16), '..']) {
    assert.throws(() => parseInterfaceFile(JSON.stringify({ name }), 'x'), /invalid name/u, name);
  }
  assert.throws(() => parseInterfaceFile('{"name": "eth1", "bogus": 1}', 'x'), /unknown key/u);
  assert.throws(() => parseInterfaceFile('{"name": ', 'x'), /invalid JSON/u);
});

test('the registry keeps only lines of a MAC and an interface name', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'registry-'));
  try {
    const path = join(directory, 'plugged_interfaces');
    await writeFile(path, 'FA:16:3E:00:00:01 eth1\ngarbage\nfa:16:3e:00:00:02 eth2;reboot\nnot-a-mac eth3\nfa:16:3e:00:00:04 eth4\n');
    assert.deepEqual(await readRegistry(path), [
      { mac: 'fa:16:3e:00:00:01', name: 'eth1' },
      { mac: 'fa:16:3e:00:00:04', name: 'eth4' },
    ]);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
