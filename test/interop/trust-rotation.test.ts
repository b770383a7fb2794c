import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPki } from '../../agent/certs/dev-pki.ts';
import { runAmphoractl, runOctaviaClient, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';

/**
 * docs/trust-rotation.md end to end, without a failover: the control plane moves from the old
 * PKI to a new one, for the client certificate it presents (client CA side, through amphoractl)
 * and for the CA it checks the amphora against (server side, through Octavia's own
 * rest_api_driver and its certificate upload).
 */
let agent: AgentHandle;
let newPki: ReturnType<typeof createPki>;
let foreignPki: ReturnType<typeof createPki>;
const files: Record<string, string> = {};

before(async () => {
  agent = await startAgentProcess();
  newPki = createPki({ serverNames: [agent.amphoraId, 'localhost'], serverAddresses: ['127.0.0.1'], commonName: 'new' });
  foreignPki = createPki({ serverNames: [agent.amphoraId], commonName: 'foreign' });
  const directory = join(agent.directory, 'rotation');
  await mkdir(directory);
  const contents: Record<string, string> = {
    // A copy: the agent's own agent_server_ca file changes under this test.
    oldCa: agent.pki.caCertPem,
    newCa: newPki.caCertPem,
    oldAndNewCa: agent.pki.caCertPem + newPki.caCertPem,
    newClient: newPki.clientPem,
    newServer: newPki.serverPem,
    foreignClient: foreignPki.clientPem,
  };
  for (const [name, text] of Object.entries(contents)) {
    files[name] = join(directory, `${name}.pem`);
    await writeFile(files[name], text, { mode: 0o600 });
  }
});
after(async () => {
  await agent?.destroy();
});

/** The same agent, reached with another client certificate and another server CA. */
function as(client: string, serverCa: string): AgentHandle {
  return { ...agent, pki: { ...agent.pki, files: { ...agent.pki.files, client, ca: serverCa } } };
}

async function octaviaReaches(client: string, serverCa: string): Promise<boolean> {
  const [info] = await runOctaviaClient(as(client, serverCa), [{ op: 'get_info' }]);
  return info?.ok === true;
}

interface TrustRow {
  role: string;
  fingerprint_sha256: string;
}

async function trustShow(client: string, serverCa: string): Promise<TrustRow[]> {
  const result = await runAmphoractl(as(client, serverCa), ['trust', 'show', '-f', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as TrustRow[];
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

test('client CA and server CA rotation without failover', async () => {
  const old = { client: agent.pki.files.client, ca: files.oldCa! };

  // Start: only the old PKI works.
  assert.deepEqual(
    (await trustShow(old.client, old.ca)).map((row) => [row.role, row.fingerprint_sha256]),
    [
      ['client_ca', fingerprint(agent.pki.caCertPem)],
      ['server_certificate', fingerprint(agent.pki.serverPem)],
    ],
  );
  assert.equal(await octaviaReaches(files.newClient!, old.ca), false, 'the new client certificate is not trusted yet');

  // 1. Push old+new as the client CA, with the old client certificate.
  const pushBoth = await runAmphoractl(as(old.client, old.ca), ['trust', 'set-client-ca', files.oldAndNewCa!]);
  assert.equal(pushBoth.code, 0, pushBoth.stderr);
  assert.equal(await octaviaReaches(old.client, old.ca), true, 'old client certificate still accepted');
  assert.equal(await octaviaReaches(files.newClient!, old.ca), true, 'new client certificate accepted');
  assert.equal(await octaviaReaches(files.foreignClient!, old.ca), false, 'a foreign one never is');

  // 2. The control plane now checks amphorae against old+new ([haproxy_amphora] server_ca) and
  //    presents the new client certificate; it uploads a server certificate of the new CA.
  const [upload, infoAfterUpload] = await runOctaviaClient(as(files.newClient!, files.oldAndNewCa!), [
    { op: 'upload_server_cert', pem: newPki.serverPem },
    { op: 'get_info' },
  ]);
  assert.deepEqual(upload, { ok: true, value: null });
  assert.equal(infoAfterUpload?.ok, true, infoAfterUpload?.message);
  assert.equal(await octaviaReaches(files.newClient!, files.newCa!), true, 'server CA new only: reached');
  assert.equal(await octaviaReaches(files.newClient!, old.ca), false, 'server CA old only: the amphora is no longer trusted');

  // 3. Push the new CA only. From the old client certificate amphoractl is refused (lockout).
  const lockout = await runAmphoractl(as(old.client, files.newCa!), ['trust', 'set-client-ca', files.newCa!]);
  assert.notEqual(lockout.code, 0);
  assert.match(lockout.stderr, /lock out.*\(HTTP 409\)/);
  const pushNew = await runAmphoractl(as(files.newClient!, files.newCa!), ['trust', 'set-client-ca', files.newCa!]);
  assert.equal(pushNew.code, 0, pushNew.stderr);

  // End: only the new PKI works, on both sides.
  assert.equal(await octaviaReaches(files.newClient!, files.newCa!), true);
  assert.equal(await octaviaReaches(old.client, files.newCa!), false, 'old client certificate refused');
  assert.deepEqual(
    (await trustShow(files.newClient!, files.newCa!)).map((row) => [row.role, row.fingerprint_sha256]),
    [
      ['client_ca', fingerprint(newPki.caCertPem)],
      ['server_certificate', fingerprint(newPki.serverPem)],
    ],
  );
});

test('amphoractl trust set-server-cert rotates the server certificate; a bad file changes nothing', async () => {
  const client = files.newClient!;
  const ca = files.newCa!;
  const next = newPki.authority.issue(agent.amphoraId, [agent.amphoraId], ['127.0.0.1']);
  const nextFile = join(agent.directory, 'rotation', 'next-server.pem');
  await writeFile(nextFile, next.certPem + next.keyPem, { mode: 0o600 });
  const set = await runAmphoractl(as(client, ca), ['trust', 'set-server-cert', nextFile]);
  assert.equal(set.code, 0, set.stderr);
  const rows = await trustShow(client, ca);
  assert.equal(rows.find((row) => row.role === 'server_certificate')?.fingerprint_sha256, fingerprint(next.certPem));

  const bad = await runAmphoractl(as(client, ca), ['trust', 'set-server-cert', files.newCa!]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Invalid request: .*private key.*\(HTTP 400\)/);
  assert.equal((await trustShow(client, ca)).find((row) => row.role === 'server_certificate')?.fingerprint_sha256, fingerprint(next.certPem));
  assert.equal(await octaviaReaches(client, ca), true);
});
