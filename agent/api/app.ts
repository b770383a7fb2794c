import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { logRequest } from './access-log.ts';
import { frameworkError } from '../domain/refusal.ts';
import type { Logger } from '../util/logger.ts';
import { describeStorageFault } from '../util/system-error.ts';
import { httpError } from './errors.ts';
import { sendJson } from './respond.ts';
import type { ApiRequest, Router } from './router.ts';
import { monotonicMs } from '../util/clock.ts';

/**
 * The API's request listener: request ids and access log, the routers in order, then the
 * reference's JSON answers for unknown paths (404), known paths with another method (405,
 * OPTIONS answered with the allowed methods as Flask does) and every error. Routes stay thin;
 * they throw a Refusal and this layer shapes the answer (api/errors.ts).
 */
export interface AppHooks {
  /** Every answered request, with the matched route's pattern (`unmatched` for 404s). */
  onAnswered?(route: string, method: string, status: number, seconds: number): void;
}

export function createApp(logger: Logger, routers: readonly Router[], hooks: AppHooks = {}): RequestListener {
  return (incoming: IncomingMessage, response: ServerResponse) => {
    // The control plane's discovery call asks for `//`; Flask treats leading slashes as one.
    if (incoming.url?.startsWith('//')) incoming.url = incoming.url.replace(/^\/+/u, '/');
    const request = incoming as ApiRequest;
    request.log = logRequest(logger, incoming, response);
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    request.path = queryAt < 0 ? url : url.slice(0, queryAt);
    request.query = new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1));
    const { onAnswered } = hooks;
    if (onAnswered) {
      const started = monotonicMs();
      response.once('finish', () => onAnswered(request.route ?? 'unmatched', request.method ?? 'GET', response.statusCode, (monotonicMs() - started) / 1000));
    }
    void dispatch(routers, request, response).catch((error: unknown) => answerError(error, request, response));
  };
}

async function dispatch(routers: readonly Router[], request: ApiRequest, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const allowed = new Set<string>();
  for (const router of routers) {
    const found = router.match(method, request.path);
    if ('handler' in found) {
      request.params = found.params;
      request.route = found.route;
      await found.handler(request, response);
      return;
    }
    for (const name of found.allowed) allowed.add(name);
  }
  if (allowed.size === 0) throw frameworkError(404);
  if (method === 'OPTIONS') {
    if (allowed.has('GET')) allowed.add('HEAD');
    allowed.add('OPTIONS');
    response.statusCode = 200;
    response.setHeader('Allow', [...allowed].sort().join(', '));
    response.setHeader('Content-Length', 0);
    response.end();
    return;
  }
  throw frameworkError(405);
}

function answerError(error: unknown, request: ApiRequest, response: ServerResponse): void {
  const answer = httpError(error);
  if (answer.status >= 500) {
    const cause = describeStorageFault(error);
    request.log.error({ err: error, ...(cause ? { cause } : {}) }, cause ? `request failed: ${cause}` : 'request failed');
  }
  // Whatever the handler left unread is drained, so the connection can carry the next request.
  request.resume();
  if (!response.headersSent) sendJson(response, answer.status, answer.body);
  else response.destroy();
}
