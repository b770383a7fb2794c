/**
 * UDP listeners through the model endpoint and amphoractl, against the real agent process
 * (direct process manager, real keepalived and haproxy inside a namespace created here). The
 * kernel has no IPVS (test/helpers/lvs-fixtures.ts): a UDP listener with a pool renders virtual
 * servers keepalived cannot run here, which this test uses to check the rollback; the running
 * keepalived serves a UDP listener without a pool.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseRenderContext } from '../../agent/render/context.ts';
import { renderLvs } from '../../agent/render/lvs.ts';
import { validateModel } from '../../agent/model/validation.ts';
import { fileExists } from '../../agent/util/atomic-file.ts';
import { isProcessAlive, readPidFile } from '../../agent/util/process-state.ts';
import { runCommand } from '../../agent/util/run-command.ts';
import { runAmphoractl, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { killHaproxyUnder, waitFor } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';
import { KERNEL_HAS_IPVS, killKeepalivedUnder } from '../helpers/lvs-fixtures.ts';

const namespace = `lvs-${randomBytes(4).toString('hex')}`;
let agent: AgentHandle;

before(async () => {
  assert.equal((await runCommand('ip', ['netns', 'add', namespace])).exitCode, 0);
  await runCommand('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  agent = await startAgentProcess({ extraConfig: { amphora_agent: [`network_namespace = ${namespace}`] } });
});

after(async () => {
  await agent?.stop();
  if (agent) {
    await killKeepalivedUnder(agent.directory);
    await killHaproxyUnder(agent.directory);
  }
  await agent?.destroy();
  await runCommand('ip', ['netns', 'del', namespace]);
});

const lvsDir = () => join(agent.basePath, 'lvs');
const lvsConfig = (id: string) => join(lvsDir(), `octavia-keepalivedlvs-${id}.conf`);
const lvsPid = (id: string) => join(lvsDir(), `octavia-keepalivedlvs-${id}.pid`);
const modelUrl = (lbId: string) => `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/model`;

async function liveKeepalived(id: string): Promise<number> {
  return waitFor(async () => {
    const pid = await readPidFile(lvsPid(id));
    return pid !== undefined && (await isProcessAlive(pid)) ? pid : undefined;
  }, 5000, `keepalived of ${id}`);
}

/** What our renderer makes of the normalized model, in the agent's paths and namespace. */
function expectedLvs(model: unknown, listenerId: string): string {
  const result = validateModel(model);
  assert.ok(result.ok);
  return renderLvs(result.model, listenerId, baseRenderContext({ basePath: agent.basePath, baseCertDir: agent.certDir, lvsNamespace: namespace }));
}

test('PUT model with a UDP and an HTTP listener: LVS config as rendered, keepalived runs, GET returns the model', { timeout: 60_000 }, async () => {
  const lbId = randomUUID();
  const udp = { id: randomUUID(), protocol: 'UDP', protocol_port: 5400 };
  const http = { id: randomUUID(), protocol: 'HTTP', protocol_port: await freePort() };
  const model = { loadbalancer: { id: lbId, vip: { ip_address: '127.0.0.1' }, listeners: [udp, http], pools: [] } };
  const put = await agent.request('PUT', modelUrl(lbId), JSON.stringify(model));
  assert.equal(put.status, 202, put.text);

  const text = await readFile(lvsConfig(udp.id), 'utf8');
  assert.equal(text, expectedLvs(model, udp.id));
  assert.match(text, new RegExp(`^net_namespace ${namespace}$`, 'mu'));
  const pid = await liveKeepalived(udp.id);
  assert.equal(await fileExists(join(agent.basePath, lbId, 'haproxy.cfg')), true);

  const got = await agent.request('GET', modelUrl(lbId));
  assert.equal(got.status, 200);
  const normalized = validateModel(model);
  assert.ok(normalized.ok);
  assert.deepEqual(got.json(), normalized.model);
  const listeners = (await agent.request('GET', '/1.0/listeners')).json() as { uuid: string; type: string }[];
  assert.deepEqual(listeners.map((l) => `${l.uuid}:${l.type}`).sort(), [`${http.id}:HTTP`, `${udp.id}:UDP`].sort());

  // The UDP listener only: the haproxy side goes, as the controller deletes it; keepalived is restarted.
  const udpOnly = { loadbalancer: { ...model.loadbalancer, listeners: [udp] } };
  assert.equal((await agent.request('PUT', modelUrl(lbId), JSON.stringify(udpOnly))).status, 202);
  assert.equal(await fileExists(join(agent.basePath, lbId, 'haproxy.cfg')), false);
  assert.notEqual(await liveKeepalived(udp.id), pid);
  assert.equal((await agent.request('GET', modelUrl(lbId))).status, 200);
  const models = (await agent.request('GET', '/1.0/models')).json() as { models: { loadbalancer: { id: string } }[] };
  assert.ok(models.models.some((m) => m.loadbalancer.id === lbId));

  // A raw upload over the listener's config: the model no longer describes what runs.
  const raw = await agent.request('PUT', `/1.0/listeners/${agent.amphoraId}/${udp.id}/udp_listener`, `${text}\n# edited\n`);
  assert.equal(raw.status, 200);
  assert.equal((await agent.request('GET', modelUrl(lbId))).status, 409);

  // The listener removed from the model: its keepalived and files go.
  const running = await liveKeepalived(udp.id);
  const empty = { loadbalancer: { ...model.loadbalancer, listeners: [] } };
  assert.equal((await agent.request('PUT', modelUrl(lbId), JSON.stringify(empty))).status, 202);
  assert.equal(await isProcessAlive(running), false);
  assert.deepEqual((await readdir(lvsDir())).filter((name) => name.includes(udp.id)), []);
  assert.equal((await agent.request('DELETE', `/1.0/listeners/${lbId}`)).status, 200);
});

