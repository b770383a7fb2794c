import type { IncomingMessage } from 'node:http';
import { appError, type Refusal } from '../domain/refusal.ts';

/** Upper bound for any upload: far above a real haproxy.cfg or PEM bundle, far below memory. */
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * Reads a raw request body into memory, refusing it as soon as it passes `limit` instead of
 * buffering whatever a client sends. The refusal is a 400: Octavia's client counts any status
 * outside 400/401/403/404/405/409/500/503 as success, so a 413 would make the controller
 * believe a config or certificate it sent was stored.
 */
export async function readBody(request: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(limit: number): Refusal {
  return appError(400, 'Invalid request', `The request body exceeds the limit of ${limit} bytes`);
}

/** A JSON body as Flask's `get_json()` reads it: only with a JSON content type; undefined otherwise. */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(request, limit);
  if (!isJsonContent(request.headers['content-type'])) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Flask's `is_json`: `application/json` or `application/*+json`, parameters ignored. */
function isJsonContent(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[^/]+\+json$/u.test(mediaType);
}
