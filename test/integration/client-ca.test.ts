import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { createPki } from '../../agent/certs/dev-pki.ts';
import { httpsCall, startAgentProcess, type AgentHandle, type HttpAnswer } from '../helpers/agent-harness.ts';

/**
 * PUT /1.0/client-ca and GET /1.0/trust against the real agent, with real handshakes and three
 * PKIs: old (the agent's start-up one), new, and foreign (never trusted).
 */
let agent: AgentHandle;
let newPki: ReturnType<typeof createPki>;
let foreignPki: ReturnType<typeof createPki>;

before(async () => {
  agent = await startAgentProcess();
  newPki = createPki({ serverNames: [agent.amphoraId], commonName: 'new' });
  foreignPki = createPki({ serverNames: [agent.amphoraId], commonName: 'foreign' });
});
after(async () => {
  await agent?.destroy();
});

type Who = 'old' | 'new' | 'foreign';
const clientPem = (who: Who) => (who === 'old' ? agent.pki.clientPem : who === 'new' ? newPki.clientPem : foreignPki.clientPem);
const caPem = (who: Who) => (who === 'old' ? agent.pki.caCertPem : who === 'new' ? newPki.caCertPem : foreignPki.caCertPem);
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

function clientAgent(who: Who, keepAlive = false): Agent {
  // The server certificate stays the old PKI's throughout this file.
  return new Agent({ cert: clientPem(who), key: clientPem(who), ca: agent.pki.caCertPem, servername: agent.amphoraId, keepAlive, maxSockets: 1 });
}

function call(who: Who | Agent, method: string, path: string, body?: string): Promise<HttpAnswer> {
  const httpsAgent = typeof who === 'string' ? clientAgent(who) : who;
  return httpsCall({ port: agent.port, agent: httpsAgent, method, path, body, servername: agent.amphoraId });
}

/** Whether a fresh connection with this client certificate gets an answer. */
async function accepted(who: Who): Promise<boolean> {
  try {
    return (await call(who, 'GET', '/1.0/info')).status === 200;
  } catch {
    return false;
  }
}

async function acceptance(): Promise<Record<Who, boolean>> {
  return { old: await accepted('old'), new: await accepted('new'), foreign: await accepted('foreign') };
}

const clientCaFile = () => readFile(agent.pki.files.ca, 'utf8');

test('GET /1.0/trust shows the client CA and the server certificate, never key material', async () => {
  const answer = await call('old', 'GET', '/1.0/trust');
  assert.equal(answer.status, 200);
  const trust = answer.json() as { client_ca: Record<string, string>[]; server_certificate: Record<string, string> };
  assert.equal(trust.client_ca.length, 1);
  assert.equal(trust.client_ca[0]!.fingerprint_sha256, fingerprint(agent.pki.caCertPem));
  assert.match(trust.client_ca[0]!.subject!, /^CN=amphora-agent dev CA /);
  assert.equal(trust.server_certificate.fingerprint_sha256, fingerprint(agent.pki.serverPem));
  assert.equal(trust.server_certificate.subject, `CN=${agent.amphoraId}`);
  assert.equal(trust.server_certificate.not_after, new Date(new X509Certificate(agent.pki.serverPem).validTo).toISOString());
  assert.doesNotMatch(answer.text, /BEGIN|KEY/);
});

test('bad bundles are refused with a JSON 400 and the file untouched', async () => {
  const before = await clientCaFile();
  const leaf = agent.pki.authority.issue('not-a-ca');
  const cases: Record<string, string> = {
    'a leaf certificate': leaf.certPem,
    'a CA with a leaf': agent.pki.caCertPem + leaf.certPem,
    'a key instead of a certificate': leaf.keyPem,
    'a CA and a key': agent.pki.caCertPem + leaf.keyPem,
    garbage: 'this is not a certificate\n',
    'a damaged certificate': agent.pki.caCertPem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA'),
    'an empty bundle': '',
  };
  for (const [name, body] of Object.entries(cases)) {
    const answer = await call('old', 'PUT', '/1.0/client-ca?force=true', body);
    assert.equal(answer.status, 400, `${name}: ${answer.text}`);
    const json = answer.json() as { message: string; details: string };
    assert.equal(json.message, 'Invalid request', name);
    assert.equal(typeof json.details, 'string', name);
    assert.equal(await clientCaFile(), before, `${name}: file untouched`);
  }
  assert.deepEqual(await acceptance(), { old: true, new: false, foreign: false });
});

test('an upload that would lock its own caller out is refused; the old bundle stays', async () => {
  const before = await clientCaFile();
  const answer = await call('old', 'PUT', '/1.0/client-ca', newPki.caCertPem);
  assert.equal(answer.status, 409, answer.text);
  const json = answer.json() as { message: string; details: string };
  assert.match(json.message, /lock out/);
  assert.match(json.details, /force=true/);
  assert.equal(await clientCaFile(), before);
  assert.deepEqual(await acceptance(), { old: true, new: false, foreign: false });
});

