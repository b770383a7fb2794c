import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { connect } from 'node:tls';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificateAuthority } from '../../agent/certs/dev-pki.ts';
import { after, before, test } from 'node:test';
import { HaproxyService } from '../../agent/haproxy/lifecycle.ts';
import { ModelService } from '../../agent/apply/service.ts';
import { LvsListenerService } from '../../agent/lvs/listener-service.ts';
import { fileExists } from '../../agent/util/atomic-file.ts';
import { MAX_RENDERED_SERVER_LINES } from '../../agent/model/limits.ts';
import { readPidFile, signal } from '../../agent/util/process-state.ts';
import { httpGet, killHaproxyUnder, startMembers, waitFor } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';
import { lifecycleContext, type LifecycleTestContext } from '../helpers/lifecycle-context.ts';

/**
 * The model endpoint's guarantees, driven in process with real haproxy (direct manager): it
 * takes the LB's own lock (`lb:<id>`, the raw upload's); model.json and haproxy.cfg only ever
 * describe what runs (a model haproxy cannot start or reload leaves both as they were, one it
 * has not confirmed yet is kept and said so); a model past the render bound reaches nothing on
 * disk; a model read back carries no private key and applies again.
 */

let setup: LifecycleTestContext;
let haproxy: HaproxyService;
let models: ModelService;
let members: Awaited<ReturnType<typeof startMembers>>;
const amphoraId = randomUUID();
const created: string[] = [];

before(async () => {
  setup = await lifecycleContext();
  haproxy = new HaproxyService(setup.context);
  await haproxy.start();
  models = new ModelService(setup.context, haproxy, new LvsListenerService(setup.context));
  members = await startMembers(['member-a']);
});

after(async () => {
  for (const lbId of created) await haproxy.deleteObject(lbId).catch(() => undefined);
  await haproxy.shutdown();
  await killHaproxyUnder(setup.directory);
  await members.close();
  await setup.cleanup();
});

function model(lbId: string, ports: number[]) {
  const poolId = randomUUID();
  return {
    loadbalancer: {
      id: lbId,
      vip: { ip_address: '127.0.0.1' },
      listeners: ports.map((port) => ({ id: randomUUID(), protocol: 'HTTP', protocol_port: port, default_pool_id: poolId })),
      pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ id: randomUUID(), address: '127.0.0.1', protocol_port: members.ports[0] }] }],
    },
  };
}

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

/** A port held by a plain socket: haproxy -c accepts a bind on it, starting haproxy does not. */
async function busyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

