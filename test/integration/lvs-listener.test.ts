/**
 * UDP/SCTP listeners with the real keepalived 2.2 and the direct process manager, inside a
 * network namespace created for the test. The kernel has no IPVS (see test/helpers/lvs-fixtures.ts),
 * so the running keepalived serves a disabled listener's config (no virtual_server); configs
 * with virtual servers are checked by keepalived but cannot run here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { refusalAnswer } from '../helpers/refusal.ts';
import { HaproxyService } from '../../agent/haproxy/lifecycle.ts';
import { lvsChildPidPaths, lvsConfigPath, lvsPidPath } from '../../agent/lvs/layout.ts';
import { LvsListenerService } from '../../agent/lvs/listener-service.ts';
import { fileExists } from '../../agent/util/atomic-file.ts';
import { isProcessAlive, readPidFile } from '../../agent/util/process-state.ts';
import { templatesDir } from '../../agent/util/project-root.ts';
import { runCommand } from '../../agent/util/run-command.ts';
import { waitFor } from '../helpers/haproxy-fixtures.ts';
import { lifecycleContext, type LifecycleTestContext } from '../helpers/lifecycle-context.ts';
import { disabledLvsConfig, KERNEL_HAS_IPVS, killKeepalivedUnder, udpVirtualServerConfig } from '../helpers/lvs-fixtures.ts';

const namespace = `lvs-${randomBytes(4).toString('hex')}`;
const lbId = randomUUID();
let setup: LifecycleTestContext;
let lvs: LvsListenerService;
let haproxy: HaproxyService;

const fastSupervision = { monitorIntervalMs: 100, initialBackoffMs: 100, maxBackoffMs: 400 };

before(async () => {
  assert.equal((await runCommand('ip', ['netns', 'add', namespace])).exitCode, 0);
  setup = await lifecycleContext({ amphora_agent: [`network_namespace = ${namespace}`] });
  lvs = new LvsListenerService(setup.context, { direct: fastSupervision });
  haproxy = new HaproxyService(setup.context, { lvs });
  await lvs.start();
});

after(async () => {
  await lvs.shutdown();
  await killKeepalivedUnder(setup.directory);
  await setup.cleanup();
  await runCommand('ip', ['netns', 'del', namespace]);
});

const body = (text: string) => async () => Buffer.from(text);

async function rejects(promise: Promise<unknown>, status: number, expected: object): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    const answer = refusalAnswer(error);
    assert.equal(answer.status, status);
    assert.deepEqual(answer.body, expected);
    return true;
  });
}

/** The live keepalived of a listener: pid from the reference's pid file, alive and not a zombie. */
async function livePid(listenerId: string): Promise<number> {
  return waitFor(
    async () => {
      const pid = await readPidFile(lvsPidPath(setup.context.paths, listenerId));
      return pid !== undefined && (await isProcessAlive(pid)) ? pid : undefined;
    },
    5000,
    `keepalived of ${listenerId}`,
  );
}

test('upload writes the config (0644) and the bundled check script (0100), answers 200 with the MD5 ETag', async () => {
  const listenerId = randomUUID();
  const text = disabledLvsConfig(lbId, listenerId, namespace);
  const reply = await lvs.upload(listenerId, body(text));
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body, { message: 'OK' });
  assert.equal(reply.etag, createHash('md5').update(text).digest('hex'));

  const paths = setup.context.paths;
  assert.equal(await readFile(lvsConfigPath(paths, listenerId), 'utf8'), text);
  assert.equal((await stat(lvsConfigPath(paths, listenerId))).mode & 0o7777, 0o644);
  const script = join(paths.lvsDir, 'check', 'udp_check.sh');
  assert.equal((await stat(script)).mode & 0o7777, 0o100);
  assert.deepEqual(await readFile(script), await readFile(join(templatesDir(), 'lvs', 'udp_check.sh')));

  const got = await lvs.getConfig(listenerId);
  assert.equal(got.status, 200);
  assert.equal(String(got.body), text);
  assert.equal(got.etag, undefined);
  // Uploading does not start keepalived (the controller follows with a reload).
  assert.equal(await fileExists(lvsPidPath(paths, listenerId)), false);
  assert.equal((await haproxy.deleteObject(listenerId)).status, 200);
});

test('a config keepalived refuses is a 400 with its output; the live config stays', async () => {
  const listenerId = randomUUID();
  const good = disabledLvsConfig(lbId, listenerId, namespace);
  await lvs.upload(listenerId, body(good));
  await assert.rejects(lvs.upload(listenerId, body('virtual_server group g {\n    no_such_keyword 1\n')), (error: unknown) => {
    const answer = refusalAnswer(error);
    assert.equal(answer.status, 400);
    const details = (answer.body as { message: string; details: string });
    assert.equal(details.message, 'Invalid request');
    assert.match(details.details, /Unknown keyword 'no_such_keyword'/u);
    return true;
  });
  assert.equal(await readFile(lvsConfigPath(setup.context.paths, listenerId), 'utf8'), good);
  assert.deepEqual((await readdir(setup.context.paths.lvsDir)).filter((name) => name.includes('.new')), []);
  assert.equal((await haproxy.deleteObject(listenerId)).status, 200);
});

