import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { AgentError, errorMessage } from '../util/errors.ts';

/** A bundle that cannot serve as the client CA: nothing is written. */
export class ClientCaError extends AgentError {}

/** A valid bundle that would refuse the very client uploading it. */
export class ClientCaLockoutError extends AgentError {}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/gu;
/** Longest issuer chain walked from a client certificate to a trust anchor. */
const MAX_CHAIN_DEPTH = 10;

/**
 * Reads a client CA bundle: one or more PEM certificates, each a CA (basicConstraints CA:TRUE).
 * Anything else in it (a key, a CSR, text that is not PEM) makes the whole bundle invalid: an
 * operator who sends a key by mistake hears about it instead of getting a half-read file.
 */
export function parseClientCaBundle(text: string): X509Certificate[] {
  const certificates: X509Certificate[] = [];
  let rest = text;
  for (const match of text.matchAll(BLOCK)) {
    const [block, label] = match;
    rest = rest.replace(block, '');
    if (label !== 'CERTIFICATE') throw new ClientCaError(`the bundle holds a ${label} block; only CA certificates belong in it`);
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (error) {
      throw new ClientCaError(`certificate ${certificates.length + 1} cannot be parsed: ${errorMessage(error)}`);
    }
    if (!certificate.ca) throw new ClientCaError(`certificate ${certificates.length + 1} (${oneLineSubject(certificate)}) is not a CA certificate`);
    certificates.push(certificate);
  }
  if (rest.trim() !== '') throw new ClientCaError('the bundle holds text that is not a PEM block');
  if (certificates.length === 0) throw new ClientCaError('the bundle holds no certificate');
  return certificates;
}

/**
 * Every certificate of a bundle already on disk, without judging it: what is in force is
 * shown as it is, even if it was written by hand and holds a non-CA certificate.
 */
export function readBundleCertificates(text: string): X509Certificate[] {
  return [...text.matchAll(BLOCK)].filter(([, label]) => label === 'CERTIFICATE').map(([block]) => new X509Certificate(block));
}

/** `CN=a, O=b` instead of Node's one attribute per line. */
export function oneLineSubject(certificate: X509Certificate): string {
  return certificate.subject.split('\n').join(', ');
}

function isCurrentlyValid(certificate: X509Certificate, now: number): boolean {
  return Date.parse(certificate.validFrom) <= now && now <= Date.parse(certificate.validTo);
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

/**
 * Would a handshake with `bundle` as the CA accept this client chain (leaf first, then any
 * intermediates the client sent)? As OpenSSL does by default, the walk must end at a
 * self-signed certificate of the bundle; intermediates may come from the bundle or the client.
 */
export function bundleValidatesClient(bundle: readonly X509Certificate[], presented: readonly X509Certificate[], now = Date.now()): boolean {
  const [leaf] = presented;
  if (!leaf || !isCurrentlyValid(leaf, now)) return false;
  const anchors = new Set(bundle.map((certificate) => certificate.fingerprint256));
  const candidates = [...bundle, ...presented.slice(1)].filter((certificate) => isCurrentlyValid(certificate, now));
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth += 1) {
    const issuer = candidates.find((candidate) => candidate.ca && issued(candidate, current));
    if (!issuer) return false;
    const selfSigned = issued(issuer, issuer);
    if (selfSigned) return anchors.has(issuer.fingerprint256);
    current = issuer;
  }
  return false;
}

export interface ClientCaUpload {
  /** The certificate chain the uploading client presented, leaf first. */
  presentedChain: readonly X509Certificate[];
  /** Write even when the caller would be locked out. */
  force: boolean;
}

/**
 * Replaces the client CA bundle after checking every certificate and, unless forced, that the
 * new bundle still accepts the uploading client. The file is swapped atomically; the caller
 * reloads the TLS context so the next handshake uses it.
 */
export async function replaceClientCa(path: string, pem: Buffer, upload: ClientCaUpload): Promise<X509Certificate[]> {
  const text = pem.toString('utf8');
  const bundle = parseClientCaBundle(text);
  try {
    createSecureContext({ ca: text });
  } catch (error) {
    throw new ClientCaError(`TLS cannot use this bundle: ${errorMessage(error)}`);
  }
  if (!upload.force && !bundleValidatesClient(bundle, upload.presentedChain)) {
    throw new ClientCaLockoutError(
      'the new bundle does not validate the client certificate of this request, so this client could not connect again; upload a bundle that keeps it (old and new CA together) or add ?force=true',
    );
  }
  await writeFileAtomic(path, pem, { mode: 0o644 });
  return bundle;
}
