import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { test } from 'node:test';
import { httpsCall, startAgentProcess } from '../helpers/agent-harness.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * A leak check, not a timing: the built agent takes a bounded load in five equal rounds
 * (in all 1,000 certificate uploads, 10,000 info calls and 100 model applies with haproxy
 * reloads) and its RSS after the last round may not exceed the RSS after the first by more
 * than a generous margin. A leak of a few kB per request would grow far past it.
 */
const ROUNDS = 5;
const UPLOADS_PER_ROUND = 200;
const INFO_PER_ROUND = 2000;
const APPLIES_PER_ROUND = 20;
const GROWTH_BOUND_MB = 25;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/mu.exec(status)![1]) / 1024;
}


test('RSS stays bounded under a repeated load of uploads, info calls and model applies', { timeout: 600_000 }, async (t) => {
  const agent = await startAgentProcess();
  const lbId = randomUUID();
  const client = new Agent({ cert: agent.pki.clientPem, key: agent.pki.clientPem, ca: agent.pki.caCertPem, keepAlive: true, maxSockets: 4 });
  const call = async (method: string, path: string, body?: string) => {
    const answer = await httpsCall({ port: agent.port, agent: client, method, path, body, servername: agent.amphoraId });
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text}`);
  };
  const listenPort = await freePort();
  const poolId = randomUUID();
  const listenerId = randomUUID();
  const model = (memberPort: number) =>
    JSON.stringify({
      loadbalancer: {
        id: lbId,
        vip: { ip_address: '127.0.0.1' },
        listeners: [{ id: listenerId, protocol: 'HTTP', protocol_port: listenPort, default_pool_id: poolId }],
        pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ id: randomUUID(), address: '127.0.0.1', protocol_port: memberPort }] }],
      },
    });
  const curve: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let index = 0; index < UPLOADS_PER_ROUND; index++) {
        await call('PUT', `/1.0/loadbalancer/${lbId}/certificates/leak-${index % 10}.pem`, agent.pki.clientPem);
      }
      for (let index = 0; index < INFO_PER_ROUND; index += 4) {
        await Promise.all([0, 1, 2, 3].map(() => call('GET', '/1.0/info')));
      }
      for (let index = 0; index < APPLIES_PER_ROUND; index++) {
        // A different member each time, so every apply renders, checks and reloads haproxy.
        await call('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/model`, model(20000 + round * APPLIES_PER_ROUND + index));
      }
      curve.push(Math.round(await rssMb(agent.process.pid!)));
    }
    t.diagnostic(`RSS after each round (MB): ${curve.join(', ')}`);
    const growth = curve.at(-1)! - curve[0]!;
    assert.ok(growth < GROWTH_BOUND_MB, `RSS grew by ${growth} MB from round 1 to round ${ROUNDS}: ${curve.join(', ')}`);
  } finally {
    client.destroy();
    await agent.request('DELETE', `/1.0/listeners/${lbId}`).catch(() => undefined);
    await agent.destroy();
  }
});
