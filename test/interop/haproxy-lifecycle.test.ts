/**
 * The control plane's haproxy lifecycle, driven by Octavia's own rest_api_driver with its own
 * combined-listener Jinja renderer (python3-octavia), against the real agent and real haproxy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runOctaviaClient, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { httpGet, processesMentioning, retireAgent, startMembers } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

let agent: AgentHandle;
let members: Awaited<ReturnType<typeof startMembers>>;
let loadBalancer: Record<string, unknown>;
const lbId = randomUUID();

before(async () => {
  agent = await startAgentProcess();
  members = await startMembers(['octavia-member-1', 'octavia-member-2']);
  loadBalancer = {
    lb_id: lbId,
    listener_id: randomUUID(),
    pool_id: randomUUID(),
    port: await freePort(),
    member_ports: members.ports,
    connection_limit: 4000,
  };
});

after(async () => {
  await retireAgent(agent, [lbId], members);
});

function expectOk(results: { ok: boolean; error?: string; message?: string }[]): void {
  for (const [index, result] of results.entries()) assert.equal(result.ok, true, `call ${index}: ${result.error}: ${result.message}`);
}

test('Octavia renders, uploads and reloads; haproxy serves both members', { timeout: 60_000 }, async () => {
  const results = await runOctaviaClient(agent, [
    { op: 'render_haproxy', ...loadBalancer },
    { op: 'update_listeners', ...loadBalancer },
    { op: 'client', method: 'get_all_listeners' },
  ]);
  expectOk(results);
  const rendered = results[0]!.value as string;
  assert.match(rendered, new RegExp(`stats socket ${agent.basePath}/${lbId}.sock`, 'u'));
  const stored = await readFile(join(agent.basePath, lbId, 'haproxy.cfg'), 'utf8');
  assert.equal(stored, rendered.replace(/\s+group\s.+/gu, ''));
  const listed = results[2]!.value;
  assert.deepEqual(listed, [{ status: 'ACTIVE', uuid: loadBalancer.listener_id, type: 'HTTP' }]);

  const seen = new Set<string>();
  for (let index = 0; index < 6; index++) {
    const answer = await httpGet(loadBalancer.port as number);
    assert.equal(answer.ok, true, JSON.stringify(answer));
    seen.add(answer.body!);
  }
  assert.deepEqual([...seen].sort(), ['octavia-member-1', 'octavia-member-2']);
});

test('certificate upload is skipped when the agent reports the same MD5 (CRLF content included)', { timeout: 60_000 }, async () => {
  const pem = '-----BEGIN CERTIFICATE-----\r\nMIIBszCCAVmgAwIBAgIUQ2Vy\r\n-----END CERTIFICATE-----\r\n';
  const name = `${createHash('sha1').update(pem).digest('hex')}.pem`;
  const results = await runOctaviaClient(agent, [
    { op: 'upload_cert', lb_id: lbId, name, pem },
    { op: 'upload_cert', lb_id: lbId, name, pem },
    { op: 'client', method: 'get_cert_md5sum', args: [lbId, name] },
  ]);
  expectOk(results);
  const digest = createHash('md5').update(pem).digest('hex');
  assert.deepEqual(results[0]!.value, { md5_before: null, uploaded: true });
  assert.deepEqual(results[1]!.value, { md5_before: digest, uploaded: false });
  assert.equal(results[2]!.value, digest);
  const file = join(agent.certDir, lbId, name);
  assert.equal(await readFile(file, 'utf8'), pem);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test('reload and start through the driver keep haproxy serving; stop stops it', { timeout: 60_000 }, async () => {
  const pid = Number((await readFile(join(agent.basePath, lbId, `${lbId}.pid`), 'utf8')).trim());
  const results = await runOctaviaClient(agent, [
    { op: 'lb_action', action: 'reload', ...loadBalancer },
    { op: 'lb_action', action: 'start', ...loadBalancer },
  ]);
  expectOk(results);
  assert.equal((await httpGet(loadBalancer.port as number)).ok, true);
  assert.equal(Number((await readFile(join(agent.basePath, lbId, `${lbId}.pid`), 'utf8')).trim()), pid, 'reload keeps the master');

  const [stopped] = await runOctaviaClient(agent, [{ op: 'lb_stop', lb_id: lbId }]);
  expectOk([stopped!]);
  assert.equal((await httpGet(loadBalancer.port as number, 1000)).ok, false);
  const [started] = await runOctaviaClient(agent, [{ op: 'lb_action', action: 'start', ...loadBalancer }]);
  expectOk([started!]);
  assert.equal((await httpGet(loadBalancer.port as number)).ok, true);
});

test('deleting the last listener deletes the load balancer, its certificates and its haproxy', { timeout: 60_000 }, async () => {
  const results = await runOctaviaClient(agent, [
    { op: 'delete_listener', ...loadBalancer },
    { op: 'client', method: 'get_all_listeners' },
  ]);
  expectOk(results);
  assert.deepEqual(results[1]!.value, []);
  await assert.rejects(stat(join(agent.basePath, lbId)));
  await assert.rejects(stat(join(agent.certDir, lbId)));
  assert.deepEqual(await processesMentioning(join(agent.basePath, lbId, 'haproxy.cfg')), []);
  assert.equal((await httpGet(loadBalancer.port as number, 1000)).ok, false);
});
