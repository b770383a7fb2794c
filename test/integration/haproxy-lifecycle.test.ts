/**
 * The haproxy lifecycle through the real agent process (direct process manager) and real
 * haproxy on loopback: upload, start, traffic to both members, rejected configs, reloads
 * under load, crash respawn, agent restart with re-adoption, stop and delete.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { restartAgentProcess, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { httpGet, processesMentioning, retireAgent, startLoad, startMembers, testHaproxyConfig, waitFor } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

let agent: AgentHandle;
let members: Awaited<ReturnType<typeof startMembers>>;
const lbId = randomUUID();
const listenerId = randomUUID();
let port: number;
let config: string;

const readPid = async () => Number((await readFile(join(agent.basePath, lbId, `${lbId}.pid`), 'utf8')).trim());

before(async () => {
  agent = await startAgentProcess();
  members = await startMembers(['member-a', 'member-b']);
  port = await freePort();
  config = testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId, port, memberPorts: members.ports });
});

after(async () => {
  await retireAgent(agent, [lbId], members);
});

test('upload answers 202 with the body MD5; the config is validated, stored 0600, group line stripped', { timeout: 30_000 }, async () => {
  const answer = await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, config);
  assert.equal(answer.status, 202, answer.text);
  assert.equal(answer.headers['content-type'], 'application/json');
  assert.deepEqual(answer.json(), { message: 'OK' });
  assert.equal(answer.headers.etag, createHash('md5').update(config).digest('hex'));
  const stored = join(agent.basePath, lbId, 'haproxy.cfg');
  assert.equal((await stat(stored)).mode & 0o777, 0o600);
  const text = await readFile(stored, 'utf8');
  assert.doesNotMatch(text, /group nogroup/u);
  assert.equal(text, config.replace('\n    group nogroup', ''));
  // The user-group include is created when missing.
  assert.match(await readFile(join(agent.basePath, 'haproxy-default-user-group.conf'), 'utf8'), /^global\n\s+group \S+\n$/u);

  const fetched = await agent.request('GET', `/1.0/loadbalancer/${lbId}/haproxy`);
  assert.equal(fetched.status, 200);
  assert.equal(fetched.headers['content-type'], 'text/plain; charset=UTF-8');
  assert.equal(fetched.text, text);
  assert.equal(fetched.headers.etag, createHash('md5').update(text).digest('hex'));
});

test('start serves traffic reaching both members; listeners are listed', { timeout: 30_000 }, async () => {
  const answer = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`);
  assert.equal(answer.status, 202, answer.text);
  assert.deepEqual(answer.json(), { message: 'OK', details: `Configuration file is valid\nhaproxy daemon for ${lbId} started` });
  const seen = new Set<string>();
  for (let index = 0; index < 10; index++) {
    const result = await httpGet(port);
    assert.ok(result.ok, JSON.stringify(result));
    seen.add(result.body!);
  }
  assert.deepEqual([...seen].sort(), ['member-a', 'member-b']);
  const pid = await readPid();
  assert.ok((await processesMentioning(join(agent.basePath, lbId, 'haproxy.cfg'))).includes(pid));

  const listeners = await agent.request('GET', '/1.0/listeners');
  assert.deepEqual(listeners.json(), [{ status: 'ACTIVE', uuid: listenerId, type: 'HTTP' }]);
});

test('an invalid config is refused with haproxy\'s output while the old one keeps serving', { timeout: 30_000 }, async () => {
  const pid = await readPid();
  const broken = config.replace('    balance roundrobin', '    balance no-such-algorithm');
  const answer = await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, broken);
  assert.equal(answer.status, 400);
  const body = answer.json() as { message: string; details: string };
  assert.equal(body.message, 'Invalid request');
  assert.match(body.details, /no-such-algorithm|balance/u);
  assert.equal(await readFile(join(agent.basePath, lbId, 'haproxy.cfg.new-failed'), 'utf8'), broken.replace('\n    group nogroup', ''));
  assert.equal(await readFile(join(agent.basePath, lbId, 'haproxy.cfg'), 'utf8'), config.replace('\n    group nogroup', ''));
  assert.equal((await httpGet(port)).ok, true);
  assert.equal(await readPid(), pid);
});

test('20 reloads under load: no failed request, servers state saved, old workers bounded', { timeout: 90_000 }, async () => {
  const load = startLoad(port, 4);
  const statuses: number[] = [];
  for (let index = 0; index < 20; index++) {
    const answer = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`);
    statuses.push(answer.status);
    if (index === 0) assert.deepEqual(answer.json(), { message: 'OK', details: `Listener ${lbId} reloaded` });
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const result = await load.stop();
  assert.deepEqual(statuses, Array(20).fill(202));
  assert.equal(result.failed, 0, JSON.stringify(result.errors));
  assert.ok(result.ok > 20, `only ${result.ok} requests completed`);
  assert.match(await readFile(join(agent.basePath, lbId, 'servers-state'), 'utf8'), /^1\n# be_id be_name srv_id srv_name/u);
  // master + current worker + at most mworker-max-reloads (3) draining workers
  const processes = await processesMentioning(join(agent.basePath, lbId, 'haproxy.cfg'));
  assert.ok(processes.length <= 5, `haproxy processes: ${processes.length}`);
});

test('a killed haproxy is respawned by the agent', { timeout: 30_000 }, async () => {
  const pid = await readPid();
  process.kill(pid, 'SIGKILL');
  const respawned = await waitFor(async () => {
    const next = await readPid().catch(() => 0);
    return next && next !== pid && (await httpGet(port)).ok ? next : undefined;
  }, 15_000, 'haproxy respawn');
  assert.notEqual(respawned, pid);
});

test('agent restart: haproxy keeps serving, is re-adopted and still supervised', { timeout: 60_000 }, async () => {
  const pid = await readPid();
  await agent.stop();
  assert.equal((await httpGet(port)).ok, true, 'haproxy must outlive the agent');
  agent = await restartAgentProcess(agent);
  assert.equal(await readPid(), pid, 'the running master is adopted, not replaced');
  assert.equal((await httpGet(port)).ok, true);
  await waitFor(async () => /adopted running haproxy/u.test(agent.output()), 5000, 'adoption log line');
  const reload = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`);
  assert.equal(reload.status, 202);
  process.kill(pid, 'SIGKILL');
  await waitFor(async () => {
    const next = await readPid().catch(() => 0);
    return next && next !== pid && (await httpGet(port)).ok;
  }, 15_000, 'respawn after adoption');
});

test('stop, reload of a stopped LB starts it, delete is idempotent and cleans up', { timeout: 60_000 }, async () => {
  const stop = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/stop`);
  assert.equal(stop.status, 202);
  assert.deepEqual(stop.json(), { message: 'OK', details: `Listener ${lbId} stoped` });
  assert.equal((await httpGet(port, 1000)).ok, false);
  await assert.rejects(stat(join(agent.basePath, lbId, `${lbId}.pid`)));
  // Stopped means stopped: the supervisor does not bring it back.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal((await httpGet(port, 1000)).ok, false);

  const reload = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`);
  assert.deepEqual(reload.json(), { message: 'OK', details: `Configuration file is valid\nhaproxy daemon for ${lbId} started` });
  assert.equal((await httpGet(port)).ok, true);

  const certDir = join(agent.certDir, lbId);
  await mkdir(certDir, { recursive: true });
  await writeFile(join(certDir, 'x.pem'), 'x');
  const deleted = await agent.request('DELETE', `/1.0/listeners/${lbId}`);
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.json(), { message: 'OK' });
  assert.equal((await httpGet(port, 1000)).ok, false);
  await assert.rejects(stat(join(agent.basePath, lbId)));
  await assert.rejects(stat(certDir));
  await assert.rejects(stat(join(agent.basePath, `${lbId}.sock`)));
  assert.deepEqual((await processesMentioning(join(agent.basePath, lbId, 'haproxy.cfg'))), []);
  assert.deepEqual((await agent.request('DELETE', `/1.0/listeners/${lbId}`)).json(), { message: 'OK' });
  assert.deepEqual((await agent.request('GET', '/1.0/listeners')).json(), []);
  const missing = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { message: 'Loadbalancer Not Found', details: `No loadbalancer with UUID: ${lbId}` });
});
