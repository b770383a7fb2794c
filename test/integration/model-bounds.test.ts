/**
 * The model endpoint with real haproxy (direct manager), in process: a model past the render
 * bound leaves nothing on disk; a model read back carries no private key and applies again;
 * a reload haproxy has not confirmed yet keeps disk, model.json and haproxy in agreement.
 */
import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { after, before, test } from 'node:test';
import { createCertificateAuthority } from '../../agent/certs/dev-pki.ts';
import { HaproxyService } from '../../agent/haproxy/lifecycle.ts';
import { LvsListenerService } from '../../agent/lvs/listener-service.ts';
import { MAX_RENDERED_SERVER_LINES } from '../../agent/model/limits.ts';
import { ModelService } from '../../agent/model/service.ts';
import { readPidFile, signal } from '../../agent/util/process-state.ts';
import { freePort } from '../helpers/free-port.ts';
import { httpGet, killHaproxyUnder, startMembers, waitFor } from '../helpers/haproxy-fixtures.ts';
import { lifecycleContext, type LifecycleTestContext } from '../helpers/lifecycle-context.ts';

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
  members = await startMembers(['bounds-a']);
});

after(async () => {
  for (const lbId of created) await haproxy.deleteObject(lbId).catch(() => undefined);
  await haproxy.shutdown();
  await killHaproxyUnder(setup.directory);
  await members.close();
  await setup.cleanup();
});

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

function httpModel(lbId: string, port: number, poolMembers = [{ id: randomUUID(), address: '127.0.0.1', protocol_port: members.ports[0] }]) {
  const poolId = randomUUID();
  return {
    loadbalancer: {
      id: lbId,
      vip: { ip_address: '127.0.0.1' },
      listeners: [{ id: randomUUID(), protocol: 'HTTP', protocol_port: port, default_pool_id: poolId }],
      pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: poolMembers }],
    },
  };
}

test('a model past the rendered-size bound is refused before anything reaches the disk', { timeout: 60_000 }, async () => {
  const lbId = randomUUID();
  const poolId = randomUUID();
  const poolMembers = Array.from({ length: 10_000 }, (_, i) => ({ id: `m-${i}`, address: `10.9.${i >> 8}.${i & 255}`, protocol_port: 80 }));
  const listeners = Array.from({ length: MAX_RENDERED_SERVER_LINES / 10_000 + 1 }, (_, i) => ({ id: randomUUID(), protocol: 'HTTP', protocol_port: 2000 + i, default_pool_id: poolId }));
  const model = { loadbalancer: { id: lbId, vip: { ip_address: '127.0.0.1' }, listeners, pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: poolMembers }] } };
  await assert.rejects(models.put(amphoraId, lbId, body(model)), (error: { status?: number; details?: string }) => {
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
  const model = {
    loadbalancer: {
      id: lbId,
      vip: { ip_address: '127.0.0.1' },
      listeners: [{ id: randomUUID(), protocol: 'TERMINATED_HTTPS', protocol_port: port, default_tls_container: { certificate: issued.certPem, private_key: issued.keyPem, intermediates: [] } }],
      pools: [],
    },
  };
  assert.equal((await models.put(amphoraId, lbId, body(model))).status, 202);
  const shown = await models.get(lbId);
  const listed = await models.list();
  for (const reply of [shown, listed]) assert.doesNotMatch(JSON.stringify(reply.body), /PRIVATE KEY|BEGIN CERTIFICATE/u);
  const container = (shown.body as typeof model).loadbalancer.listeners[0]!.default_tls_container as unknown as { file: string };
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
  assert.equal((await models.put(amphoraId, lbId, body(httpModel(lbId, port)))).status, 202);
  assert.equal((await httpGet(port)).ok, true);
  const master = (await readPidFile(setup.context.paths.haproxyPidFile(lbId)))!;
  const secondPort = await freePort();
  const next = httpModel(lbId, port);
  next.loadbalancer.listeners.push({ id: randomUUID(), protocol: 'HTTP', protocol_port: secondPort, default_pool_id: next.loadbalancer.pools[0]!.id });
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
