import { createSecureContext } from 'node:tls';
import { parsePemBundle, PemBundleError } from './pem-bundle.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { errorMessage } from '../util/errors.ts';

/**
 * Rotates the agent's own certificate. The reference writes whatever it receives and bricks
 * itself on garbage; here the PEM must hold a certificate with its matching key, and Node's TLS
 * must accept it, before the file is atomically replaced.
 */
export async function replaceServerCertificate(path: string, pem: Buffer): Promise<void> {
  const text = pem.toString('utf8');
  const bundle = await parsePemBundle(text);
  try {
    createSecureContext({ cert: [bundle.certificate, ...bundle.chain].join('\n'), key: bundle.privateKey });
  } catch (error) {
    throw new PemBundleError(`TLS cannot use this certificate: ${errorMessage(error)}`);
  }
  await writeFileAtomic(path, pem, { mode: 0o600 });
}
