import { createHash } from 'node:crypto';

/**
 * haproxy peer name of an amphora (amphora-api.md §4.10): Base64 of SHA-1 with `_` for `+`
 * and `-` for `/`, a leading `-` turned into `x` (haproxy rejects it), padding removed.
 * The same name is passed to haproxy with `-L`.
 */
export function peerName(amphoraId: string): string {
  const encoded = createHash('sha1').update(amphoraId, 'utf8').digest('base64').replaceAll('+', '_').replaceAll('/', '-');
  return (encoded.startsWith('-') ? `x${encoded.slice(1)}` : encoded).replaceAll('=', '');
}