test('a UDP virtual server with a MISC_CHECK passes keepalived\'s check; without IPVS it cannot start', async () => {
  const listenerId = randomUUID();
  const checkScript = join(setup.context.paths.lvsDir, 'check', 'udp_check.sh');
  const config = udpVirtualServerConfig(lbId, listenerId, namespace, checkScript);
  // The script-security report alone is no refusal; with a real error beside it, it is.
  const broken = config.replace('            misc_timeout 3\n', '            misc_timeout 3\n            misc_nonsense 1\n');
  assert.notEqual(broken, config);
  await assert.rejects(lvs.upload(listenerId, body(broken)), (error: unknown) => refusalAnswer(error).status === 400);
  assert.equal((await lvs.upload(listenerId, body(config))).status, 200);
  if (!KERNEL_HAS_IPVS) {
    await assert.rejects(haproxy.runAction(listenerId, 'start'), (error: unknown) => {
      const answer = refusalAnswer(error);
      assert.equal(answer.status, 500);
      assert.equal((answer.body as { message: string }).message, `Failed to start keepalivedlvs listener ${listenerId}`);
      return true;
    });
  }
  assert.equal((await haproxy.deleteObject(listenerId)).status, 200);
});

test('start, reload (a restart), stop and delete through the shared LB routes', { timeout: 60_000 }, async () => {
  const listenerId = randomUUID();
  const paths = setup.context.paths;
  await lvs.upload(listenerId, body(disabledLvsConfig(lbId, listenerId, namespace)));

  assert.deepEqual((await haproxy.runAction(listenerId, 'START')).body, { message: 'OK', details: `keepalivedlvs listener ${listenerId} started` });
  const first = await livePid(listenerId);
  assert.equal((await stat(`/proc/${first}/ns/net`)).ino, (await stat(`/run/netns/${namespace}`)).ino, 'runs in the namespace');
  const children = lvsChildPidPaths(paths, listenerId);
  const argv = (await readFile(`/proc/${first}/cmdline`, 'utf8')).split('\0').slice(0, -1);
  assert.deepEqual(argv.slice(1), [
    '-D', '--log-facility=1',
    '-f', lvsConfigPath(paths, listenerId),
    '-p', lvsPidPath(paths, listenerId),
    '-r', children.vrrp,
    '-c', children.check,
  ]);
  // No virtual_server: running, but OFFLINE (§4.3).
  assert.deepEqual((await haproxy.listListeners()).find((entry) => entry.uuid === listenerId), { status: 'OFFLINE', uuid: listenerId, type: 'UDP' });

  assert.deepEqual((await haproxy.runAction(listenerId, 'reload')).body, { message: 'OK', details: `keepalivedlvs listener ${listenerId} restarted` });
  const second = await livePid(listenerId);
  assert.notEqual(second, first);
  assert.equal(await isProcessAlive(first), false);

  assert.deepEqual((await haproxy.runAction(listenerId, 'stop')).body, { message: 'OK', details: `keepalivedlvs listener ${listenerId} stoped` });
  assert.equal(await isProcessAlive(second), false);
  assert.equal(await fileExists(lvsPidPath(paths, listenerId)), false);

  await haproxy.runAction(listenerId, 'start');
  const third = await livePid(listenerId);
  assert.deepEqual((await haproxy.deleteObject(listenerId)).body, { message: 'OK' });
  assert.equal(await isProcessAlive(third), false);
  const left = (await readdir(paths.lvsDir)).filter((name) => name.includes(listenerId));
  assert.deepEqual(left, []);
  await rejects(lvs.getConfig(listenerId), 404, { message: 'UDP Listener Not Found', details: `No UDP listener with UUID: ${listenerId}` });
  await rejects(haproxy.runAction(listenerId, 'start'), 404, { message: 'Loadbalancer Not Found', details: `No loadbalancer with UUID: ${listenerId}` });
  assert.deepEqual((await haproxy.deleteObject(listenerId)).body, { message: 'OK' });
});

