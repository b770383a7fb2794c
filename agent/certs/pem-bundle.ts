import { X509Certificate, createPrivateKey } from 'node:crypto';
import { AgentError, errorMessage } from '../util/errors.ts';

/** A server certificate file split into its parts: leaf, chain, private key. */
export interface PemBundle {
  certificate: string;
  chain: string[];
  privateKey: string;
}

export class PemBundleError extends AgentError {}

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
 * Splits the bundle and proves that its key belongs to its first certificate, with Node's own
 * X.509 parser (any key type); node-forge is left to the development PKI, so production never
 * loads it.
 */
export async function parsePemBundle(text: string): Promise<PemBundle> {
  const bundle = splitPemBundle(text);
  assertKeyMatches(bundle.certificate, bundle.privateKey);
  return bundle;
}

function assertKeyMatches(certificatePem: string, keyPem: string): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch (error) {
    throw new PemBundleError(`the certificate cannot be parsed: ${errorMessage(error)}`);
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch (error) {
    throw new PemBundleError(`the private key cannot be parsed: ${errorMessage(error)}`);
  }
  if (!matches) throw new PemBundleError('the private key does not match the certificate');
}
