import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { deflate, inflateSync } from 'node:zlib';
import { nodeUtil } from '../util/builtins.ts';

const { promisify } = nodeUtil;

/**
 * The heartbeat datagram. Signed form (the only one Octavia reads):
 * `zlib(json, level 9) || hex(HMAC-SHA256(key as UTF-8, compressed bytes))`.
 *
 * Encrypted form (opt-in extension):
 * `"AHE1" || nonce(12) || AES-256-GCM(zlib(json)) || tag(16)`, with the magic as additional
 * authenticated data and the AES key derived from the heartbeat key by HKDF-SHA256. A zlib
 * stream always starts with 0x78, so the two forms cannot be mistaken for each other.
 */

/** Largest UDP payload over IPv4 (65,535 − 20 − 8); IPv6 allows 20 bytes more. */
export const MAX_DATAGRAM_BYTES = 65_507;
export const HEX_DIGEST_LENGTH = 64;
const RAW_DIGEST_LENGTH = 32;

export const ENCRYPTED_MAGIC = Buffer.from('AHE1', 'ascii');
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const HKDF_SALT = Buffer.from('amphora-agent heartbeat', 'utf8');
const HKDF_INFO = Buffer.from('aes-256-gcm v1', 'utf8');

const deflateAsync = promisify(deflate);

/** zlib level 9 on the thread pool: a large message never blocks the event loop. */
export async function compressJson(json: string): Promise<Buffer> {
  return deflateAsync(Buffer.from(json, 'utf8'), { level: 9 });
}

export function hexDigest(payload: Uint8Array, key: string): Buffer {
  return Buffer.from(createHmac('sha256', Buffer.from(key, 'utf8')).update(payload).digest('hex'), 'ascii');
}

export function signPayload(payload: Uint8Array, key: string): Buffer {
  return Buffer.concat([payload, hexDigest(payload, key)]);
}

/**
 * The compressed payload if `datagram` is signed with `key`, as the receiver checks it: hex
 * digest first, then the legacy raw 32-byte digest.
 */
export function verifySigned(datagram: Buffer, key: string): Buffer | undefined {
  const mac = () => createHmac('sha256', Buffer.from(key, 'utf8'));
  if (datagram.length > HEX_DIGEST_LENGTH) {
    const payload = datagram.subarray(0, -HEX_DIGEST_LENGTH);
    if (timingSafeEqual(datagram.subarray(-HEX_DIGEST_LENGTH), hexDigest(payload, key))) return payload;
  }
  if (datagram.length > RAW_DIGEST_LENGTH) {
    const payload = datagram.subarray(0, -RAW_DIGEST_LENGTH);
    if (timingSafeEqual(datagram.subarray(-RAW_DIGEST_LENGTH), mac().update(payload).digest())) return payload;
  }
  return undefined;
}

/**
 * The largest message accepted after decompression: a real heartbeat of ten thousand members
 * is about 1 MB, while a 64 KB datagram can hold a thousandfold compression bomb.
 */
export const MAX_INFLATED_BYTES = 8 * 1024 * 1024;

export function inflatePayload(payload: Uint8Array): string {
  return inflateSync(payload, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
}

const derivedKeys = new Map<string, Buffer>();

export function deriveEncryptionKey(key: string): Buffer {
  let derived = derivedKeys.get(key);
  if (!derived) {
    derived = Buffer.from(hkdfSync('sha256', Buffer.from(key, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
    if (derivedKeys.size > 8) derivedKeys.clear();
    derivedKeys.set(key, derived);
  }
  return derived;
}

export function encryptPayload(payload: Uint8Array, key: string): Buffer {
  const nonce = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', deriveEncryptionKey(key), nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(ENCRYPTED_MAGIC);
  const body = Buffer.concat([cipher.update(payload), cipher.final()]);
  return Buffer.concat([ENCRYPTED_MAGIC, nonce, body, cipher.getAuthTag()]);
}

export function isEncryptedDatagram(datagram: Buffer): boolean {
  return datagram.length >= ENCRYPTED_MAGIC.length && datagram.subarray(0, ENCRYPTED_MAGIC.length).equals(ENCRYPTED_MAGIC);
}

/** The compressed payload, or undefined if the datagram is not encrypted with `key` or was altered. */
export function decryptDatagram(datagram: Buffer, key: string): Buffer | undefined {
  const headerLength = ENCRYPTED_MAGIC.length + NONCE_LENGTH;
  if (!isEncryptedDatagram(datagram) || datagram.length < headerLength + TAG_LENGTH) return undefined;
  const nonce = datagram.subarray(ENCRYPTED_MAGIC.length, headerLength);
  const body = datagram.subarray(headerLength, -TAG_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', deriveEncryptionKey(key), nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(ENCRYPTED_MAGIC);
  decipher.setAuthTag(datagram.subarray(-TAG_LENGTH));
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}
