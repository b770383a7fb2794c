import forge from 'node-forge';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.ts';

export interface DevPki {
  caCertPem: string;
  authority: CertificateAuthority;
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

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  /** A leaf certificate followed by its key, valid for TLS server and client use. */
  issue(commonName: string, names?: string[], addresses?: string[]): { certPem: string; keyPem: string };
}

export function createCertificateAuthority(label = 'amphora-agent dev CA', validDays = 365): CertificateAuthority {
  const ca = rsaKeyPair();
  const caCert = newCertificate(ca.publicKey, validDays);
  const caName = [{ name: 'commonName', value: `${label} ${randomBytes(4).toString('hex')}` }];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(caCert),
    keyPem: ca.pem,
    issue(commonName, names = [], addresses = []) {
      const keys = rsaKeyPair();
      const certificate = newCertificate(keys.publicKey, validDays);
      certificate.setSubject([{ name: 'commonName', value: commonName }]);
      certificate.setIssuer(caName);
      const altNames = [...names.map((value) => ({ type: 2, value })), ...addresses.map((ip) => ({ type: 7, ip }))];
      certificate.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
      ]);
      certificate.sign(ca.privateKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(certificate), keyPem: keys.pem };
    },
  };
}

/** A CA and the server and client certificates it signs, as Octavia's local generator makes them. */
export function createPki(options: DevPkiOptions): Omit<DevPki, 'files'> & { clientKeyPem: string; clientCertPem: string; authority: CertificateAuthority } {
  const authority = createCertificateAuthority(`${options.commonName ?? 'amphora-agent'} dev CA`, options.validDays);
  const server = authority.issue(options.serverNames[0] ?? 'localhost', options.serverNames, options.serverAddresses);
  const client = authority.issue('octavia-controller');
  return {
    caCertPem: authority.certPem,
    serverPem: server.certPem + server.keyPem,
    clientPem: client.certPem + client.keyPem,
    clientKeyPem: client.keyPem,
    clientCertPem: client.certPem,
    authority,
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
  return { caCertPem: pki.caCertPem, authority: pki.authority, serverPem: pki.serverPem, clientPem: pki.clientPem, files };
}
