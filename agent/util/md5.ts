import { createHash } from 'node:crypto';

/** Hex MD5 of bytes as stored or sent: the reference's ETag and certificate fingerprint. */
export function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}
