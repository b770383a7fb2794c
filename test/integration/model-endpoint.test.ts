import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * The model endpoint against the real agent process (direct process manager, real haproxy on
 * loopback): PUT renders, validates with haproxy -c, starts haproxy and answers with an ETag;
 * traffic then flows through the rendered listener; GET returns the stored model.
 */

let agent: AgentHandle;
let backend: Server;
let backendPort = 0;

before(async () => {
  agent = await startAgentProcess();
  backend = createServer((_req, res) => res.end('you hit: model-backend'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendPort = (backend.address() as AddressInfo).port;
});

after(async () => {
  await agent?.request('DELETE', `/1.0/listeners/${lbId}`).catch(() => undefined);
  await agent?.destroy();
  backend?.close();
});

const lbId = randomUUID();


function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

test('PUT model renders, starts haproxy and serves traffic; GET returns the model', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const poolId = randomUUID();
  const model = {
    loadbalancer: {
      id: lbId,
      vip: { ip_address: '127.0.0.1' },
      listeners: [{ id: randomUUID(), protocol: 'HTTP', protocol_port: port, default_pool_id: poolId }],
      pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ id: randomUUID(), address: '127.0.0.1', protocol_port: backendPort }] }],
    },
  };
  const put = await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/model`, JSON.stringify(model));
  assert.equal(put.status, 202, put.text);
  assert.match(String(put.headers.etag), /^"?[0-9a-f]{32}"?$/);
  let answer = '';
  for (let i = 0; i < 50 && answer === ''; i++) {
    answer = await get(port).catch(() => '');
    if (answer === '') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(answer, 'you hit: model-backend');
  const stored = await agent.request('GET', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/model`);
  assert.equal(stored.status, 200);
  assert.equal(JSON.parse(stored.text).loadbalancer.listeners[0].protocol_port, port);
  const cfg = await agent.request('GET', `/1.0/loadbalancer/${lbId}/haproxy`);
  assert.match(cfg.text, new RegExp(`^backend ${poolId}:`, 'm'));
});

test('allowed_cidrs is enforced: a client outside the list is refused at accept, one inside is served', { timeout: 60_000 }, async () => {
  const restricted = randomUUID();
  const port = await freePort();
  const poolId = randomUUID();
  const modelWith = (cidrs: string[]) => ({
    loadbalancer: {
      id: restricted,
      vip: { ip_address: '127.0.0.1' },
      listeners: [{ id: randomUUID(), protocol: 'HTTP', protocol_port: port, default_pool_id: poolId, allowed_cidrs: cidrs }],
      pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ id: randomUUID(), address: '127.0.0.1', protocol_port: backendPort }] }],
    },
  });
  const put = (cidrs: string[]) => agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${restricted}/model`, JSON.stringify(modelWith(cidrs)));
  try {
    assert.equal((await put(['10.0.0.0/8'])).status, 202);
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await get(port).catch((error: NodeJS.ErrnoException) => error.code ?? 'error'));
    // Reset by haproxy, not refused by the kernel: the listener is up and rejects this source.
    assert.deepEqual(new Set(outcomes), new Set(['ECONNRESET']), `outcomes: ${outcomes}`);
    assert.equal((await put(['10.0.0.0/8', '127.0.0.0/8'])).status, 202);
    let answer = '';
    for (let i = 0; i < 50 && answer !== 'you hit: model-backend'; i++) {
      answer = await get(port).catch(() => '');
      if (answer !== 'you hit: model-backend') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(answer, 'you hit: model-backend');
  } finally {
    await agent.request('DELETE', `/1.0/listeners/${restricted}`);
  }
});

test('an invalid model is refused with the field path; the running model, config and traffic are kept', { timeout: 60_000 }, async () => {
  const kept = randomUUID();
  const port = await freePort();
  const poolId = randomUUID();
  const good = {
    loadbalancer: {
      id: kept,
      vip: { ip_address: '127.0.0.1' },
      listeners: [{ id: randomUUID(), protocol: 'HTTP', protocol_port: port, default_pool_id: poolId }],
      pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ id: randomUUID(), address: '127.0.0.1', protocol_port: backendPort }] }],
    },
  };
  const modelPath = `/1.0/loadbalancer/${agent.amphoraId}/${kept}/model`;
  try {
    assert.equal((await agent.request('PUT', modelPath, JSON.stringify(good))).status, 202);
    assert.equal(await served(port), 'you hit: model-backend');
    const modelBefore = await agent.request('GET', modelPath);
    const configBefore = await agent.request('GET', `/1.0/loadbalancer/${kept}/haproxy`);
    assert.equal(modelBefore.status, 200);
    assert.equal(configBefore.status, 200);

    const bad = { loadbalancer: { ...good.loadbalancer, listeners: [{ ...good.loadbalancer.listeners[0]!, protocol_port: 70000 }] } };
    const put = await agent.request('PUT', modelPath, JSON.stringify(bad));
    assert.equal(put.status, 400);
    assert.match(put.text, /loadbalancer\.listeners\[0\]\.protocol_port: must be between 1 and 65535/);

    const modelAfter = await agent.request('GET', modelPath);
    assert.equal(modelAfter.status, 200);
    assert.deepEqual(JSON.parse(modelAfter.text), JSON.parse(modelBefore.text), 'the stored model is the previous one');
    assert.equal(modelAfter.headers.etag, modelBefore.headers.etag);
    const configAfter = await agent.request('GET', `/1.0/loadbalancer/${kept}/haproxy`);
    assert.equal(configAfter.text, configBefore.text, 'haproxy.cfg is unchanged');
    assert.equal(configAfter.headers.etag, configBefore.headers.etag);
    assert.equal(await get(port), 'you hit: model-backend', 'the running listener still serves');
  } finally {
    await agent.request('DELETE', `/1.0/listeners/${kept}`);
  }
});

/** The body served on `port`, waiting up to five seconds for haproxy to bind it. */
async function served(port: number): Promise<string> {
  let answer = '';
  for (let i = 0; i < 50 && answer === ''; i++) {
    answer = await get(port).catch(() => '');
    if (answer === '') await new Promise((r) => setTimeout(r, 100));
  }
  return answer;
}
