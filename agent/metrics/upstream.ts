import { request } from 'node:http';
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

export type ExporterResult = { ok: true; body: string } | { ok: false; failure: ExporterFailure; detail: string };

/** A TCP socket created inside the namespace, connecting to the exporter. */
function connectInNamespace(endpoint: ExporterEndpoint): Socket {
  if (!endpoint.namespace) return new Socket().connect(endpoint.port, endpoint.host);
  const fd = openTcpSocketIn(endpoint.namespace);
  // manualStart: reading starts once connected (an unconnected descriptor would read EOF).
  const socket = new Socket({ fd, readable: true, writable: true, manualStart: true } as ConstructorParameters<typeof Socket>[0]);
  return socket.connect(endpoint.port, endpoint.host);
}

/** GET of the exporter's metrics, bounded in time and size; never throws. */
export function fetchExporter(endpoint: ExporterEndpoint): Promise<ExporterResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ExporterResult) => {
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
    let outgoing: ReturnType<typeof request> | undefined;
    try {
      outgoing = request({
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
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > endpoint.maxBytes) fail('bad-answer', `exporter answer larger than ${endpoint.maxBytes} bytes`);
        else chunks.push(chunk);
      });
      response.on('error', (error) => fail('bad-answer', error.message));
      response.on('aborted', () => fail('bad-answer', 'exporter answer cut short'));
      response.on('end', () => {
        if (!response.complete) fail('bad-answer', 'exporter answer cut short');
        else finish({ ok: true, body: Buffer.concat(chunks, size).toString('utf8') });
      });
    });
    outgoing.end();
  });
}