test('old+new bundle: both client certificates are accepted, a foreign one is not', async () => {
  const answer = await call('old', 'PUT', '/1.0/client-ca', agent.pki.caCertPem + newPki.caCertPem);
  assert.equal(answer.status, 202, answer.text);
  assert.deepEqual(answer.json(), { message: 'OK' });
  assert.equal(await clientCaFile(), agent.pki.caCertPem + newPki.caCertPem);
  assert.deepEqual(await acceptance(), { old: true, new: true, foreign: false });
  const trust = (await call('new', 'GET', '/1.0/trust')).json() as { client_ca: { fingerprint_sha256: string }[] };
  assert.deepEqual(
    trust.client_ca.map((ca) => ca.fingerprint_sha256),
    [fingerprint(agent.pki.caCertPem), fingerprint(newPki.caCertPem)],
  );
});

test('new-only bundle: a kept-alive connection opened with the old certificate finishes, new ones need the new CA', async () => {
  const keptAlive = clientAgent('old', true);
  try {
    const first = await call(keptAlive, 'GET', '/1.0/info');
    assert.equal(first.status, 200);
    const sockets = Object.values(keptAlive.freeSockets).flat();
    assert.equal(sockets.length, 1, 'one idle kept-alive socket');

    // Uploaded by the new client: it validates, so no force is needed.
    const answer = await call('new', 'PUT', '/1.0/client-ca', newPki.caCertPem);
    assert.equal(answer.status, 202, answer.text);

    const second = await call(keptAlive, 'GET', '/1.0/info');
    assert.equal(second.status, 200, 'the connection in flight still works');
    assert.deepEqual(Object.values(keptAlive.freeSockets).flat(), sockets, 'on the same socket');
    assert.deepEqual(await acceptance(), { old: false, new: true, foreign: false });
  } finally {
    keptAlive.destroy();
  }
});

test('force replaces a bundle even when it locks the caller out', async () => {
  const refused = await call('new', 'PUT', '/1.0/client-ca', foreignPki.caCertPem);
  assert.equal(refused.status, 409);
  assert.equal(await clientCaFile(), newPki.caCertPem);
  const forced = await call('new', 'PUT', '/1.0/client-ca?force=true', foreignPki.caCertPem);
  assert.equal(forced.status, 202, forced.text);
  assert.deepEqual(await acceptance(), { old: false, new: false, foreign: true });
  // Back to the start-up CA, through the only client still trusted.
  assert.equal((await call('foreign', 'PUT', '/1.0/client-ca?force=true', caPem('old'))).status, 202);
  assert.deepEqual(await acceptance(), { old: true, new: false, foreign: false });
});

test('details lists no certificate outside the warning window', async () => {
  const details = (await call('old', 'GET', '/1.0/details')).json() as Record<string, unknown>;
  assert.equal(details.certificate_expiry_warning_days, 30);
  assert.deepEqual(details.certificates_expiring, []);
  assert.doesNotMatch(agent.output(), /certificate expires soon/);
});

test('certificates inside the warning window show in details and in a log line', async () => {
  // The test PKI is valid for 365 days: a 400-day window holds both certificates.
  const warned = await startAgentProcess({ extraConfig: { amphora_agent: ['certificate_expiry_warning_days = 400'] } });
  try {
    const httpsAgent = new Agent({ cert: warned.pki.clientPem, key: warned.pki.clientPem, ca: warned.pki.caCertPem, servername: warned.amphoraId });
    const details = (await httpsCall({ port: warned.port, agent: httpsAgent, method: 'GET', path: '/1.0/details', servername: warned.amphoraId })).json() as {
      certificate_expiry_warning_days: number;
      certificates_expiring: { role: string; fingerprint_sha256: string; days_left: number; not_after_seconds: number }[];
    };
    assert.equal(details.certificate_expiry_warning_days, 400);
    assert.deepEqual(
      details.certificates_expiring.map((entry) => [entry.role, entry.fingerprint_sha256]),
      [
        ['client_ca', fingerprint(warned.pki.caCertPem)],
        ['server_certificate', fingerprint(warned.pki.serverPem)],
      ],
    );
    const pems = [warned.pki.caCertPem, warned.pki.serverPem];
    for (const [index, entry] of details.certificates_expiring.entries()) {
      assert.ok(entry.days_left >= 363 && entry.days_left <= 365, `days_left ${entry.days_left}`);
      assert.equal(entry.not_after_seconds, Math.floor(Date.parse(new X509Certificate(pems[index]!).validTo) / 1000));
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (warned.output().match(/certificate expires soon/g) ?? []).length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lines = warned.output().split('\n').filter((line) => line.includes('certificate expires soon'));
    assert.equal(lines.length, 2, warned.output());
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as { role: string }).role).sort(), ['client_ca', 'server_certificate']);
  } finally {
    await warned.destroy();
  }
});
