/**
 * Hostile and concurrent input against the real agent: ids that try to leave base_path,
 * oversized bodies, racing uploads to one load balancer, listener certificate hashing.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { connect } from 'node:tls';
import { startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { httpGet, retireAgent, startMembers, testHaproxyConfig } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

let agent: AgentHandle;
let members: Awaited<ReturnType<typeof startMembers>>;
const created: string[] = [];

before(async () => {
  agent = await startAgentProcess();
  members = await startMembers(['only-member']);
});

after(async () => {
  await retireAgent(agent, created, members);
});

/** Every path under `root`, except the heartbeat's counters file and its temporary (written on their own schedule). */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((path) => !path.includes('stats_counters.json')) // the file and its write temporary
    .sort();
}

const BAD_IDS = ['..', '%2e%2e', '%2E%2E%2F%2E%2E%2Fetc', 'a%2Fb', 'a%20b', 'a%00b', 'lb%0Aid', 'x'.repeat(65)];

test('ids outside [A-Za-z0-9_-]{1,64} are refused before anything touches the disk', { timeout: 60_000 }, async () => {
  const before = await tree(agent.directory);
  const config = testHaproxyConfig({ basePath: agent.basePath, lbId: 'x', listenerId: 'l', port: 1, memberPorts: [1] });
  for (const id of BAD_IDS) {
    const upload = await agent.request('PUT', `/1.0/loadbalancer/amp/${id}/haproxy`, config);
    assert.equal(upload.status, 400, `upload ${id}`);
    assert.equal(upload.headers['content-type'], 'application/json');
    const fetched = await agent.request('GET', `/1.0/loadbalancer/${id}/haproxy`);
    assert.equal(fetched.status, 404, `get ${id}`);
    assert.equal(fetched.headers['content-type'], 'application/json');
    for (const action of ['start', 'reload', 'stop']) {
      const answer = await agent.request('PUT', `/1.0/loadbalancer/${id}/${action}`);
      assert.equal(answer.status, 404, `${action} ${id}`);
      assert.equal((answer.json() as { message: string }).message, 'Loadbalancer Not Found');
    }
    assert.equal((await agent.request('DELETE', `/1.0/listeners/${id}`)).status, 200, `delete ${id}`);
    assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${id}/certificates/evil.pem`, 'x')).status, 400, `cert put ${id}`);
    assert.equal((await agent.request('GET', `/1.0/loadbalancer/${id}/certificates/evil.pem`)).status, 404, `cert get ${id}`);
    assert.equal((await agent.request('DELETE', `/1.0/loadbalancer/${id}/certificates/evil.pem`)).status, 200, `cert delete ${id}`);
  }
  for (const filename of ['..%2Fevil.pem', '.pem', '..pem', 'a%20b.pem', 'x%00.pem', 'test.bla']) {
    for (const method of ['PUT', 'GET', 'DELETE']) {
      const answer = await agent.request(method, `/1.0/loadbalancer/${randomUUID()}/certificates/${filename}`, method === 'PUT' ? 'x' : undefined);
      assert.equal(answer.status, 400, `${method} ${filename}`);
      assert.deepEqual(answer.json(), { message: 'Filename has wrong format' });
    }
  }
  assert.deepEqual(await tree(agent.directory), before);
});

test('unknown actions get the reference\'s 400, checked before the id', async () => {
  const answer = await agent.request('PUT', `/1.0/loadbalancer/${randomUUID()}/error`);
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.json(), { message: 'Invalid Request', details: 'Unknown action: error' });
  assert.deepEqual((await agent.request('PUT', '/1.0/loadbalancer/../Haproxy')).json(), {
    message: 'Invalid Request',
    details: 'Unknown action: haproxy',
  });
  const upper = await agent.request('PUT', `/1.0/loadbalancer/${'a'.repeat(8)}/START`);
  assert.equal(upper.status, 404);
});

/**
 * Declares a 17 MiB body and sends none of it: the agent must answer from the declared length
 * alone (streaming 17 MiB into a socket the server closes after answering races into EPIPE).
 */
function declareOversizedUpload(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: agent.port,
      cert: agent.pki.clientPem,
      key: agent.pki.clientPem,
      ca: agent.pki.caCertPem,
      servername: agent.amphoraId,
    });
    let text = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer to an oversized upload')));
    socket.on('secureConnect', () => socket.write(`PUT ${path} HTTP/1.1\r\nHost: amphora\r\nContent-Length: ${17 * 1024 * 1024}\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (/\r\n\r\n[\s\S]*\}$/u.test(text)) socket.end();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

test('an oversized upload gets a JSON 400 (a 413 reads as success to Octavia) and writes nothing', { timeout: 30_000 }, async () => {
  const lbId = randomUUID();
  const answer = await declareOversizedUpload(`/1.0/loadbalancer/amp/${lbId}/haproxy`);
  assert.match(answer, /^HTTP\/1\.1 400 /u);
  assert.match(answer, /\r\ncontent-type: application\/json\r\n/iu);
  assert.match(answer, /"message":"Invalid request","details":"The request body exceeds the limit of \d+ bytes"/u);
  await assert.rejects(stat(join(agent.basePath, lbId)));
  const certificate = await declareOversizedUpload(`/1.0/loadbalancer/${lbId}/certificates/big.pem`);
  assert.match(certificate, /^HTTP\/1\.1 400 /u);
  await assert.rejects(stat(join(agent.certDir, lbId)));
});

test('concurrent uploads (valid and invalid) to one LB leave exactly one validated config live', { timeout: 60_000 }, async () => {
  const lbId = randomUUID();
  created.push(lbId);
  const port = await freePort();
  const variant = (index: number) =>
    testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId: 'listener', port, memberPorts: members.ports, comment: `variant ${index}` });
  const bodies = Array.from({ length: 12 }, (_, index) => (index % 3 === 2 ? `${variant(index)}\nthis is not haproxy\n` : variant(index)));
  const answers = await Promise.all(bodies.map((body) => agent.request('PUT', `/1.0/loadbalancer/amp/${lbId}/haproxy`, body)));
  assert.deepEqual(
    answers.map((answer) => answer.status),
    bodies.map((_, index) => (index % 3 === 2 ? 400 : 202)),
  );
  const live = await readFile(join(agent.basePath, lbId, 'haproxy.cfg'), 'utf8');
  const valid = bodies.filter((_, index) => index % 3 !== 2).map((body) => body.replace('\n    group nogroup', ''));
  assert.ok(valid.includes(live), 'the live config is one of the accepted uploads, whole');
  const leftovers = (await readdir(join(agent.basePath, lbId))).filter((name) => name.includes('.tmp') || name === 'haproxy.cfg.new');
  assert.deepEqual(leftovers, []);

  // Racing actions and uploads on a running LB: every call answers, haproxy keeps serving.
  assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`)).status, 202);
  const mixed = await Promise.all([
    ...Array.from({ length: 4 }, () => agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`)),
    ...Array.from({ length: 4 }, (_, index) => agent.request('PUT', `/1.0/loadbalancer/amp/${lbId}/haproxy`, variant(100 + index))),
  ]);
  assert.deepEqual(mixed.map((answer) => answer.status), [202, 202, 202, 202, 202, 202, 202, 202]);
  const served = await httpGet(port);
  assert.equal(served.body, 'only-member');
});

