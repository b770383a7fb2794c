/**
 * The agent serving the metrics endpoint itself (direct process manager): a load balancer with
 * a PROMETHEUS listener applied through the model endpoint runs haproxy inside a namespace made
 * for the test; a scrape through the listener returns haproxy's metrics under Octavia's names
 * followed by the agent's own, which count what the test did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { openTcpSocketIn } from '../../agent/network/raw-sockets.ts';
import { killHaproxyUnder } from '../helpers/haproxy-fixtures.ts';
import { startAgentProcess } from '../helpers/agent-harness.ts';
import { createTestNamespace } from '../helpers/metrics-fixtures.ts';

function scrape(namespace: string, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: '127.0.0.1',
      port,
      path: '/metrics',
      createConnection: () => new Socket({ fd: openTcpSocketIn(namespace), readable: true, writable: true, manualStart: true } as never).connect(port, '127.0.0.1'),
    });
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('client timeout')));
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.end();
  });
}

test('the agent serves the PROMETHEUS listener\'s metrics and its own', { timeout: 90_000 }, async () => {
  const namespace = createTestNamespace();
  const agent = await startAgentProcess({
    extraConfig: { amphora_agent: [`network_namespace = ${namespace.name}`, 'prometheus_proxy = agent'] },
  });
  const lbId = randomUUID();
  try {
    const prometheusListener = randomUUID();
    const httpListener = randomUUID();
    const poolId = randomUUID();
    const model = {
      loadbalancer: {
        id: lbId,
        vip: { ip_address: '127.0.0.1' },
        listeners: [
          { id: prometheusListener, protocol: 'PROMETHEUS', protocol_port: 9100, connection_limit: 100 },
          { id: httpListener, protocol: 'HTTP', protocol_port: 9180, default_pool_id: poolId, connection_limit: 100 },
        ],
        pools: [{ id: poolId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ id: randomUUID(), address: '127.0.0.1', protocol_port: 9181 }] }],
      },
    };
    const put = await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/model`, JSON.stringify(model));
    assert.equal(put.status, 202, put.text);
    const refused = await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${randomUUID()}/haproxy`, 'global\n    no-such-directive\n');
    assert.equal(refused.status, 400);
    assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`)).status, 202);
    assert.equal((await agent.request('GET', '/1.0/info')).status, 200);

    let answer = { status: 0, body: '' };
    for (let tries = 0; tries < 50 && answer.status !== 200; tries++) {
      answer = await scrape(namespace.name, 9100).catch(() => ({ status: 0, body: '' }));
      if (answer.status !== 200) await sleep(200);
    }
    assert.equal(answer.status, 200, answer.body);
    const lines = answer.body.split('\n');
    assert.ok(lines.includes(`octavia_listener_status{listener="${prometheusListener}"} 1`) || answer.body.includes(`octavia_listener_status{listener="${prometheusListener}",`));
    assert.ok(answer.body.includes(`octavia_pool_status{pool="${poolId}:${httpListener}"`));
    assert.ok(lines.includes('amphora_agent_api_requests_total{route="/1.0/info",method="GET",code="200"} 1'), answer.body.slice(-3000));
    assert.ok(lines.includes('amphora_agent_api_requests_total{route="/1.0/loadbalancer/:amphora_id/:lb_id/model",method="PUT",code="202"} 1'), answer.body.slice(-3000));
    assert.ok(lines.includes('amphora_agent_config_refusals_total{kind="haproxy"} 1'));
    assert.ok(lines.includes('amphora_agent_reloads_total{daemon="haproxy",result="ok"} 1'));
    assert.ok(lines.some((line) => /^amphora_agent_api_request_duration_seconds_count\{route="\/1\.0\/info",method="GET"\} 1$/u.test(line)));
    assert.ok(lines.some((line) => line.startsWith('amphora_agent_heartbeats_total ')));
    // Expiry times of what the agent presents and trusts, as the trust route reports them.
    const trust = JSON.parse((await agent.request('GET', '/1.0/trust')).text) as {
      server_certificate: { fingerprint_sha256: string; not_after: string };
      client_ca: { fingerprint_sha256: string; not_after: string }[];
    };
    for (const [role, certificate] of [['server_certificate', trust.server_certificate], ...trust.client_ca.map((ca) => ['client_ca', ca] as const)] as const) {
      const sample = lines.find((line) => line.startsWith('amphora_agent_certificate_expiry_timestamp_seconds{') && line.includes(`role="${role}"`) && line.includes(certificate.fingerprint_sha256));
      assert.ok(sample, `no expiry sample for ${role}`);
      assert.equal(Number(sample.split(' ').at(-1)), Math.floor(Date.parse(certificate.not_after) / 1000));
    }
    // Octavia's families come first, the agent's after them.
    assert.ok(answer.body.indexOf('octavia_member_status') < answer.body.indexOf('amphora_agent_'));
  } finally {
    await agent.request('DELETE', `/1.0/listeners/${lbId}`).catch(() => undefined);
    await agent.destroy();
    await killHaproxyUnder(agent.directory);
    namespace.remove();
  }
});
