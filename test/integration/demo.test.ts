import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, REPO_ROOT } from '../helpers/agent-harness.ts';

/**
 * `npm run demo` (after the build), bounded: the walkthrough must succeed and its transcript
 * must show round robin, the failover, the DOWN heartbeat, the rejoin and the cleanup.
 */
test('the demo walks through the issue and cleans up', { timeout: 150_000 }, async () => {
  const child = spawn(NODE, [join(REPO_ROOT, 'scripts', 'demo.ts')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 140_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('close', done));
  assert.equal(code, 0, `demo failed:\n${stdout}\n${stderr}`);
  assert.match(stdout, /you hit: webserver1\n\$ curl [^\n]+\nyou hit: webserver2\n\$ curl [^\n]+\nyou hit: webserver1\n/);
  assert.match(stdout, /\[ok\] requests alternate between webserver1 and webserver2/);
  assert.match(stdout, /\$ amphoractl healthmonitor create --delay 5 --max-retries 2 --timeout 10 --type HTTP --url-path \//);
  assert.match(stdout, /\[ok\] traffic moves to webserver1 alone/);
  assert.match(stdout, /\| webserver2 \| ACTIVE +\| 127\.0\.0\.1 \| \d+ +\| ERROR +\|/);
  const heartbeat = /"members": \{[^}]*"([0-9a-f-]{36})": "DOWN"/.exec(stdout);
  assert.ok(heartbeat, 'a decoded heartbeat with a DOWN member');
  assert.match(stdout, new RegExp(`\\| ${heartbeat[1]} \\| webserver2 \\|`), 'the DOWN member is webserver2');
  assert.match(stdout, /\[ok\] webserver2 rejoined the pool/);
  assert.match(stdout, /\[ok\] requests alternate between both members again/);
  assert.match(stdout, /\[ok\] the load balancer and its haproxy are gone/);
  assert.match(stdout, /state folder removed\n\nDemo complete\.\n$/);
  const folder = /amphora-agent --state-dir (\S+)/.exec(stdout)![1]!;
  assert.equal(existsSync(folder), false);
});
