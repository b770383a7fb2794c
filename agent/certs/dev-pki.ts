import forge from 'node-forge';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.ts';

export interface DevPki {
  caCertPem: string;
  /** Server certificate followed by its key: the layout of agent_server_cert. */
  serverPem: string;
  /** Client certificate followed by its key: what a control plane presents. */
  clientPem: string;
  files: { ca: string; server: string; client: string; clientKey: string; clientCert: string };
}

export interface DevPkiOptions {
  /** Names the server certificate is valid for; Octavia's client checks the amphora id. */
  serverNames: string[];
  serverAddresses?: string[];
  commonName?: string;
  validDays?: number;
}

/** RSA keys come from Node's native generator: node-forge's pure-JS one takes seconds. */
function rsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function newCertificate(publicKey: forge.pki.PublicKey, days: number): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  certificate.serialNumber = `01${randomBytes(15).toString('hex')}`;
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  return certificate;
}

/** A CA and the server and client certificates it signs, as Octavia's local generator makes them. */
export function createPki(options: DevPkiOptions): Omit<DevPki, 'files'> & { clientKeyPem: string; clientCertPem: string } {
  const days = options.validDays ?? 365;
  const ca = rsaKeyPair();
  const caCert = newCertificate(ca.publicKey, days);
  const caName = [{ name: 'commonName', value: `${options.commonName ?? 'amphora-agent'} dev CA ${randomBytes(4).toString('hex')}` }];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const leaf = (commonName: string, altNames: { type: number; value?: string; ip?: string }[]) => {
    const keys = rsaKeyPair();
    const certificate = newCertificate(keys.publicKey, days);
    certificate.setSubject([{ name: 'commonName', value: commonName }]);
    certificate.setIssuer(caName);
    certificate.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    ]);
    certificate.sign(ca.privateKey, forge.md.sha256.create());
    return { certPem: forge.pki.certificateToPem(certificate), keyPem: keys.pem };
  };

  const [firstName] = options.serverNames;
  const server = leaf(firstName ?? 'localhost', [
    ...options.serverNames.map((value) => ({ type: 2, value })),
    ...(options.serverAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ]);
  const client = leaf('octavia-controller', []);
  return {
    caCertPem: forge.pki.certificateToPem(caCert),
    serverPem: server.certPem + server.keyPem,
    clientPem: client.certPem + client.keyPem,
    clientKeyPem: client.keyPem,
    clientCertPem: client.certPem,
  };
}

/** Writes a fresh PKI into `directory` (keys 0600). */
export async function writePki(directory: string, options: DevPkiOptions): Promise<DevPki> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const pki = createPki(options);
  const files = {
    ca: join(directory, 'ca.pem'),
    server: join(directory, 'server.pem'),
    client: join(directory, 'client.pem'),
    clientKey: join(directory, 'client.key'),
    clientCert: join(directory, 'client.crt'),
  };
  await writeFileAtomic(files.ca, pki.caCertPem, { mode: 0o644 });
  await writeFileAtomic(files.server, pki.serverPem, { mode: 0o600 });
  await writeFileAtomic(files.client, pki.clientPem, { mode: 0o600 });
  await writeFileAtomic(files.clientKey, pki.clientKeyPem, { mode: 0o600 });
  await writeFileAtomic(files.clientCert, pki.clientCertPem, { mode: 0o644 });
  return { caCertPem: pki.caCertPem, serverPem: pki.serverPem, clientPem: pki.clientPem, files };
}
