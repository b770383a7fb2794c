import { compressJson, encryptPayload, MAX_DATAGRAM_BYTES, signPayload, HEX_DIGEST_LENGTH } from './envelope.ts';
import { messageJson, type HeartbeatMessage } from './message.ts';

export interface EncodeOptions {
  /** One datagram per key: the heartbeat key, then the next key during a rotation. */
  keys: readonly string[];
  encrypt: boolean;
}

export interface EncodedHeartbeat {
  datagrams: Buffer[];
  /** True when pools were left out to fit in one datagram (see docs/heartbeat.md). */
  poolsOmitted: boolean;
  jsonBytes: number;
}

const ENCRYPTION_OVERHEAD = 4 + 12 + 16;

/**
 * Message → datagrams. A message whose envelope would exceed the largest UDP payload (about
 * 2,900 members with random ids) is sent without its `pools` key instead of not at all: the
 * health manager still refreshes the amphora and records listener statuses and statistics,
 * and pool and member statuses keep their last values until the message fits again.
 */
export async function encodeHeartbeat(message: HeartbeatMessage, options: EncodeOptions): Promise<EncodedHeartbeat> {
  const overhead = options.encrypt ? ENCRYPTION_OVERHEAD : HEX_DIGEST_LENGTH;
  let json = messageJson(message);
  let payload = await compressJson(json);
  let poolsOmitted = false;
  if (payload.length + overhead > MAX_DATAGRAM_BYTES && message.pools.size > 0) {
    json = messageJson(message, { includePools: false });
    payload = await compressJson(json);
    poolsOmitted = true;
  }
  const datagrams = options.keys.map((key) => (options.encrypt ? encryptPayload(payload, key) : signPayload(payload, key)));
  return { datagrams, poolsOmitted, jsonBytes: Buffer.byteLength(json) };
}
