import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { startAgentProcess, restartAgentProcess, runOctaviaClient, type AgentHandle } from '../helpers/agent-harness.ts';

// Octavia's own control-plane client (python3-octavia) against the real agent process.
let agent: AgentHandle;
before(async () => {
  agent = await startAgentProcess();
});
after(async () => {
  await agent.destroy();
});

test('version discovery, info and details through rest_api_driver', async () => {
  const [version, info, details, versions] = await runOctaviaClient(agent, [
    { op: 'api_version' },
    { op: 'get_info' },
    { op: 'get_details' },
    { op: 'haproxy_versions' },
  ]);
  assert.deepEqual(version, { ok: true, value: [1, 0] });
  assert.equal(info?.ok, true, info?.message);
  const infoValue = info?.value as Record<string, unknown>;
  assert.equal(infoValue.api_version, '1.0');
  assert.match(String(infoValue.haproxy_version), /^\d+\.\d+/u);
  const detailsValue = details?.value as Record<string, unknown>;
  assert.equal(typeof detailsValue.cpu_count, 'number');
  assert.equal(typeof detailsValue.active_tuned_profiles, 'string');
  const memory = detailsValue.memory as Record<string, unknown>;
  for (const key of ['free', 'buffers', 'cached']) assert.ok(Number.isInteger(memory[key]), key);
  const [major, minor] = versions?.value as string[];
  assert.ok(Number.isInteger(Number(major)) && Number.isInteger(Number(minor)));
});

test('update_amphora_agent_config replaces the file and applies the topology live', async () => {
  const original = await readFile(agent.configFile, 'utf8');
  const changed = original.replace('loadbalancer_topology = SINGLE', 'loadbalancer_topology = ACTIVE_STANDBY');
  const [result] = await runOctaviaClient(agent, [{ op: 'update_agent_config', text: changed }]);
  assert.deepEqual(result, { ok: true, value: null });
  assert.equal(await readFile(agent.configFile, 'utf8'), changed);
  assert.match(agent.output(), /Option controller_worker\.loadbalancer_topology changed from \[\\"SINGLE\\"\] to \[\\"ACTIVE_STANDBY\\"\]/u);
  await runOctaviaClient(agent, [{ op: 'update_agent_config', text: original }]);
});

test('a broken config upload is refused with the reference error and changes nothing', async () => {
  const original = await readFile(agent.configFile, 'utf8');
  const answer = await agent.request('PUT', '/1.0/config', '[haproxy_amphora]\nbind_port = nine\n');
  assert.equal(answer.status, 500);
  const body = answer.json() as { message: string; details: string };
  assert.equal(body.message, 'Unable to update amphora-agent configuration.');
  assert.match(body.details, /\[haproxy_amphora\] bind_port = "nine"/u);
  assert.equal(await readFile(agent.configFile, 'utf8'), original);
});

test('an upload the agent could not start from, or one that would stop heartbeats, is refused and changes nothing', async () => {
  const original = await readFile(agent.configFile, 'utf8');
  const sslv3 = original.replace('[amphora_agent]\n', '[amphora_agent]\nagent_tls_protocol = SSLv3\n');
  const refused = await agent.request('PUT', '/1.0/config', sslv3);
  assert.equal(refused.status, 500);
  assert.deepEqual(refused.json(), {
    message: 'Unable to update amphora-agent configuration.',
    details: 'invalid value for [amphora_agent] agent_tls_protocol = "SSLv3": SSLv3 is not supported',
  });
  const empty = await agent.request('PUT', '/1.0/config', '');
  assert.equal(empty.status, 400);
  assert.match((empty.json() as { details: string }).details, /heartbeat_key/u);
  assert.equal(await readFile(agent.configFile, 'utf8'), original);
  // The file left on disk still starts an agent.
  await agent.stop();
  agent = await restartAgentProcess(agent);
  assert.equal((await agent.request('GET', '/1.0/info')).status, 200);
});

test('upload_cert_amp rotates the server certificate; the next connection presents it', async () => {
  const fresh = agent.pki.authority.issue(agent.amphoraId, [agent.amphoraId], ['127.0.0.1']);
  const [result, info] = await runOctaviaClient(agent, [
    { op: 'upload_server_cert', pem: fresh.certPem + fresh.keyPem },
    { op: 'get_info' },
  ]);
  assert.deepEqual(result, { ok: true, value: null });
  assert.equal(info?.ok, true, info?.message);
  const presented = await peerCertificate(agent);
  assert.equal(presented.fingerprint256, new X509Certificate(fresh.certPem).fingerprint256);
});

function peerCertificate(handle: AgentHandle): Promise<{ fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: handle.port, cert: handle.pki.clientPem, key: handle.pki.clientPem, ca: handle.pki.caCertPem, servername: handle.amphoraId }, () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      resolve(certificate);
    });
    socket.on('error', reject);
  });
}