test('listener certificates: MD5 over the stored bytes both ways (CRLF and binary), 0600, idempotent delete', { timeout: 30_000 }, async () => {
  const lbId = randomUUID();
  const path = `/1.0/loadbalancer/${lbId}/certificates/${createHash('sha1').update(lbId).digest('hex')}.pem`;
  const missing = await agent.request('GET', path);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['content-type'], 'application/json');
  assert.equal((missing.json() as { message: string }).message, 'Certificate Not Found');

  for (const content of [Buffer.from('-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----\r\n'), randomBytes(4096)]) {
    const digest = createHash('md5').update(content).digest('hex');
    const put = await agent.request('PUT', path, content);
    assert.equal(put.status, 200);
    assert.deepEqual(put.json(), { message: 'OK' });
    assert.equal(put.headers.etag, digest);
    const got = await agent.request('GET', path);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json(), { md5sum: digest });
    assert.equal(got.headers.etag, digest);
  }
  const file = join(agent.certDir, lbId, path.split('/').at(-1)!);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual((await agent.request('DELETE', path)).json(), { message: 'OK' });
  await assert.rejects(stat(file));
  assert.equal((await agent.request('DELETE', path)).status, 200);
  const reference = await agent.request('GET', `/1.0/loadbalancer/${lbId}/certificates/test.pem`);
  assert.deepEqual(reference.json(), { message: 'Certificate Not Found', details: 'No certificate with filename: test.pem' });
});

test('a second load balancer on a VIP and port another one serves is refused with a 409 naming it', { timeout: 60_000 }, async () => {
  const [first, second] = [`clash-a-${randomUUID().slice(0, 8)}`, `clash-b-${randomUUID().slice(0, 8)}`];
  const configFor = (lbId: string, binds: string[]) =>
    testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId: 'l', port: 1, memberPorts: [1] }).replace(
      '    bind 127.0.0.1:1',
      binds.map((bind) => `    bind ${bind}`).join('\n'),
    );
  const upload = (lbId: string, binds: string[]) => agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, configFor(lbId, binds));
  created.push(first, second);
  assert.equal((await upload(first, ['192.0.2.10:8080', '2001:db8::10:8080', '127.0.0.1:9101'])).status, 202);
  for (const binds of [['192.0.2.10:8080'], ['*:8080'], ['2001:0db8:0000::10:8080'], ['[2001:db8::10]:8080']]) {
    const answer = await upload(second, binds);
    assert.equal(answer.status, 409, `${binds}: ${answer.text}`);
    assert.equal((answer.json() as { message: string }).message, 'Listener address already in use');
    assert.match((answer.json() as { details: string }).details, new RegExp(`served by load balancer ${first}`, 'u'));
  }
  await assert.rejects(readFile(join(agent.basePath, second, 'haproxy.cfg')));
  // Another port, or loopback (every PROMETHEUS listener binds 127.0.0.1:9101), is fine; so is the owner again.
  assert.equal((await upload(second, ['192.0.2.10:8081', '127.0.0.1:9101'])).status, 202);
  assert.equal((await upload(first, ['192.0.2.10:8080'])).status, 202);
});
