import { createHash } from 'node:crypto';
import { type FileReference, INVALID_URL_CHARS, type ListenerProtocol, type MonitorType, type PemSecret, type PoolProtocol, type TlsContainer, VALID_CIPHERS } from './types.ts';
import { isObject } from './validation-kit.ts';

/** Facts about the model's values that validation, the renderers and amphoractl share. */

/** The pool protocols a listener of each protocol can use. */
export const LISTENER_POOL_PROTOCOLS: Record<ListenerProtocol, readonly PoolProtocol[]> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

export function isLvsProtocol(protocol: string): protocol is 'UDP' | 'SCTP' {
  return protocol === 'UDP' || protocol === 'SCTP';
}

export function monitorTypesFor(poolProtocol: PoolProtocol): readonly MonitorType[] {
  return isLvsProtocol(poolProtocol) ? ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'] : ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO'];
}

/** The Python-compatible cipher check plus the operator prohibit list; returns a reason or null. */
export function cipherProblem(value: string, prohibitList = ''): string | null {
  if (!VALID_CIPHERS.test(value)) {
    return 'has invalid characters: only letters, digits and - + ! : @ = _ . are allowed';
  }
  const prohibited = new Set(prohibitList.split(':').filter((c) => c !== ''));
  const rejected = value.split(':').filter((c) => prohibited.has(c));
  if (rejected.length > 0) return `contains prohibited ciphers: ${rejected.join(', ')}`;
  return null;
}

/** Checks a redirect URL / prefix (upstream fix of 2026 plus haproxy-specific hardening). */
export function redirectUrlProblem(value: string): string | null {
  if (INVALID_URL_CHARS.test(value)) return 'must not contain spaces or control characters';
  // `#` would start an haproxy comment and silently drop the `if <acl>` condition; quotes and
  // backslashes would be interpreted by haproxy's line parser.
  if (/[#"'\\]/.test(value)) return 'must not contain #, quotes or backslashes';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use the http or https scheme';
  if (url.hostname === '') return 'must have a host';
  return null;
}

/** Octavia's `expand_expected_codes`, returned in ascending order. */
export function expandExpectedCodes(codes: string): number[] {
  const result = new Set<number>();
  for (const part of codes.split(/,\s*/)) {
    const range = /^(\d{3})-(\d{3})$/.exec(part.trim());
    if (range?.[1] && range[2]) {
      for (let code = Number(range[1]); code <= Number(range[2]); code++) result.add(code);
    } else if (/^\d{3}$/.test(part.trim())) {
      result.add(Number(part.trim()));
    }
  }
  return [...result].sort((a, b) => a - b);
}

export function isFileReference(value: unknown): value is FileReference {
  return isObject(value) && typeof value.file === 'string';
}

/** File name of a TLS container or secret inside the load balancer's certificate folder. */
export function secretFileName(secret: TlsContainer | PemSecret): string {
  if (typeof secret === 'string') return `${sha1Hex(secret)}.pem`;
  if (isFileReference(secret)) return secret.file;
  return `${sha1Hex(secret.certificate)}.pem`;
}

export function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}
