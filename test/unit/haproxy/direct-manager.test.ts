/** The direct process manager with real haproxy: pid-file trust and adoption at agent start. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { HaproxyService } from '../../../agent/haproxy/lifecycle.ts';
import { DirectProcessManager } from '../../../agent/haproxy/direct-manager.ts';
import { lifecycleContext } from '../../helpers/lifecycle-context.ts';
import { answeringHaproxyConfig, httpGet, killHaproxyUnder, waitFor } from '../../helpers/haproxy-fixtures.ts';
import { freePort } from '../../helpers/free-port.ts';

const config = (socket: string, port: number) => answeringHaproxyConfig(socket, port, 'direct');

test('pid files are not trusted blindly; a fresh manager adopts a live master and restarts a dead one', { timeout: 30_000 }, async () => {
  const { context, directory, cleanup } = await lifecycleContext();
  const manager = new DirectProcessManager(context, { monitorIntervalMs: 100 });
  const service = new HaproxyService(context, { processManager: manager });
  try {
    const lbId = 'lb-direct-1';
    const port = await freePort();
    await service.uploadConfig('amp', lbId, async () => Buffer.from(config(context.paths.statsSocket(lbId), port)));
    // A stale pid file left by a reboot, whose pid now belongs to an unrelated process (us).
    await writeFile(context.paths.haproxyPidFile(lbId), `${process.pid}\n`);
    assert.equal(await manager.isRunning(lbId), false);
    // Reload of a "stopped" LB is a start.
    assert.deepEqual((await service.runAction(lbId, 'reload')).body, {
      message: 'OK',
      details: `Configuration file is valid\nhaproxy daemon for ${lbId} started`,
    });
    assert.equal((await httpGet(port)).body, 'direct');
    const pid = Number((await readFile(context.paths.haproxyPidFile(lbId), 'utf8')).trim());
    assert.notEqual(pid, process.pid);

    // Simulated agent restart: a fresh manager adopts the running master without replacing it.
    await manager.shutdown();
    const next = new DirectProcessManager(context, { monitorIntervalMs: 100, initialBackoffMs: 50 });
    await next.adopt([lbId]);
    assert.equal(Number((await readFile(context.paths.haproxyPidFile(lbId), 'utf8')).trim()), pid);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => {
      const current = Number((await readFile(context.paths.haproxyPidFile(lbId), 'utf8').catch(() => '0')).trim());
      return current !== pid && current !== 0 && (await httpGet(port, 500)).ok;
    }, 10_000, 'respawn by the adopting manager');
    assert.equal((await next.stop(lbId)).ok, true);
    await next.shutdown();
    assert.equal((await httpGet(port, 500)).ok, false);

    // Agent start after haproxy died while the agent was down: the stale pid file means "was running".
    await writeFile(context.paths.haproxyPidFile(lbId), '999999\n');
    const third = new DirectProcessManager(context, { monitorIntervalMs: 100 });
    await third.adopt([lbId]);
    assert.equal((await httpGet(port)).body, 'direct');
    assert.equal((await third.stop(lbId)).ok, true);
    await third.shutdown();
  } finally {
    await manager.shutdown();
    await killHaproxyUnder(directory);
    await cleanup();
  }
});

test('a respawn that cannot bind keeps retrying with back-off and recovers once the port is free', { timeout: 30_000 }, async () => {
  const { context, directory, cleanup } = await lifecycleContext();
  const manager = new DirectProcessManager(context, { monitorIntervalMs: 50, initialBackoffMs: 300, maxBackoffMs: 400 });
  const service = new HaproxyService(context, { processManager: manager });
  const { createServer } = await import('node:net');
  const squatter = createServer();
  try {
    const lbId = 'lb-direct-2';
    const port = await freePort();
    await service.uploadConfig('amp', lbId, async () => Buffer.from(config(context.paths.statsSocket(lbId), port)));
    await service.runAction(lbId, 'start');
    // Take the port from the supervisor: the first respawn is immediate, so kill whatever haproxy
    // runs and try to bind until the squatter wins; from then on its launches fail to bind.
    await waitFor(async () => {
      await killHaproxyUnder(directory);
      return new Promise<boolean>((resolve) => {
        squatter.once('error', () => resolve(false));
        squatter.listen(port, '127.0.0.1', () => {
          squatter.removeAllListeners('error');
          resolve(true);
        });
      });
    }, 5000, 'the squatter to hold the port');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(await manager.isRunning(lbId), false, 'the port is taken: no haproxy can run');
    await new Promise((resolve) => squatter.close(resolve));
    await waitFor(async () => (await httpGet(port, 300)).body === 'direct', 10_000, 'recovery after the port is freed');
    assert.equal((await service.deleteObject(lbId)).status, 200);
  } finally {
    squatter.close();
    await manager.shutdown();
    await killHaproxyUnder(directory);
    await cleanup();
  }
});
