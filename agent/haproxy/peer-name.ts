import { createHash } from 'node:crypto';

/**
 * The haproxy peer name of an amphora (reference §4.10): URL-ish Base64 of SHA-1(amphora id),
 * `+`→`_`, `/`→`-`, a leading `-` becomes `x` (haproxy would read it as an option), no padding.
 * The controller names its `peers` entries the same way, so both sides must agree byte for byte.
 */
export function haproxyPeerName(amphoraId: string): string {
  const base64 = createHash('sha1').update(amphoraId, 'utf8').digest('base64');
  return base64
    .replaceAll('+', '_')
    .replaceAll('/', '-')
    .replace(/^-/u, 'x')
    .replace(/=+$/u, '');
}
