/** A wedged haproxy (its worker stopped, the stats socket silent) restarted on the heartbeat's request. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { DirectProcessManager } from '../../agent/haproxy/direct-manager.ts';
import { HaproxyService } from '../../agent/haproxy/lifecycle.ts';
import { readPidFile, signal } from '../../agent/util/process-state.ts';
import { lifecycleContext } from '../helpers/lifecycle-context.ts';
import { answeringHaproxyConfig, httpGet, killHaproxyUnder } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

const config = (socket: string, port: number) => answeringHaproxyConfig(socket, port, 'serving');

async function childrenOf(parent: number): Promise<number[]> {
  const children: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/u.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) children.push(Number(name));
  }
  return children;
}

test('restartWedged leaves an answering haproxy alone and restarts one whose worker is stuck', { timeout: 60_000 }, async () => {
  const { context, directory, cleanup } = await lifecycleContext();
  const manager = new DirectProcessManager(context, { monitorIntervalMs: 100, stopGraceMs: 1000 });
  const service = new HaproxyService(context, { processManager: manager });
  const stopped: number[] = [];
  try {
    const lbId = 'lb-wedged-1';
    const port = await freePort();
    await service.uploadConfig('amp', lbId, async () => Buffer.from(config(context.paths.statsSocket(lbId), port)));
    assert.equal((await service.runAction(lbId, 'start')).status, 202);
    const master = (await readPidFile(context.paths.haproxyPidFile(lbId)))!;
    assert.equal((await httpGet(port)).body, 'serving');

    await service.restartWedged(lbId, 3);
    assert.equal(await readPidFile(context.paths.haproxyPidFile(lbId)), master, 'an answering haproxy is not restarted');

    for (const worker of await childrenOf(master)) {
      signal(worker, 'SIGSTOP');
      stopped.push(worker);
    }
    assert.ok(stopped.length > 0, 'the worker was found');
    assert.equal((await httpGet(port, 500)).ok, false, 'the stuck worker serves nothing');

    await service.restartWedged(lbId, 3);
    const restarted = await readPidFile(context.paths.haproxyPidFile(lbId));
    assert.ok(restarted !== undefined && restarted !== master, 'a new master runs');
    assert.equal((await httpGet(port)).body, 'serving');
    assert.equal(await manager.isRunning(lbId), true);
  } finally {
    for (const pid of stopped) signal(pid, 'SIGCONT');
    await manager.shutdown();
    await killHaproxyUnder(directory);
    await cleanup();
  }
});