test('a UDP listener keepalived cannot run leaves nothing behind and no model', { timeout: 60_000, skip: KERNEL_HAS_IPVS && 'the kernel has IPVS' }, async () => {
  const lbId = randomUUID();
  const poolId = randomUUID();
  const udp = { id: randomUUID(), protocol: 'UDP', protocol_port: 5401, default_pool_id: poolId };
  const model = {
    loadbalancer: {
      id: lbId,
      vip: { ip_address: '127.0.0.1' },
      listeners: [udp],
      pools: [{
        id: poolId, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN',
        healthmonitor: { id: randomUUID(), type: 'UDP-CONNECT', delay: 5, timeout: 3, max_retries: 3 },
        members: [{ id: randomUUID(), address: '127.0.0.1', protocol_port: 5402 }],
      }],
    },
  };
  const put = await agent.request('PUT', modelUrl(lbId), JSON.stringify(model));
  assert.equal(put.status, 500, put.text);
  assert.equal((put.json() as { message: string }).message, `Failed to restart keepalivedlvs listener ${udp.id}`);
  assert.deepEqual((await readdir(lvsDir())).filter((name) => name.includes(udp.id)), []);
  assert.equal((await agent.request('GET', modelUrl(lbId))).status, 404);
});

test('a UDP listener id naming an existing load balancer is refused', { timeout: 30_000 }, async () => {
  const other = randomUUID();
  const otherModel = { loadbalancer: { id: other, vip: { ip_address: '127.0.0.1' }, listeners: [{ id: randomUUID(), protocol: 'HTTP', protocol_port: await freePort() }], pools: [] } };
  assert.equal((await agent.request('PUT', modelUrl(other), JSON.stringify(otherModel))).status, 202);
  const lbId = randomUUID();
  const clash = { loadbalancer: { id: lbId, vip: { ip_address: '127.0.0.1' }, listeners: [{ id: other, protocol: 'UDP', protocol_port: 5403 }], pools: [] } };
  const put = await agent.request('PUT', modelUrl(lbId), JSON.stringify(clash));
  assert.equal(put.status, 400);
  assert.equal(await fileExists(lvsConfig(other)), false);
  assert.equal((await agent.request('DELETE', `/1.0/listeners/${other}`)).status, 200);
});

const ctl = (...args: string[]) => runAmphoractl(agent, args);

test('amphoractl: listener create --protocol UDP runs keepalived; loadbalancer delete --cascade removes it', { timeout: 60_000 }, async () => {
  const name = `udp-${randomBytes(3).toString('hex')}`;
  const created = await ctl('loadbalancer', 'create', '--name', name, '--vip-address', '127.0.0.1');
  assert.equal(created.code, 0, created.stderr);
  const listener = await ctl('listener', 'create', '--name', `${name}-l`, '--protocol', 'UDP', '--protocol-port', '5404', name, '-f', 'value', '-c', 'id');
  assert.equal(listener.code, 0, listener.stderr);
  const listenerId = listener.stdout.trim();
  assert.match(listenerId, /^[0-9a-f-]{36}$/u);
  const pid = await liveKeepalived(listenerId);
  const shown = await ctl('listener', 'show', `${name}-l`, '-f', 'value', '-c', 'protocol');
  assert.equal(shown.stdout.trim(), 'UDP');

  const deleted = await ctl('loadbalancer', 'delete', name, '--cascade');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(await isProcessAlive(pid), false);
  assert.deepEqual((await readdir(lvsDir())).filter((entry) => entry.includes(listenerId)), []);
  assert.equal((await ctl('loadbalancer', 'show', name)).code === 0, false);
});
