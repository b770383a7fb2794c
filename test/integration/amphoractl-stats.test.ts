import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { queryHaproxyStats } from '../../agent/heartbeat/haproxy-stats.ts';
import { runAmphoractl, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * `amphoractl loadbalancer stats show` and `listener stats show` against the real agent and
 * haproxy: the figures follow real traffic and are the frontend counters the heartbeat reads.
 */

let agent: AgentHandle;
let member: Server;
const suffix = randomUUID().slice(0, 8);
const lbName = `stats-lb-${suffix}`;
let listenerPort = 0;

before(async () => {
  agent = await startAgentProcess();
  member = createServer((_request, response) => response.end('hello from the member'));
  await new Promise<void>((resolve) => member.listen(0, '127.0.0.1', resolve));
  listenerPort = await freePort();
});

after(async () => {
  await runAmphoractl(agent, ['loadbalancer', 'delete', lbName, '--cascade']).catch(() => undefined);
  await agent?.destroy();
  member?.close();
});

function getOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function ok(...args: string[]): Promise<string> {
  const result = await runAmphoractl(agent, args);
  assert.equal(result.code, 0, `amphoractl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

test('stats show: the counters of the listener after real requests, summed for the load balancer', { timeout: 60_000 }, async () => {
  await ok('loadbalancer', 'create', '--name', lbName, '--vip-address', '127.0.0.1');
  await ok('listener', 'create', '--name', `l-${suffix}`, '--protocol', 'HTTP', '--protocol-port', String(listenerPort), lbName);
  await ok('pool', 'create', '--name', `p-${suffix}`, '--lb-algorithm', 'ROUND_ROBIN', '--listener', `l-${suffix}`, '--protocol', 'HTTP');
  await ok('member', 'create', '--address', '127.0.0.1', '--protocol-port', String((member.address() as { port: number }).port), `p-${suffix}`);

  const before = JSON.parse(await ok('listener', 'stats', 'show', `l-${suffix}`, '-f', 'json')) as Record<string, number>;
  assert.deepEqual(Object.keys(before), ['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections']);
  // One connection per request: haproxy counts connections (sessions), not requests.
  for (let index = 0; index < 5; index++) assert.equal(await getOnce(listenerPort), 'hello from the member');
  const listener = JSON.parse(await ok('listener', 'stats', 'show', `l-${suffix}`, '-f', 'json')) as Record<string, number>;
  assert.ok(listener.total_connections! >= before.total_connections! + 5, JSON.stringify(listener));
  assert.ok(listener.bytes_in! > before.bytes_in! && listener.bytes_out! > before.bytes_out!);

  const table = await ok('loadbalancer', 'stats', 'show', lbName);
  assert.match(table, /^\+-+\+-+\+\n\| Field +\| Value +\|/);
  assert.match(table, /\| total_connections +\| \d+ +\|/);
  const lb = JSON.parse(await ok('loadbalancer', 'stats', 'show', lbName, '-f', 'json')) as Record<string, number>;
  assert.ok(lb.total_connections! >= listener.total_connections!);

  // The same figures as haproxy's frontend counters, which the heartbeat reports.
  const lbId = (await ok('loadbalancer', 'show', lbName, '-f', 'value', '-c', 'id')).trim();
  const listenerId = (await ok('listener', 'show', `l-${suffix}`, '-f', 'value', '-c', 'id')).trim();
  const stats = await queryHaproxyStats(`${agent.basePath}/${lbId}.sock`, 2000);
  const frontend = stats.listeners.find((sample) => sample.listenerId === listenerId)!;
  assert.equal(Number(frontend.counters!.stot), lb.total_connections);
  assert.equal(Number(frontend.counters!.bin), lb.bytes_in);

  const missing = await runAmphoractl(agent, ['listener', 'stats', 'show', 'no-such-listener']);
  assert.notEqual(missing.code, 0);
});
