import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Agent } from 'node:https';
import { connect, type ConnectionOptions } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { createPki } from '../../agent/certs/dev-pki.ts';
import { httpsCall, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';

let agent: AgentHandle;
before(async () => {
  agent = await startAgentProcess();
});
after(async () => {
  await agent.destroy();
});

/** Resolves with the handshake outcome; never with an HTTP answer. */
function handshake(options: ConnectionOptions): Promise<'ok' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: agent.port, servername: agent.amphoraId, ca: agent.pki.caCertPem, ...options });
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve('timeout');
    });
    // With TLS 1.3 the server's verdict on the client certificate arrives after the handshake:
    // a refused client sees the connection closed at its first read.
    socket.once('secureConnect', () => {
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    socket.once('data', (chunk: Buffer) => {
      socket.destroy();
      resolve(chunk.toString().startsWith('HTTP/1.1 200') ? 'ok' : `unexpected: ${chunk.toString().slice(0, 40)}`);
    });
    socket.once('error', (error) => resolve(error.message));
    socket.once('close', () => resolve('closed'));
  });
}

/**
 * The server refused the client: a TLS alert, a reset, or the connection closed before any
 * answer. A timeout is no refusal (a hung server would pass), and neither is an HTTP answer.
 */
function assertRefused(outcome: string): void {
  assert.notEqual(outcome, 'ok');
  assert.notEqual(outcome, 'timeout', 'the server neither refused nor served within 5 s');
  assert.doesNotMatch(outcome, /^unexpected:/u);
  assert.match(outcome, /^closed$|alert|ECONNRESET|socket hang up|unsupported protocol|handshake failure|no protocols available|wrong version number/u);
}

test('a client with a certificate from agent_server_ca is served', async () => {
  assert.equal(await handshake({ cert: agent.pki.clientPem, key: agent.pki.clientPem }), 'ok');
  assert.equal(await handshake({ cert: agent.pki.clientPem, key: agent.pki.clientPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }), 'ok');
});

test('no client certificate: refused at the handshake', async () => {
  assertRefused(await handshake({}));
});

test('a client certificate from another CA: refused at the handshake', async () => {
  const stranger = createPki({ serverNames: ['stranger'] });
  assertRefused(await handshake({ cert: stranger.clientPem, key: stranger.clientPem }));
});

test('TLS 1.1: refused at the handshake', async () => {
  const outcome = await handshake({ cert: agent.pki.clientPem, key: agent.pki.clientPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  assertRefused(outcome);
});

test('GET / and GET // answer the API version', async () => {
  for (const path of ['/', '//']) {
    const answer = await agent.request('GET', path);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal(answer.text, '{"api_version":"1.0"}');
  }
});

test('unknown paths are JSON 404s, wrong methods JSON 405s, as Werkzeug words them', async () => {
  for (const path of ['/nope', '/1.0', '/1.0/info/', '/1.0/INFO']) {
    const answer = await agent.request('GET', path);
    assert.equal(answer.status, 404, path);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.deepEqual(answer.json(), {
      error: '404 Not Found: The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
      http_code: 404,
    });
  }
  for (const [method, path] of [['POST', '/1.0/info'], ['DELETE', '/'], ['GET', '/1.0/config'], ['POST', '/1.0/certificate']] as const) {
    const answer = await agent.request(method, path);
    assert.equal(answer.status, 405, `${method} ${path}`);
    assert.deepEqual(answer.json(), { error: '405 Method Not Allowed: The method is not allowed for the requested URL.', http_code: 405 });
  }
});

test('details has every reference key with its type', async () => {
  const details = (await agent.request('GET', '/1.0/details')).json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(details), [
    'hostname', 'haproxy_version', 'api_version', 'networks', 'active', 'haproxy_count', 'cpu_count', 'cpu', 'memory', 'disk',
    'load', 'active_tuned_profiles', 'topology', 'topology_status', 'listeners', 'packages', 'lvs_listener_process_count',
    'keepalived_version', 'ipvsadm_version',
    // Extensions after the reference's keys.
    'certificate_expiry_warning_days', 'certificates_expiring',
  ]);
  const cpu = details.cpu as Record<string, unknown>;
  assert.equal(typeof cpu.total, 'number');
  assert.equal(typeof cpu.user, 'string');
  assert.equal((details.load as unknown[]).length, 3);
  assert.equal(details.topology, 'SINGLE');
  assert.equal(details.cpu_count, cpus().length, 'all CPUs, not the agent\'s affinity');
  assert.deepEqual(details.packages, {});
});

test('an oversized body is refused with a JSON 400 (a 413 reads as success to Octavia) and changes nothing', async () => {
  const before = await readFile(agent.configFile, 'utf8');
  const answer = await agent.request('PUT', '/1.0/config', Buffer.alloc(2 * 1024 * 1024, 0x61));
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.json(), { message: 'Invalid request', details: `The request body exceeds the limit of ${1024 * 1024} bytes` });
  assert.equal(await readFile(agent.configFile, 'utf8'), before);
});

