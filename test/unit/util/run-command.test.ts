import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../../../agent/util/run-command.ts';

test('stdout and stderr are merged; exit codes are reported, not thrown', async () => {
  const result = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(result.exitCode, 3);
  assert.match(result.output, /out/u);
  assert.match(result.output, /err/u);
  assert.equal(result.timedOut, false);
});

test('no shell: arguments reach the command verbatim', async () => {
  const result = await runCommand('printf', ['%s|', '$(id)', 'a b', ';rm -rf /']);
  assert.equal(result.output, '$(id)|a b|;rm -rf /|');
});

test('a missing binary is an exit code, not an exception', async () => {
  const result = await runCommand('/no/such/binary', []);
  assert.equal(result.exitCode, -1);
  assert.match(result.output, /ENOENT/u);
});

test('the timeout bounds the call even when a child keeps the pipes open', async () => {
  const started = performance.now();
  const hung = await runCommand('sleep', ['30'], { timeoutMs: 300 });
  assert.equal(hung.timedOut, true);
  assert.ok(performance.now() - started < 2000);
  const daemonStarted = performance.now();
  const daemonized = await runCommand('sh', ['-c', 'sleep 5 & echo launched; exit 0'], { timeoutMs: 10_000 });
  assert.equal(daemonized.exitCode, 0);
  assert.match(daemonized.output, /launched/u);
  assert.ok(performance.now() - daemonStarted < 3000, 'a leftover child holding stdout does not hold the caller');
});

test('input is written to stdin', async () => {
  assert.equal((await runCommand('cat', [], { input: 'hello' })).output, 'hello');
});