test('a model PUT waits for the LB lock held by a raw upload or action, and does not deadlock', { timeout: 60_000 }, async () => {
  const lbId = randomUUID();
  created.push(lbId);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const holder = setup.context.locks.run(`lb:${lbId}`, () => held);
  let settled = false;
  const put = models.put(amphoraId, lbId, body(model(lbId, [await freePort()]))).finally(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(settled, false, 'the model PUT ran while another operation held the LB');
  assert.equal(await fileExists(models.modelPath(lbId)), false);
  assert.equal(await fileExists(setup.context.paths.haproxyConfig(lbId)), false);
  // Queued behind the PUT: it must run after the whole PUT (install and start), not between
  // them, and at all (the PUT does not re-enter its own lock).
  const action = haproxy.runAction(lbId, 'stop');
  release();
  await holder;
  const reply = await put;
  assert.equal(reply.status, 202);
  assert.equal((await action).status, 202);
  assert.equal(await haproxy.processes.isRunning(lbId), false, 'the stop ran before the PUT had started haproxy');
  assert.equal(JSON.parse(await readFile(models.modelPath(lbId), 'utf8')).model.loadbalancer.id, lbId);
});

test('a new LB haproxy cannot start leaves neither model.json nor haproxy.cfg', { timeout: 60_000 }, async () => {
  const lbId = randomUUID();
  created.push(lbId);
  const busy = await busyPort();
  try {
    await assert.rejects(models.put(amphoraId, lbId, body(model(lbId, [busy.port]))), (error: { status?: number }) => error.status === 500);
  } finally {
    busy.server.close();
  }
  assert.equal(await fileExists(models.modelPath(lbId)), false);
  assert.equal(await fileExists(setup.context.paths.haproxyConfig(lbId)), false);
  await assert.rejects(models.get(lbId), (error: { status?: number }) => error.status === 404);
  assert.equal(await haproxy.processes.isRunning(lbId), false);
});

test('a failed reload keeps the previous model.json and haproxy.cfg, and haproxy keeps serving', { timeout: 90_000 }, async () => {
  const lbId = randomUUID();
  created.push(lbId);
  const port = await freePort();
  const first = model(lbId, [port]);
  assert.equal((await models.put(amphoraId, lbId, body(first))).status, 202);
  const modelBefore = await readFile(models.modelPath(lbId), 'utf8');
  const configBefore = await readFile(setup.context.paths.haproxyConfig(lbId), 'utf8');
  const busy = await busyPort();
  try {
    await assert.rejects(models.put(amphoraId, lbId, body(model(lbId, [port, busy.port]))), (error: { status?: number }) => error.status === 500);
  } finally {
    busy.server.close();
  }
  assert.equal(await readFile(models.modelPath(lbId), 'utf8'), modelBefore);
  assert.equal(await readFile(setup.context.paths.haproxyConfig(lbId), 'utf8'), configBefore);
  assert.match(configBefore, new RegExp(`bind 127\\.0\\.0\\.1:${port}\\b`));
  const answer = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  assert.equal(answer, 'member-a');
  // The LB is still manageable: the same first model applies again.
  assert.equal((await models.put(amphoraId, lbId, body(first))).status, 202);
});

test('a raw upload after a model makes GET model answer 409 and drops it from the list', { timeout: 60_000 }, async () => {
  const lbId = randomUUID();
  created.push(lbId);
  assert.equal((await models.put(amphoraId, lbId, body(model(lbId, [await freePort()])))).status, 202);
  assert.equal((await models.get(lbId)).status, 200);
  const listed = (await models.list()).body as { models: { loadbalancer: { id: string } }[] };
  assert.ok(listed.models.some((m) => m.loadbalancer.id === lbId));
  const raw = Buffer.from(await readFile(setup.context.paths.haproxyConfig(lbId), 'utf8') + '# replaced by hand\n');
  assert.equal((await haproxy.uploadConfig(amphoraId, lbId, async () => raw)).status, 202);
  await assert.rejects(models.get(lbId), (error: { status?: number }) => error.status === 409);
  const after = (await models.list()).body as { models: { loadbalancer: { id: string } }[] };
  assert.ok(!after.models.some((m) => m.loadbalancer.id === lbId));
});

test('a refused model also leaves the live certificates and crt-list as they were', { timeout: 90_000 }, async () => {
  const lbId = randomUUID();
  created.push(lbId);
  const port = await freePort();
  const authority = createCertificateAuthority('model rollback CA');
  const tlsListener = (certificate: { certPem: string; keyPem: string }, listenerId: string) => ({
    id: listenerId,
    protocol: 'TERMINATED_HTTPS',
    protocol_port: port,
    default_tls_container: { certificate: certificate.certPem, private_key: certificate.keyPem, intermediates: [] },
  });
  const listenerId = randomUUID();
  const first = { loadbalancer: { id: lbId, vip: { ip_address: '127.0.0.1' }, listeners: [tlsListener(authority.issue('first'), listenerId)], pools: [] } };
  const applied = await models.put(amphoraId, lbId, body(first)).catch((error: { body?: unknown }) => error.body);
  assert.equal((applied as { status?: number }).status, 202, JSON.stringify(applied));
  const certDir = setup.context.paths.lbCertDir(lbId);
  const before = new Map<string, string>();
  for (const name of await readdir(certDir)) before.set(name, await readFile(join(certDir, name), 'utf8'));

  const busy = await busyPort();
  try {
    const second = {
      loadbalancer: {
        ...first.loadbalancer,
        listeners: [tlsListener(authority.issue('second'), listenerId), { id: randomUUID(), protocol: 'HTTP', protocol_port: busy.port }],
      },
    };
    await assert.rejects(models.put(amphoraId, lbId, body(second)), (error: { status?: number; body?: unknown }) => {
      assert.equal(error.status, 500, JSON.stringify(error.body));
      return true;
    });
  } finally {
    busy.server.close();
  }
  const afterFailure = new Map<string, string>();
  for (const name of await readdir(certDir)) afterFailure.set(name, await readFile(join(certDir, name), 'utf8'));
  assert.deepEqual(afterFailure, before, 'certificate files and the crt-list are back to the live ones');
});

test('a model past the rendered-size bound is refused before anything reaches the disk', { timeout: 60_000 }, async () => {
  const lbId = randomUUID();
  const poolId = randomUUID();
  const poolMembers = Array.from({ length: 10_000 }, (_, i) => ({ id: `m-${i}`, address: `10.9.${i >> 8}.${i & 255}`, protocol_port: 80 }));
  const listeners = Array.from({ length: MAX_RENDERED_SERVER_LINES / 10_000 + 1 }, (_, i) => ({ id: randomUUID(), protocol: 'HTTP', protocol_port: 2000 + i, default_pool_id: poolId }));
  const huge = { loadbalancer: { id: lbId, vip: { ip_address: '127.0.0.1' }, listeners, pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: poolMembers }] } };
  await assert.rejects(models.put(amphoraId, lbId, body(huge)), (error: { status?: number; details?: string }) => {
    assert.equal(error.status, 400);
    assert.match(error.details ?? '', /would render 110000 server lines/u);
    return true;
  });
  const files = await readdir(setup.context.paths.basePath);
  assert.ok(!files.includes(lbId), 'no folder, candidate or -failed file for the refused model');
});

