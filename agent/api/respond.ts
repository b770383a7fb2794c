import type { ServerResponse } from 'node:http';
import type { Reply } from '../domain/reply.ts';

/**
 * JSON the way the reference sends it: compact, Content-Type exactly `application/json`
 * (no charset parameter), optional bare-hex ETag.
 */
export function sendJson(response: ServerResponse, status: number, body: unknown, etag?: string): void {
  const payload = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json');
  response.setHeader('Content-Length', Buffer.byteLength(payload));
  if (etag !== undefined) response.setHeader('ETag', etag);
  response.end(payload);
}

/** Plain text as the reference serves stored configs. */
export function sendText(response: ServerResponse, status: number, text: string | Buffer, etag?: string): void {
  const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/plain; charset=UTF-8');
  response.setHeader('Content-Length', payload.length);
  if (etag !== undefined) response.setHeader('ETag', etag);
  response.end(payload);
}

/** A domain operation's answer: raw bytes as text, anything else as JSON. */
export function sendReply(response: ServerResponse, reply: Reply): void {
  if (Buffer.isBuffer(reply.body)) sendText(response, reply.status, reply.body, reply.etag);
  else sendJson(response, reply.status, reply.body, reply.etag);
}
