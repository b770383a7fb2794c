import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { runAmphoractl, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { freePort } from '../helpers/free-port.ts';
import { createServer, type Server } from 'node:http';

/**
 * amphoractl end to end: the compiled CLI as a subprocess, over mutual TLS, against the real
 * agent process running real haproxy, with two small web servers as members.
 */


let agent: AgentHandle;
const servers = new Map<string, Server>();
const ports = new Map<string, number>();
const suffix = randomUUID().slice(0, 8);
const lbName = `lb-${suffix}`;
let listenerPort = 0;

async function startWebServer(name: string, port = 0): Promise<number> {
  const server = createServer((_request, response) => response.end(`you hit: ${name}`));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.set(name, server);
  return (server.address() as { port: number }).port;
}

async function stopWebServer(name: string): Promise<void> {
  const server = servers.get(name);
  servers.delete(name);
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
}

before(async () => {
  agent = await startAgentProcess();
  for (const name of ['webserver1', 'webserver2']) ports.set(name, await startWebServer(name));
  listenerPort = await freePort();
});

after(async () => {
  await ctl('loadbalancer', 'delete', lbName, '--cascade').catch(() => undefined);
  await agent?.destroy();
  for (const name of [...servers.keys()]) await stopWebServer(name);
});

const ctl = (...args: string[]) => runAmphoractl(agent, args);

async function ok(...args: string[]): Promise<string> {
  const result = await ctl(...args);
  assert.equal(result.code, 0, `amphoractl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

async function hit(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${listenerPort}/`, { signal: AbortSignal.timeout(3000) });
  return response.text();
}

test('create a load balancer, listener, pool and two members; traffic alternates', { timeout: 60_000 }, async () => {
  const created = await ok('loadbalancer', 'create', '--name', lbName, '--vip-address', '127.0.0.1');
  assert.match(created, /^\+-+\+-+\+\n\| Field +\| Value +\|/);
  assert.match(created, new RegExp(`\\| name +\\| ${lbName} +\\|`));
  assert.match(created, /\| provisioning_status +\| ACTIVE +\|/);
  await ok('listener', 'create', '--name', `listener-${suffix}`, '--protocol', 'HTTP', '--protocol-port', String(listenerPort), lbName);
  const poolId = (await ok('pool', 'create', '--name', `pool-${suffix}`, '--lb-algorithm', 'ROUND_ROBIN', '--listener', `listener-${suffix}`, '--protocol', 'HTTP', '-f', 'value', '-c', 'id')).trim();
  assert.match(poolId, /^[0-9a-f-]{36}$/);
  for (const name of ['webserver1', 'webserver2']) {
    await ok('member', 'create', '--address', '127.0.0.1', '--protocol-port', String(ports.get(name)), '--name', name, `pool-${suffix}`);
  }
  // By id and by name alike.
  const members = JSON.parse(await ok('member', 'list', poolId, '-f', 'json')) as { name: string; operating_status: string }[];
  assert.deepEqual(members.map((m) => [m.name, m.operating_status]), [['webserver1', 'NO_MONITOR'], ['webserver2', 'NO_MONITOR']]);
  const listener = JSON.parse(await ok('listener', 'show', `listener-${suffix}`, '-f', 'json')) as { protocol_port: number; default_pool_id: string };
  assert.equal(listener.protocol_port, listenerPort);
  assert.equal(listener.default_pool_id, poolId);
  assert.match(await ok('loadbalancer', 'list', '-f', 'value', '-c', 'name', '-c', 'vip_address'), new RegExp(`^${lbName} 127\\.0\\.0\\.1$`, 'm'));

  const answers = [];
  for (let i = 0; i < 4; i += 1) answers.push(await hit());
  assert.deepEqual(new Set(answers), new Set(['you hit: webserver1', 'you hit: webserver2']));
  assert.notEqual(answers[0], answers[1]);
  assert.equal(answers[0], answers[2]);
});

test('validation errors from the agent are one line with the field path; lookups fail cleanly', { timeout: 30_000 }, async () => {
  const bad = await ctl('member', 'create', '--address', '1.2.3', '--protocol-port', '80', `pool-${suffix}`);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^amphoractl: Invalid model: loadbalancer\.pools\[0\]\.members\[2\]\.address: must be an IPv4 or IPv6 address \(HTTP 400\)\n$/);
  const missing = await ctl('pool', 'show', 'no-such-pool');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'amphoractl: Unable to locate no-such-pool in pools\n');
  const usage = await ctl('member', 'create', '--address', '127.0.0.1', `pool-${suffix}`);
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /required: --protocol-port/);
  // The failed create left the model as it was.
  assert.equal((JSON.parse(await ok('member', 'list', `pool-${suffix}`, '-f', 'json')) as unknown[]).length, 2);
});