test('a crashed keepalived is respawned; after an agent restart a live one is adopted and a dead one started', { timeout: 60_000 }, async () => {
  const listenerId = randomUUID();
  await lvs.upload(listenerId, body(disabledLvsConfig(lbId, listenerId, namespace)));
  await haproxy.runAction(listenerId, 'start');
  const first = await livePid(listenerId);

  process.kill(first, 'SIGKILL');
  const respawned = await waitFor(async () => {
    const pid = await readPidFile(lvsPidPath(setup.context.paths, listenerId));
    return pid !== undefined && pid !== first && (await isProcessAlive(pid)) ? pid : undefined;
  }, 10_000, 'respawned keepalived');

  // Agent restart: a new service adopts the running keepalived without touching it.
  await lvs.shutdown();
  lvs = new LvsListenerService(setup.context, { direct: fastSupervision });
  haproxy = new HaproxyService(setup.context, { lvs });
  await lvs.start();
  assert.equal(await livePid(listenerId), respawned);

  // keepalived died while the agent was down: the next agent starts it again.
  await lvs.shutdown();
  process.kill(respawned, 'SIGKILL');
  await waitFor(async () => !(await isProcessAlive(respawned)), 5000, 'killed keepalived gone');
  lvs = new LvsListenerService(setup.context, { direct: fastSupervision });
  haproxy = new HaproxyService(setup.context, { lvs });
  await lvs.start();
  const restarted = await livePid(listenerId);
  assert.notEqual(restarted, respawned);

  // A stopped listener stays stopped across agent restarts.
  await haproxy.runAction(listenerId, 'stop');
  await lvs.shutdown();
  lvs = new LvsListenerService(setup.context, { direct: fastSupervision });
  haproxy = new HaproxyService(setup.context, { lvs });
  await lvs.start();
  assert.equal(await fileExists(lvsPidPath(setup.context.paths, listenerId)), false);
  assert.equal((await haproxy.deleteObject(listenerId)).status, 200);
});

test('delete with a stale main pid file alone answers 200 and removes everything (reference: 500)', async () => {
  const listenerId = randomUUID();
  const paths = setup.context.paths;
  await lvs.upload(listenerId, body(disabledLvsConfig(lbId, listenerId, namespace)));
  await writeFile(lvsPidPath(paths, listenerId), '999999\n');
  assert.deepEqual((await haproxy.listListeners()).find((entry) => entry.uuid === listenerId)?.status, 'ERROR');
  assert.deepEqual((await haproxy.deleteObject(listenerId)).body, { message: 'OK' });
  assert.deepEqual((await readdir(paths.lvsDir)).filter((name) => name.includes(listenerId)), []);
});

test('unsafe ids are refused before the body is read or the disk touched', async () => {
  const before = await readdir(setup.context.paths.lvsDir).catch(() => []);
  for (const id of ['..', '../escape', 'a b', 'x'.repeat(65), 'lvs/check']) {
    let read = false;
    await rejects(lvs.upload(id, async () => {
      read = true;
      return Buffer.from('');
    }), 400, { message: 'Invalid request', details: 'Invalid listener id' });
    assert.equal(read, false);
    await rejects(lvs.getConfig(id), 404, { message: 'UDP Listener Not Found', details: `No UDP listener with UUID: ${id}` });
  }
  assert.deepEqual(await readdir(setup.context.paths.lvsDir).catch(() => []), before);
});

test('without the bundled check script the first upload is the reference\'s 409', async () => {
  const bare = await lifecycleContext({ amphora_agent: [`network_namespace = ${namespace}`] });
  try {
    const service = new LvsListenerService(bare.context, { udpCheckScript: join(bare.directory, 'missing.sh') });
    const listenerId = randomUUID();
    await rejects(service.upload(listenerId, body(disabledLvsConfig(lbId, listenerId, namespace))), 409, {
      error: `409 Conflict: udp_check.sh not Found for UDP Listener ${listenerId}`,
      http_code: 409,
    });
    assert.equal(await fileExists(lvsConfigPath(bare.context.paths, listenerId)), false);
  } finally {
    await bare.cleanup();
  }
});

test('key material never comes back from a refused upload: include refused, quoted key lines redacted', async () => {
  const listenerId = randomUUID();
  const keyLine = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';
  const secretFile = join(setup.context.paths.basePath, 'secret.pem');
  await writeFile(secretFile, `-----BEGIN PRIVATE KEY-----\n${keyLine}\n-----END PRIVATE KEY-----\n`);
  for (const text of [`include ${secretFile}\n`, `virtual_server group g {\n    ${keyLine} 1\n}\n`]) {
    await assert.rejects(lvs.upload(listenerId, body(text)), (error: unknown) => {
      const answer = refusalAnswer(error);
      assert.equal(answer.status, 400);
      const details = (answer.body as { details: string }).details;
      assert.ok(!details.includes(keyLine), details);
      assert.ok(!details.includes('BEGIN PRIVATE KEY'), details);
      assert.match(details, /include directives are not accepted|\[redacted\]/u);
      return true;
    });
  }
  await assert.rejects(readFile(lvsConfigPath(setup.context.paths, listenerId)));
});
