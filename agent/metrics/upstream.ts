import type { ClientRequest } from 'node:http';
import { nodeHttp } from '../util/builtins.ts';
import { StringDecoder } from 'node:string_decoder';
import { Socket } from 'node:net';
import { openTcpSocketIn } from '../network/raw-sockets.ts';

/** Where haproxy's built-in exporter answers: the internal frontend Octavia renders. */
export interface ExporterEndpoint {
  /** Network namespace of haproxy (empty: the caller's own). */
  namespace: string;
  host: string;
  port: number;
  path: string;
  /** The whole fetch (connect, headers, body) is bounded by this. */
  timeoutMs: number;
  /** A larger body is refused rather than buffered (a runaway upstream must not exhaust memory). */
  maxBytes: number;
}

export const OCTAVIA_EXPORTER: Omit<ExporterEndpoint, 'namespace'> = {
  host: '127.0.0.1',
  port: 9101,
  path: '/metrics',
  timeoutMs: 4000,
  maxBytes: 256 * 1024 * 1024,
};

export type ExporterFailure =
  /** Nothing listens: no PROMETHEUS listener (hence no exporter frontend), haproxy down, no namespace. */
  | 'unavailable'
  | 'timeout'
  /** Answered with a non-2xx status, reset mid-body, too large. */
  | 'bad-answer';

export type ExporterFailureResult = { ok: false; failure: ExporterFailure; detail: string };
export type ExporterResult = { ok: true; body: string } | ExporterFailureResult;

/** A TCP socket created inside the namespace, connecting to the exporter. */
function connectInNamespace(endpoint: ExporterEndpoint): Socket {
  if (!endpoint.namespace) return new Socket().connect(endpoint.port, endpoint.host);
  const fd = openTcpSocketIn(endpoint.namespace);
  // manualStart: reading starts once connected (an unconnected descriptor would read EOF).
  const socket = new Socket({ fd, readable: true, writable: true, manualStart: true } as ConstructorParameters<typeof Socket>[0]);
  return socket.connect(endpoint.port, endpoint.host);
}

/** GET of the exporter's metrics as one text, bounded in time and size; never throws. */
export async function fetchExporter(endpoint: ExporterEndpoint): Promise<ExporterResult> {
  const parts: string[] = [];
  const result = await streamExporter(endpoint, (text) => parts.push(text));
  return result.ok ? { ok: true, body: parts.join('') } : result;
}

/**
 * GET of the exporter's metrics, handed to `onText` as UTF-8 text while it arrives (so a large
 * answer is never held whole); bounded in time and size; never throws. What `onText` received
 * is only meaningful when the result is ok.
 */
export function streamExporter(endpoint: ExporterEndpoint, onText: (text: string) => void): Promise<{ ok: true } | ExporterFailureResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: { ok: true } | ExporterFailureResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const fail = (failure: ExporterFailure, detail: string) => {
      finish({ ok: false, failure, detail });
      outgoing?.destroy();
    };
    const timer = setTimeout(() => fail('timeout', `no complete answer within ${endpoint.timeoutMs} ms`), endpoint.timeoutMs);
    let outgoing: ClientRequest | undefined;
    try {
      outgoing = nodeHttp.request({
        host: endpoint.host,
        port: endpoint.port,
        path: endpoint.path,
        method: 'GET',
        createConnection: () => connectInNamespace(endpoint),
      });
    } catch (error) {
      // The namespace does not exist (yet), or no socket could be made.
      fail('unavailable', (error as Error).message);
      return;
    }
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      const refused = error.code === 'ECONNREFUSED' || error.code === 'ENOENT';
      fail(refused ? 'unavailable' : 'bad-answer', error.message);
    });
    outgoing.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        response.resume();
        fail('bad-answer', `exporter answered ${status}`);
        return;
      }
      const decoder = new StringDecoder('utf8');
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > endpoint.maxBytes) fail('bad-answer', `exporter answer larger than ${endpoint.maxBytes} bytes`);
        else onText(decoder.write(chunk));
      });
      response.on('error', (error) => fail('bad-answer', error.message));
      response.on('aborted', () => fail('bad-answer', 'exporter answer cut short'));
      response.on('end', () => {
        if (!response.complete) fail('bad-answer', 'exporter answer cut short');
        else {
          onText(decoder.end());
          finish({ ok: true });
        }
      });
    });
    outgoing.end();
  });
}
