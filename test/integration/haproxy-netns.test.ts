/**
 * The direct process manager runs haproxy inside `[amphora_agent] network_namespace`: a
 * namespace created here for the test (unique name, removed afterwards).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { HaproxyService } from '../../agent/haproxy/lifecycle.ts';
import { runCommand } from '../../agent/util/run-command.ts';
import { lifecycleContext } from '../helpers/lifecycle-context.ts';
import { answeringHaproxyConfig, httpGet, killHaproxyUnder } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

test('haproxy runs, reloads and stops inside the configured network namespace', { timeout: 60_000 }, async () => {
  const namespace = `amp-test-${randomBytes(4).toString('hex')}`;
  assert.equal((await runCommand('ip', ['netns', 'add', namespace])).exitCode, 0);
  const { context, directory, cleanup } = await lifecycleContext({ amphora_agent: [`network_namespace = ${namespace}`] });
  const service = new HaproxyService(context);
  try {
    await runCommand('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    const lbId = `lb-${randomBytes(4).toString('hex')}`;
    const port = await freePort();
    const config = answeringHaproxyConfig(context.paths.statsSocket(lbId), port, 'inside-namespace');
    assert.equal((await service.uploadConfig('amp', lbId, async () => Buffer.from(config))).status, 202);
    assert.equal((await service.runAction(lbId, 'start')).status, 202);

    const pid = Number((await readFile(context.paths.haproxyPidFile(lbId), 'utf8')).trim());
    assert.equal((await stat(`/proc/${pid}/ns/net`)).ino, (await stat(`/run/netns/${namespace}`)).ino);
    const inside = await runCommand('ip', ['netns', 'exec', namespace, 'curl', '-s', '-m', '3', `http://127.0.0.1:${port}/`]);
    assert.equal(inside.output, 'inside-namespace');
    assert.equal((await httpGet(port, 1000)).ok, false, 'not reachable from the default namespace');

    assert.deepEqual((await service.runAction(lbId, 'reload')).body, { message: 'OK', details: `Listener ${lbId} reloaded` });
    const again = await runCommand('ip', ['netns', 'exec', namespace, 'curl', '-s', '-m', '3', `http://127.0.0.1:${port}/`]);
    assert.equal(again.output, 'inside-namespace');

    assert.equal((await service.deleteObject(lbId)).status, 200);
    const after = await runCommand('ip', ['netns', 'exec', namespace, 'curl', '-s', '-m', '1', `http://127.0.0.1:${port}/`]);
    assert.notEqual(after.exitCode, 0);
  } finally {
    await service.shutdown();
    await killHaproxyUnder(directory);
    await cleanup();
    await runCommand('ip', ['netns', 'del', namespace]);
  }
});