test('a TLS model read back names files, carries no private key, and applies again unchanged', { timeout: 60_000 }, async () => {
  const lbId = randomUUID();
  created.push(lbId);
  const port = await freePort();
  const authority = createCertificateAuthority('bounds CA');
  const issued = authority.issue('bounds.example');
  const tls = {
    loadbalancer: {
      id: lbId,
      vip: { ip_address: '127.0.0.1' },
      listeners: [{ id: randomUUID(), protocol: 'TERMINATED_HTTPS', protocol_port: port, default_tls_container: { certificate: issued.certPem, private_key: issued.keyPem, intermediates: [] } }],
      pools: [],
    },
  };
  assert.equal((await models.put(amphoraId, lbId, body(tls))).status, 202);
  const shown = await models.get(lbId);
  const listed = await models.list();
  for (const reply of [shown, listed]) assert.doesNotMatch(JSON.stringify(reply.body), /PRIVATE KEY|BEGIN CERTIFICATE/u);
  const container = (shown.body as typeof tls).loadbalancer.listeners[0]!.default_tls_container as unknown as { file: string };
  assert.match(container.file, /^[0-9a-f]{40}\.pem$/u);

  assert.equal((await models.put(amphoraId, lbId, body(shown.body))).status, 202, 'the model read back applies again');
  const served = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
  assert.equal(served, new X509Certificate(issued.certPem).fingerprint256, 'the same certificate is served');
});

test('a reload haproxy has not confirmed yet keeps the new config on disk, in model.json, and says so', { timeout: 90_000 }, async () => {
  const lbId = randomUUID();
  created.push(lbId);
  const port = await freePort();
  assert.equal((await models.put(amphoraId, lbId, body(model(lbId, [port])))).status, 202);
  assert.equal((await httpGet(port)).ok, true);
  const master = (await readPidFile(setup.context.paths.haproxyPidFile(lbId)))!;
  const secondPort = await freePort();
  const next = model(lbId, [port, secondPort]);
  // A stopped master receives the reload signal but acts on it only once it runs again.
  signal(master, 'SIGSTOP');
  let reply;
  try {
    reply = await models.put(amphoraId, lbId, body(next));
  } finally {
    signal(master, 'SIGCONT');
  }
  assert.equal(reply.status, 202);
  const warnings = (reply.body as { warnings: string[] }).warnings;
  assert.ok(warnings.some((warning) => /signalled to load the new configuration, which is installed/u.test(warning)), JSON.stringify(warnings));
  assert.match(await readFile(setup.context.paths.haproxyConfig(lbId), 'utf8'), new RegExp(`bind 127\\.0\\.0\\.1:${secondPort}`, 'u'));
  assert.equal(((await models.get(lbId)).body as typeof next).loadbalancer.listeners.length, 2, 'model.json describes the installed config');
  await waitFor(async () => (await httpGet(secondPort, 500)).ok, 15_000, 'haproxy serving the new config once the master runs');
});
