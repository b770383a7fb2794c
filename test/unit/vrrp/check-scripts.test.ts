/**
 * The VRRP check scripts (vrrp-lvs.md §A.4, §A.5) for every state of the disk: the reference's
 * cases, and its two gaps fixed (a fresh LB without listener passes, the last LB stopped fails).
 * A running haproxy is a stand-in process naming the LB's config, as the agent checks it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentPaths } from '../../../agent/config/paths.ts';
import {
  ensureCheckScript,
  ensureLvsCheckScript,
  haproxyVrrpCheckCommand,
  updateHaproxyCheckScript,
} from '../../../agent/vrrp/check-scripts.ts';
import { vrrpPaths } from '../../../agent/vrrp/paths.ts';
import { VrrpService } from '../../../agent/vrrp/service.ts';
import { lifecycleContext } from '../../helpers/lifecycle-context.ts';
import { startStandIn } from '../../helpers/stand-in-process.ts';

async function addLb(paths: AgentPaths, lbId: string): Promise<void> {
  await mkdir(paths.lbDir(lbId), { recursive: true });
  await writeFile(paths.haproxyConfig(lbId), '# haproxy.cfg\n');
}

const script = (paths: AgentPaths) => readFile(vrrpPaths(paths).haproxyCheckScript, 'utf8').catch(() => undefined);

test('haproxy check script: fresh LB, LVS only, running LBs, stop of the last LB, delete', async () => {
  const { context, cleanup } = await lifecycleContext();
  const paths = context.paths;
  const check = haproxyVrrpCheckCommand();
  try {
    // Nothing configured yet: passes, so VRRP elects a MASTER and the VIP answers.
    await updateHaproxyCheckScript(paths, undefined, 'start');
    assert.equal(await script(paths), 'exit 0');

    // Only LVS listeners: no haproxy check at all.
    await mkdir(paths.lvsDir, { recursive: true });
    await writeFile(join(paths.lvsDir, 'octavia-keepalivedlvs-l1.conf'), '');
    await updateHaproxyCheckScript(paths, undefined, 'start');
    assert.equal(await script(paths), undefined);

    await addLb(paths, 'lb-a');
    await updateHaproxyCheckScript(paths, 'lb-a', 'start');
    assert.equal(await script(paths), `${check} ${paths.statsSocket('lb-a')}; exit $?`);

    // A second LB starting while the first one's haproxy runs: both sockets, in listing order.
    await addLb(paths, 'lb-b');
    const standIn = startStandIn('-f', paths.haproxyConfig('lb-a'));
    try {
      await writeFile(paths.haproxyPidFile('lb-a'), `${standIn.pid}\n`);
      await updateHaproxyCheckScript(paths, 'lb-b', 'reload');
      assert.equal(await script(paths), `${check} ${paths.statsSocket('lb-a')} ${paths.statsSocket('lb-b')}; exit $?`);
      await updateHaproxyCheckScript(paths, 'lb-b', 'stop');
      assert.equal(await script(paths), `${check} ${paths.statsSocket('lb-a')}; exit $?`);
    } finally {
      standIn.kill('SIGKILL');
    }
    await new Promise((resolve) => standIn.once('exit', resolve));
    // The last serving LB stops: fails (the reference writes `haproxy-vrrp-check ; exit $?`, which passes).
    await updateHaproxyCheckScript(paths, 'lb-a', 'stop');
    assert.equal(await script(paths), 'exit 1');
    // An LB that is not running is not checked when another one starts.
    await updateHaproxyCheckScript(paths, 'lb-a', 'start');
    assert.equal(await script(paths), `${check} ${paths.statsSocket('lb-a')}; exit $?`);

    // Deleting lb-b leaves lb-a, configured but not running here: fails.
    await updateHaproxyCheckScript(paths, 'lb-b', 'delete');
    assert.equal(await script(paths), 'exit 1');
    // Deleting every LB with LVS listeners left: no haproxy check; without them: passes again.
    await rm(paths.lbDir('lb-b'), { recursive: true });
    await updateHaproxyCheckScript(paths, 'lb-a', 'delete');
    assert.equal(await script(paths), undefined);
    await rm(paths.lvsDir, { recursive: true });
    await updateHaproxyCheckScript(paths, 'lb-a', 'delete');
    assert.equal(await script(paths), 'exit 0');
  } finally {
    await cleanup();
  }
});

test('check_script.sh runs every check and sums their exit codes; refreshed when its text changes', async () => {
  const { context, cleanup } = await lifecycleContext();
  const files = vrrpPaths(context.paths);
  try {
    await ensureCheckScript(context.paths);
    assert.equal((await stat(files.checkScript)).mode & 0o777, 0o755);
    const run = () => {
      try {
        execFileSync(files.checkScript, { stdio: 'ignore' });
        return 0;
      } catch (error) {
        return (error as { status: number }).status;
      }
    };
    assert.equal(run(), 0, 'no check: passes');
    await writeFile(join(files.checkScriptsDir, 'a.sh'), 'exit 1');
    await writeFile(join(files.checkScriptsDir, 'b.sh'), 'exit 2');
    assert.equal(run(), 3);
    // An older text (an agent upgrade) is replaced, mode restored.
    await writeFile(files.checkScript, '#!/bin/bash\nexit 0\n', { mode: 0o700 });
    await ensureCheckScript(context.paths);
    assert.equal(run(), 3);
    assert.equal((await stat(files.checkScript)).mode & 0o777, 0o755);
  } finally {
    await cleanup();
  }
});

test('lvs_udp_check.sh (direct process manager): fails while a listener keepalived pid is dead', async () => {
  const { context, cleanup } = await lifecycleContext();
  const paths = context.paths;
  const files = vrrpPaths(paths);
  try {
    await mkdir(paths.lvsDir, { recursive: true });
    await ensureLvsCheckScript(paths, 'direct');
    const run = () => {
      try {
        execFileSync('bash', [files.lvsCheckScript], { stdio: 'ignore' });
        return 0;
      } catch (error) {
        return (error as { status: number }).status;
      }
    };
    assert.equal(run(), 0);
    const standIn = startStandIn('keepalived');
    try {
      await writeFile(join(paths.lvsDir, 'octavia-keepalivedlvs-l1.pid'), `${standIn.pid}\n`);
      // Child pid files are not listener pid files (the extension after the first dot).
      await writeFile(join(paths.lvsDir, 'octavia-keepalivedlvs-l1.vrrp.pid'), '999999\n');
      assert.equal(run(), 0);
    } finally {
      standIn.kill('SIGKILL');
    }
    await new Promise((resolve) => standIn.once('exit', resolve));
    assert.equal(run(), 1);
    await ensureLvsCheckScript(paths, 'systemd');
    assert.match(await readFile(files.lvsCheckScript, 'utf8'), /systemctl status \$\(basename \$file \.pid\)/u);
  } finally {
    await cleanup();
  }
});

test('LVS upload in ACTIVE_STANDBY: the LVS check installed, the haproxy check refreshed; nothing in SINGLE', async () => {
  const { context, cleanup } = await lifecycleContext({ controller_worker: ['loadbalancer_topology = ACTIVE_STANDBY'] });
  const paths = context.paths;
  const files = vrrpPaths(paths);
  try {
    const service = new VrrpService(context);
    await mkdir(paths.lvsDir, { recursive: true });
    await writeFile(join(paths.lvsDir, 'octavia-keepalivedlvs-l1.conf'), '');
    await mkdir(files.checkScriptsDir, { recursive: true });
    await writeFile(files.haproxyCheckScript, 'exit 1');
    await service.afterLvsUpload();
    assert.match(await readFile(files.lvsCheckScript, 'utf8'), /kill -0/u);
    assert.equal((await stat(files.lvsCheckScript)).mode & 0o777, 0o700);
    assert.equal(await script(paths), undefined, 'LVS only: no haproxy check');

    const single = await lifecycleContext();
    try {
      await new VrrpService(single.context).afterLvsUpload();
      await assert.rejects(stat(vrrpPaths(single.context.paths).lvsCheckScript));
    } finally {
      await single.cleanup();
    }
  } finally {
    await cleanup();
  }
});
