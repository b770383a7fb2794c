import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createPki } from '../../../agent/certs/dev-pki.ts';
import { bundleValidatesClient, ClientCaError, parseClientCaBundle } from '../../../agent/certs/client-ca.ts';

/** root -> intermediate -> client leaf, made by the openssl command line. */
interface Chain {
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  leafKeyPem: string;
}

let directory: string;
let chain: Chain;
let otherRootPem: string;

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: directory, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
}

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'client-ca-'));
  await writeFile(join(directory, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  await writeFile(join(directory, 'leaf.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=root', '-days', '2', '-keyout', 'root.key', '-out', 'root.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=intermediate', '-keyout', 'inter.key', '-out', 'inter.csr']);
  openssl(['x509', '-req', '-in', 'inter.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '2', '-extfile', 'ca.ext', '-out', 'inter.pem']);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=controller', '-keyout', 'leaf.key', '-out', 'leaf.csr']);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'inter.pem', '-CAkey', 'inter.key', '-CAcreateserial', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.pem']);
  const read = (name: string) => readFile(join(directory, name), 'utf8');
  chain = { rootPem: await read('root.pem'), intermediatePem: await read('inter.pem'), leafPem: await read('leaf.pem'), leafKeyPem: await read('leaf.key') };
  otherRootPem = createPki({ serverNames: ['x'] }).caCertPem;
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

const x509 = (pem: string) => new X509Certificate(pem);

/** What a real TLS server with `ca` as its client CA decides for this client chain. */
async function handshakeAccepts(ca: string, clientChain: string): Promise<boolean> {
  const server = createPki({ serverNames: ['localhost'] });
  const tlsServer: Server = createServer({ cert: server.serverPem, key: server.serverPem, ca, requestCert: true, rejectUnauthorized: false });
  const verdicts: boolean[] = [];
  tlsServer.on('secureConnection', (socket) => {
    verdicts.push(socket.authorized);
    socket.end();
  });
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  const { port } = tlsServer.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, cert: clientChain, key: chain.leafKeyPem, rejectUnauthorized: false });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
    socket.resume();
  });
  await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
  assert.equal(verdicts.length, 1);
  return verdicts[0]!;
}

test('the lockout check decides as the TLS handshake does, intermediates included', async () => {
  const cases: { bundle: string[]; presented: string[] }[] = [
    { bundle: [chain.rootPem], presented: [chain.leafPem, chain.intermediatePem] },
    { bundle: [chain.rootPem], presented: [chain.leafPem] },
    { bundle: [chain.rootPem, chain.intermediatePem], presented: [chain.leafPem] },
    { bundle: [chain.intermediatePem], presented: [chain.leafPem, chain.intermediatePem] },
    { bundle: [otherRootPem], presented: [chain.leafPem, chain.intermediatePem] },
    { bundle: [otherRootPem, chain.rootPem], presented: [chain.leafPem, chain.intermediatePem] },
  ];
  const expected = [true, false, true, false, false, true];
  for (const [index, { bundle, presented }] of cases.entries()) {
    const ours = bundleValidatesClient(bundle.map(x509), presented.map(x509));
    assert.equal(ours, expected[index], `case ${index}`);
    assert.equal(await handshakeAccepts(bundle.join(''), presented.join('')), ours, `case ${index}: the handshake agrees`);
  }
});

test('an expired client certificate is not counted as validated', () => {
  const later = Date.now() + 3 * 86_400_000;
  assert.equal(bundleValidatesClient([x509(chain.rootPem)], [x509(chain.leafPem), x509(chain.intermediatePem)], later), false);
});

test('a bundle reads CA certificates only, in any line ending', () => {
  assert.equal(parseClientCaBundle(chain.rootPem.replace(/\n/g, '\r\n') + chain.intermediatePem).length, 2);
  assert.throws(() => parseClientCaBundle(chain.leafPem), (error: Error) => error instanceof ClientCaError && /not a CA certificate/.test(error.message));
  assert.throws(() => parseClientCaBundle(chain.rootPem + chain.leafKeyPem), /PRIVATE KEY block/);
  assert.throws(() => parseClientCaBundle(`${chain.rootPem}trailing words\n`), /not a PEM block/);
  assert.throws(() => parseClientCaBundle('\n \n'), /no certificate/);
});
