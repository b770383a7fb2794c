import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificateAuthority } from '../../agent/certs/dev-pki.ts';
import { after, before, test } from 'node:test';
import { HaproxyService } from '../../agent/haproxy/lifecycle.ts';
import { ModelService } from '../../agent/model/service.ts';
import { LvsListenerService } from '../../agent/lvs/listener-service.ts';
import { fileExists } from '../../agent/util/atomic-file.ts';
import { startMembers } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';
import { lifecycleContext, type LifecycleTestContext } from '../helpers/lifecycle-context.ts';

/**
 * The model endpoint's two guarantees, driven in process with real haproxy (direct manager):
 * it takes the LB's own lock (`lb:<id>`, the raw upload's), and model.json and haproxy.cfg only
 * ever describe what runs: a model haproxy cannot start or reload leaves both as they were.
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
