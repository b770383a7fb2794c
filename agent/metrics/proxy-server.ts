import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeHttp } from '../util/builtins.ts';
import { closeSocket, openTcpSocketIn } from '../network/raw-sockets.ts';
import { ByteSink } from './byte-sink.ts';
import { scrapeOnce, type ScrapeResult, type ScrapeSources } from './scrape.ts';
import type { ExporterFailure } from './upstream.ts';

/** Where haproxy's PROMETHEUS listeners forward (`server prometheus-internal 127.0.0.1:9102`). */
export const OCTAVIA_PROXY_ADDRESS = { address: '127.0.0.1', port: 9102 } as const;

export interface MetricsProxyOptions {
  /** Network namespace to listen in (and where haproxy's exporter is); empty: the process's own. */
  namespace: string;
  listen: { address: string; port: number };
  sources: ScrapeSources;
  /** The agent's logger, or the standalone proxy's plain lines. */
  logger: Record<'info' | 'warn' | 'error' | 'debug', (fields: object, message?: string) => void>;
  /** Pause between attempts to listen (the namespace may not exist yet). */
  retryMs?: number;
}

interface SharedScrape {
  sink: ByteSink;
  users: number;
  result: Promise<ScrapeResult>;
}

const MAX_KEPT_SINK_BYTES = 64 * 1024 * 1024;

const FAILURE_STATUS: Record<ExporterFailure, number> = { unavailable: 503, timeout: 504, 'bad-answer': 502 };
const FAILURE_TEXT: Record<ExporterFailure, string> = {
  unavailable: 'haproxy metrics exporter not available (no PROMETHEUS listener, or haproxy not running)',
  timeout: 'haproxy metrics exporter did not answer in time',
  'bad-answer': 'haproxy metrics exporter answered with an error',
};

/**
 * The metrics endpoint haproxy's PROMETHEUS listeners forward to. Any path; GET answers the
 * metrics with a Content-Length, HEAD the same headers, other methods 501. Concurrent scrapes
 * share one upstream fetch. Listening is retried every second until it works, as Octavia's proxy
 * does while the namespace does not exist yet.
 */
export class MetricsProxy {
  readonly #options: MetricsProxyOptions;
  readonly #server: Server;
  #inFlight: SharedScrape | undefined;
  /** The answer buffer of the last scrape, kept for the next one once nobody sends from it. */
  #spareSink: ByteSink | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #listening = false;
  #lastListenError: string | undefined;
  #readyWaiters: (() => void)[] = [];

  constructor(options: MetricsProxyOptions) {
    this.#options = options;
    this.#server = nodeHttp.createServer({ keepAlive: false, requestTimeout: 30_000, headersTimeout: 10_000 }, (request, response) => {
      void this.#handle(request, response);
    });
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** Starts trying to listen; returns at once. */
  start(): void {
    this.#attempt();
  }

  /** Resolves once listening. */
  ready(): Promise<void> {
    if (this.#listening) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    if (!this.#listening) return;
    this.#listening = false;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #attempt(): void {
    if (this.#closed) return;
    const { namespace, listen, logger } = this.#options;
    let fd: number | undefined;
    try {
      // In a namespace the socket is made there by descriptor; in the process's own namespace
      // Node listens itself (and the FFI is never loaded).
      if (namespace) fd = openTcpSocketIn(namespace, listen);
      const onError = (error: Error) => {
        this.#server.off('listening', onListening);
        if (fd !== undefined) closeSocket(fd);
        this.#failed(error);
      };
      const onListening = () => {
        this.#server.off('error', onError);
        this.#listening = true;
        logger.info({ namespace, address: listen.address, port: listen.port }, `metrics proxy serving on port ${listen.port}`);
        for (const waiter of this.#readyWaiters.splice(0)) waiter();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      if (fd !== undefined) this.#server.listen({ fd });
      else this.#server.listen({ host: listen.address, port: listen.port, exclusive: true });
    } catch (error) {
      this.#failed(error as Error);
    }
  }

  #failed(error: Error): void {
    // Logged when the reason changes, not every second.
    if (error.message !== this.#lastListenError) {
      this.#lastListenError = error.message;
      this.#options.logger.info({ namespace: this.#options.namespace, err: error.message }, 'metrics proxy cannot listen yet; retrying every second');
    }
    this.#retry = setTimeout(() => this.#attempt(), this.#options.retryMs ?? 1000);
  }

  /** Joins the scrape in flight or starts one; each caller releases it once its answer is sent. */
  #scrape(): SharedScrape {
    if (this.#inFlight) {
      this.#inFlight.users += 1;
      return this.#inFlight;
    }
    const sink = this.#spareSink ?? new ByteSink();
    this.#spareSink = undefined;
    const shared: SharedScrape = { sink, users: 1, result: scrapeOnce(this.#options.sources, sink) };
    this.#inFlight = shared;
    void shared.result.finally(() => {
      if (this.#inFlight === shared) this.#inFlight = undefined;
    });
    return shared;
  }

  #release(shared: SharedScrape): void {
    shared.users -= 1;
    if (shared.users > 0 || this.#inFlight === shared) return;
    // A buffer far larger than answers need (one odd huge answer) is not kept.
    if (this.#spareSink === undefined && shared.sink.capacity <= MAX_KEPT_SINK_BYTES) this.#spareSink = shared.sink;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.resume();
    response.setHeader('connection', 'close');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 501, 'text/plain; charset=utf-8', 'only GET and HEAD are supported\n', false, { allow: 'GET, HEAD' });
      return;
    }
    const head = request.method === 'HEAD';
    const shared = this.#scrape();
    // The answer's bytes stay in use until the response is done with them.
    response.once('close', () => {
      void shared.result.finally(() => this.#release(shared));
    });
    let result: ScrapeResult;
    try {
      result = await shared.result;
    } catch (error) {
      this.#options.logger.error({ err: error }, 'metrics scrape failed');
      send(response, 500, 'text/plain; charset=utf-8', 'metrics could not be collected\n', head);
      return;
    }
    if (!result.ok) {
      this.#options.logger.warn({ failure: result.failure, detail: result.detail }, 'haproxy metrics exporter not readable');
      send(response, FAILURE_STATUS[result.failure], 'text/plain; charset=utf-8', `${FAILURE_TEXT[result.failure]}: ${result.detail}\n`, head);
      return;
    }
    send(response, 200, 'text/plain; version=0.0.4', result.body, head, { 'cache-control': 'no-cache' });
  }
}

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  text: string | Buffer[],
  head: boolean,
  headers: Record<string, string> = {},
): void {
  const segments = typeof text === 'string' ? [Buffer.from(text, 'utf8')] : text;
  const length = segments.reduce((total, segment) => total + segment.length, 0);
  response.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': length });
  if (!head) for (const segment of segments) if (segment.length > 0) response.write(segment);
  response.end();
}
