import type { IncomingMessage } from 'node:http';
import { frameworkError } from './errors.ts';

/** Upper bound for any upload: far above a real haproxy.cfg or PEM bundle, far below memory. */
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * Reads a raw request body into memory, refusing (JSON 413) as soon as it passes `limit`
 * instead of buffering whatever a client sends.
 */
export async function readBody(request: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    throw frameworkError(413);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.resume();
      throw frameworkError(413);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