test('health monitor: a stopped member goes ERROR in list and status tree; set and delete', { timeout: 60_000 }, async () => {
  const monitor = JSON.parse(
    await ok('healthmonitor', 'create', '--delay', '1', '--max-retries', '1', '--timeout', '1', '--type', 'HTTP', '--url-path', '/', '--name', `hm-${suffix}`, `pool-${suffix}`, '-f', 'json'),
  ) as { type: string; delay: number; url_path: string };
  assert.deepEqual([monitor.type, monitor.delay, monitor.url_path], ['HTTP', 1, '/']);
  await ok('healthmonitor', 'set', `hm-${suffix}`, '--max-retries-down', '1');
  await stopWebServer('webserver2');
  let statuses: string[] = [];
  for (let i = 0; i < 100 && statuses.join() !== 'ONLINE,ERROR'; i += 1) {
    statuses = (await ok('member', 'list', `pool-${suffix}`, '-f', 'value', '-c', 'operating_status')).trim().split('\n');
    if (statuses.join() !== 'ONLINE,ERROR') await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.deepEqual(statuses, ['ONLINE', 'ERROR']);
  const tree = JSON.parse(await ok('loadbalancer', 'status', 'show', lbName)) as {
    loadbalancer: { operating_status: string; listeners: { pools: { operating_status: string; members: { name: string; operating_status: string }[] }[] }[] };
  };
  assert.equal(tree.loadbalancer.operating_status, 'DEGRADED');
  assert.equal(tree.loadbalancer.listeners[0]!.pools[0]!.operating_status, 'DEGRADED');
  for (let i = 0; i < 4; i += 1) assert.equal(await hit(), 'you hit: webserver1');

  await ok('member', 'set', `pool-${suffix}`, 'webserver1', '--weight', '5', '--name', 'primary');
  assert.equal((await ok('member', 'show', `pool-${suffix}`, 'primary', '-f', 'value', '-c', 'weight')).trim(), '5');
  await ok('member', 'delete', `pool-${suffix}`, 'webserver2');
  assert.equal((await ok('member', 'list', `pool-${suffix}`, '-f', 'value', '-c', 'name')).trim(), 'primary');
  await ok('healthmonitor', 'delete', `hm-${suffix}`);
  assert.equal((await ok('pool', 'show', `pool-${suffix}`, '-f', 'value', '-c', 'healthmonitor_id')).trim(), 'None');
});

test('loadbalancer delete needs --cascade while it has children, then stops haproxy', { timeout: 30_000 }, async () => {
  const refused = await ctl('loadbalancer', 'delete', lbName);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /has listeners or pools: delete them first or use --cascade/);
  const lbId = (await ok('loadbalancer', 'show', lbName, '-f', 'value', '-c', 'id')).trim();
  await ok('loadbalancer', 'delete', lbName, '--cascade');
  assert.equal(await ok('loadbalancer', 'list', '-f', 'value'), '');
  const listeners = (await agent.request('GET', '/1.0/listeners')).json() as { uuid: string }[];
  assert.equal(listeners.length, 0);
  assert.equal((await agent.request('GET', `/1.0/loadbalancer/${lbId}/haproxy`)).status, 404);
  await assert.rejects(hit());
});