test('a bad certificate upload is refused, the file stays and the agent stays reachable', async () => {
  const serverPemPath = agent.pki.files.server;
  const before = await readFile(serverPemPath, 'utf8');
  const other = agent.pki.authority.issue('other');
  const cases = ['garbage', other.certPem, other.keyPem, other.certPem + createPki({ serverNames: ['x'] }).clientKeyPem];
  for (const body of cases) {
    const answer = await agent.request('PUT', '/1.0/certificate', body);
    assert.equal(answer.status, 400);
    const json = answer.json() as { message: string; details: string };
    assert.equal(json.message, 'Invalid request');
    assert.equal(typeof json.details, 'string');
  }
  assert.equal(await readFile(serverPemPath, 'utf8'), before);
  assert.equal((await agent.request('GET', '/')).status, 200);
});

test('rotation: a keep-alive connection finishes on the old certificate, the next one sees the new', async () => {
  const keepAlive = new Agent({ cert: agent.pki.clientPem, key: agent.pki.clientPem, ca: agent.pki.caCertPem, keepAlive: true, maxSockets: 1 });
  const call = (method: string, path: string, body?: string) =>
    httpsCall({ port: agent.port, agent: keepAlive, method, path, body, servername: agent.amphoraId });
  const sockets = new Set<unknown>();
  keepAlive.on('free', (socket) => sockets.add(socket));
  assert.equal((await call('GET', '/')).status, 200);
  const fresh = agent.pki.authority.issue(agent.amphoraId, [agent.amphoraId], ['127.0.0.1']);
  assert.equal((await call('PUT', '/1.0/certificate', fresh.certPem + fresh.keyPem)).status, 202);
  assert.equal((await call('GET', '/1.0/info')).status, 200);
  assert.equal(sockets.size, 1, 'the keep-alive connection carried every request');
  keepAlive.destroy();
  const presented = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: agent.port, cert: agent.pki.clientPem, key: agent.pki.clientPem, ca: agent.pki.caCertPem, servername: agent.amphoraId }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
  assert.equal(presented, new X509Certificate(fresh.certPem).fingerprint256);
});

test('logs carry a request id per call and never a key, PEM body or heartbeat key', async () => {
  const config = await readFile(agent.configFile, 'utf8');
  const rotated = config.replace('heartbeat_key = insecure', 'heartbeat_key = rotated-secret-value');
  assert.equal((await agent.request('PUT', '/1.0/config', rotated)).status, 202);
  assert.equal((await agent.request('PUT', '/1.0/config', config)).status, 202);
  const output = agent.output();
  assert.match(output, /Option health_manager\.heartbeat_key changed from \[\[redacted\]\] to \[\[redacted\]\]/u);
  for (const secret of ['rotated-secret-value', 'insecure', 'PRIVATE KEY', 'BEGIN CERTIFICATE']) {
    assert.ok(!output.includes(secret), `log output contains ${secret}`);
  }
  const requestLines = output.split('\n').filter((line) => line.includes('"msg":"request completed"'));
  assert.ok(requestLines.length >= 5);
  const ids = requestLines.map((line) => (JSON.parse(line) as { req: { id: string } }).req.id);
  assert.equal(new Set(ids).size, ids.length, 'every request has its own id');
});

/** A TCP connection that never starts its handshake; resolves with how long until the server closed it. */
function stalledConnection(): Promise<{ socket: import('node:net').Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = netConnect(agent.port, '127.0.0.1', () => {
      resolve({ socket, closed: new Promise((done) => socket.once('close', () => done(Date.now() - started))) });
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

test('a connection that never finishes its handshake is closed after the handshake timeout', { timeout: 30_000 }, async () => {
  const { socket, closed } = await stalledConnection();
  // Node's default would keep it for 120 s.
  const elapsed = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 20_000))]);
  socket.destroy();
  assert.ok(elapsed > 0, 'the server closed the stalled connection');
});

test('connections beyond the cap are refused at accept; the agent serves again once they go', { timeout: 30_000 }, async () => {
  const flood = await Promise.all(Array.from({ length: 300 }, () => stalledConnection()));
  let refused = 0;
  await Promise.all(
    flood.map(({ closed }) => Promise.race([closed.then(() => (refused += 1)), new Promise((resolve) => setTimeout(resolve, 1500))])),
  );
  for (const { socket } of flood) socket.destroy();
  assert.ok(refused >= 300 - 256, `${refused} of 300 refused`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal((await agent.request('GET', '/')).status, 200);
});
