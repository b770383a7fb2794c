/** The supervised-daemon layer with real daemonizing processes (a Node stand-in, see the fixture). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectDaemon, type DaemonDescription } from '../../../agent/daemons/direct-daemon.ts';
import { isProcessAlive, readPidFile, signal } from '../../../agent/util/process-state.ts';
import { lifecycleContext } from '../../helpers/lifecycle-context.ts';

const fixture = fileURLToPath(new URL('../../helpers/daemon-fixture.ts', import.meta.url));
const fast = { monitorIntervalMs: 50, initialBackoffMs: 50, maxBackoffMs: 200, stableAfterMs: 60_000, stopGraceMs: 400 };

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function setup(behaviour: string, extra: Partial<DaemonDescription> = {}) {
  const lab = await lifecycleContext();
  const dir = lab.directory;
  const behaviours = new Map<string, string>();
  const description: DaemonDescription = {
    label: 'fixture',
    idField: 'fixtureId',
    commandLine: async (id) => ({
      command: process.execPath,
      args: [fixture, 'launch', join(dir, `${id}.conf`), join(dir, `${id}.pid`), behaviours.get(id) ?? behaviour, join(dir, `${id}.child.pid`)],
    }),
    pidFile: (id) => join(dir, `${id}.pid`),
    identifyingArgument: (id) => join(dir, `${id}.conf`),
    hasConfig: async (id) => existsSync(join(dir, `${id}.conf`)),
    ...extra,
  };
  const daemons: DirectDaemon[] = [];
  const make = () => {
    const daemon = new DirectDaemon(lab.context, description, fast);
    daemons.push(daemon);
    return daemon;
  };
  const pids = new Set<number>();
  const pidOf = async (id: string, file = `${id}.pid`) => {
    const pid = await readPidFile(join(dir, file));
    if (pid !== undefined) pids.add(pid);
    return pid;
  };
  return {
    dir,
    behaviours,
    make,
    pidOf,
    context: lab.context,
    async cleanup() {
      for (const daemon of daemons) daemon.shutdown();
      for (const pid of pids) signal(pid, 'SIGKILL');
      await lab.cleanup();
    },
  };
}

test('start launches once, verifies the pid, and a second start adopts the running daemon', { timeout: 20_000 }, async () => {
  const lab = await setup('normal');
  try {
    await writeFile(join(lab.dir, 'a.conf'), '');
    const daemon = lab.make();
    assert.deepEqual(await daemon.start('a'), { ok: true, output: '' });
    const pid = await lab.pidOf('a');
    assert.ok(pid !== undefined && (await isProcessAlive(pid)));
    assert.equal(await daemon.livePid('a'), pid);
    assert.equal((await daemon.start('a')).ok, true);
    assert.equal(await lab.pidOf('a'), pid, 'no second launch');
    // A pid file naming a process that does not carry the config is not trusted.
    await writeFile(join(lab.dir, 'a.pid'), `${process.pid}\n`);
    assert.equal(await daemon.isRunning('a'), false);
    await writeFile(join(lab.dir, 'a.pid'), `${pid}\n`);
    assert.deepEqual(await daemon.stop('a'), { ok: true, output: '' });
    await assert.doesNotReject(() => (async () => assert.equal(await isProcessAlive(pid), false))());
    assert.equal(existsSync(join(lab.dir, 'a.pid')), false);
  } finally {
    await lab.cleanup();
  }
});

test('a daemon that dies while wanted is respawned; a stopped one is not', { timeout: 20_000 }, async () => {
  const lab = await setup('normal');
  try {
    await writeFile(join(lab.dir, 'b.conf'), '');
    const daemon = lab.make();
    assert.equal((await daemon.start('b')).ok, true);
    const first = (await lab.pidOf('b'))!;
    signal(first, 'SIGKILL');
    await waitFor(async () => {
      const pid = await lab.pidOf('b');
      return pid !== undefined && pid !== first && (await daemon.isRunning('b'));
    });
    await daemon.stop('b');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await daemon.isRunning('b'), false, 'a stopped daemon stays stopped');
  } finally {
    await lab.cleanup();
  }
});

test('stop kills a daemon that ignores SIGTERM after the grace, with its process group', { timeout: 20_000 }, async () => {
  const lab = await setup('parent', { killGroup: true });
  try {
    lab.behaviours.set('c', 'stubborn');
    await writeFile(join(lab.dir, 'c.conf'), '');
    const daemon = lab.make();
    assert.equal((await daemon.start('c')).ok, true);
    const pid = (await lab.pidOf('c'))!;
    const started = Date.now();
    await daemon.stop('c');
    assert.ok(Date.now() - started >= fast.stopGraceMs, 'SIGTERM was given its grace first');
    assert.equal(await isProcessAlive(pid), false);
  } finally {
    await lab.cleanup();
  }
});

test('children named by pid files are waited for and killed; their pid files removed', { timeout: 20_000 }, async () => {
  const lab = await setup('parent', { childPidFiles: (id) => [join(lab.dir, `${id}.child.pid`)] });
  try {
    await writeFile(join(lab.dir, 'd.conf'), '');
    const daemon = lab.make();
    assert.equal((await daemon.start('d')).ok, true);
    await waitFor(async () => (await lab.pidOf('d', 'd.child.pid')) !== undefined);
    const child = (await lab.pidOf('d', 'd.child.pid'))!;
    await daemon.stop('d');
    assert.equal(await isProcessAlive(child), false);
    assert.equal(existsSync(join(lab.dir, 'd.child.pid')), false);
  } finally {
    await lab.cleanup();
  }
});

test('a daemon that exits right after writing its pid fails the start with the hint', { timeout: 20_000 }, async () => {
  const lab = await setup('dies', { settleMs: 400, noPidHint: 'exited during its start' });
  try {
    await writeFile(join(lab.dir, 'e.conf'), '');
    const outcome = await lab.make().start('e');
    assert.equal(outcome.ok, false);
    assert.match(outcome.output, /fixture for e exited during its start/u);
  } finally {
    await lab.cleanup();
  }
});

test('a refusal from the command line is the outcome, and nothing is launched', async () => {
  const lab = await setup('normal', { commandLine: async () => 'no entry for f' });
  try {
    assert.deepEqual(await lab.make().start('f'), { ok: false, output: 'no entry for f' });
    assert.equal(existsSync(join(lab.dir, 'f.pid')), false);
  } finally {
    await lab.cleanup();
  }
});

test('after an agent restart: a live daemon is adopted, a wanted dead one started, an unwanted one left', { timeout: 20_000 }, async () => {
  const lab = await setup('normal', { wantedMarker: (id) => join(lab.dir, `${id}.wanted`) });
  try {
    for (const id of ['g', 'h', 'i']) await writeFile(join(lab.dir, `${id}.conf`), '');
    const before = lab.make();
    for (const id of ['g', 'h']) assert.equal((await before.start(id)).ok, true);
    assert.ok(existsSync(join(lab.dir, 'g.wanted')));
    before.shutdown();
    const adopted = (await lab.pidOf('g'))!;
    const crashed = (await lab.pidOf('h'))!;
    signal(crashed, 'SIGKILL');
    await waitFor(async () => !(await isProcessAlive(crashed)));
    const after = lab.make();
    await after.adopt(['g', 'h', 'i']);
    assert.equal(await after.livePid('g'), adopted, 'the live one is adopted, not relaunched');
    const restarted = await after.livePid('h');
    assert.ok(restarted !== undefined && restarted !== crashed, 'the wanted one is started again');
    await lab.pidOf('h');
    assert.equal(await after.isRunning('i'), false, 'never started: not started at adoption');
    // Adopted daemons are supervised: a crash now is respawned.
    signal(adopted, 'SIGKILL');
    await waitFor(async () => {
      const pid = await lab.pidOf('g');
      return pid !== undefined && pid !== adopted && (await after.isRunning('g'));
    });
    await after.forget('g');
    assert.equal(existsSync(join(lab.dir, 'g.wanted')), false);
  } finally {
    await lab.cleanup();
  }
});
