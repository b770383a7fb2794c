import { X509Certificate, createPrivateKey } from 'node:crypto';
import type forge from 'node-forge';

/** A server certificate file split into its parts: leaf, chain, private key. */
export interface PemBundle {
  certificate: string;
  chain: string[];
  privateKey: string;
}

export class PemBundleError extends Error {}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/gu;

/**
 * Splits a combined PEM (certificate, optional chain, private key in any order). Octavia writes
 * an RSA key after the certificate; other layouts and key types are accepted too.
 */
export function splitPemBundle(text: string): PemBundle {
  const certificates: string[] = [];
  let privateKey: string | undefined;
  for (const match of text.matchAll(BLOCK)) {
    const [block, label] = match;
    if (label === 'CERTIFICATE') certificates.push(block);
    else if (label?.endsWith('PRIVATE KEY') && privateKey === undefined) privateKey = block;
  }
  const [certificate, ...chain] = certificates;
  if (!certificate) throw new PemBundleError('no certificate found in PEM');
  if (!privateKey) throw new PemBundleError('no private key found in PEM');
  if (privateKey.includes('ENCRYPTED')) throw new PemBundleError('the private key is encrypted');
  return { certificate, chain, privateKey };
}

/**
 * Splits the bundle and proves that its key belongs to its first certificate. node-forge is
 * loaded on first use: only uploads need it, and it would otherwise sit in memory for nothing.
 */
export async function parsePemBundle(text: string): Promise<PemBundle> {
  const bundle = splitPemBundle(text);
  const { default: forgeModule } = await import('node-forge');
  assertKeyMatches(forgeModule, bundle.certificate, bundle.privateKey);
  return bundle;
}

function assertKeyMatches(forge: typeof import('node-forge'), certificatePem: string, keyPem: string): void {
  let certificate: forge.pki.Certificate;
  try {
    certificate = forge.pki.certificateFromPem(certificatePem);
  } catch (error) {
    // forge reads RSA certificates only; other key types are checked by Node's parser.
    return assertKeyMatchesWithNode(certificatePem, keyPem, error);
  }
  let key: forge.pki.rsa.PrivateKey;
  try {
    key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  } catch (error) {
    throw new PemBundleError(`the private key cannot be parsed: ${(error as Error).message}`);
  }
  const publicKey = certificate.publicKey as forge.pki.rsa.PublicKey;
  if (!publicKey.n || !key.n || publicKey.n.compareTo(key.n) !== 0 || publicKey.e.compareTo(key.e) !== 0) {
    throw new PemBundleError('the private key does not match the certificate');
  }
}

function assertKeyMatchesWithNode(certificatePem: string, keyPem: string, forgeError: unknown): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new PemBundleError(`the certificate cannot be parsed: ${(forgeError as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch (error) {
    throw new PemBundleError(`the private key cannot be parsed: ${(error as Error).message}`);
  }
  if (!matches) throw new PemBundleError('the private key does not match the certificate');
}
