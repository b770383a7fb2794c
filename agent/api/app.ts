import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';
import { httpError } from './errors.ts';
import { frameworkError } from '../domain/refusal.ts';
import { describeStorageFault } from '../util/system-error.ts';
import { sendJson } from './respond.ts';
import type { Logger } from '../util/logger.ts';
import type { Router } from 'express';

/**
 * The express application: request ids and access log, the routers, then the reference's
 * JSON answers for unknown paths (404), known paths with another method (405) and every
 * error. Routes stay thin; they throw a Refusal and this layer shapes the answer (api/errors.ts).
 */
export interface AppHooks {
  /** Every answered request, with the matched route's pattern (`unmatched` for 404s). */
  onAnswered?(route: string, method: string, status: number, seconds: number): void;
}

export function createApp(logger: Logger, routers: readonly Router[], hooks: AppHooks = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('query parser', false);

  // The control plane's discovery call asks for `//`; Flask treats leading slashes as one.
  app.use((request: Request, _response: Response, next: NextFunction) => {
    if (request.url.startsWith('//')) request.url = request.url.replace(/^\/+/u, '/');
    next();
  });
  app.use(
    pinoHttp({
      logger,
      genReqId: () => randomUUID(),
      customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : 'info'),
      serializers: {
        req: (request: { id: unknown; method: string; url: string }) => ({ id: request.id, method: request.method, url: request.url }),
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      },
    }),
  );
  const onAnswered = hooks.onAnswered;
  if (onAnswered) {
    app.use((request: Request, response: Response, next: NextFunction) => {
      const started = performance.now();
      response.once('finish', () => {
        const route = request.route ? `${request.baseUrl}${String(request.route.path)}` : 'unmatched';
        onAnswered(route, request.method, response.statusCode, (performance.now() - started) / 1000);
      });
      next();
    });
  }
  for (const router of routers) app.use(router);

  app.use((request: Request, _response: Response, next: NextFunction) => {
    next(hasRouteForPath(app, request.path) ? frameworkError(405) : frameworkError(404));
  });
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const answer = httpError(error);
    if (answer.status >= 500) {
      const cause = describeStorageFault(error);
      request.log.error({ err: error, ...(cause ? { cause } : {}) }, cause ? `request failed: ${cause}` : 'request failed');
    }
    if (!response.headersSent) sendJson(response, answer.status, answer.body);
    else response.destroy();
  });
  return app;
}

interface LayerLike {
  route?: { path: string };
  handle?: { stack?: LayerLike[] };
  match(path: string): unknown;
}

/** True when some route matches `path` for any method: the answer is then 405, not 404. */
function hasRouteForPath(app: Express, path: string): boolean {
  const root = (app as unknown as { router: { stack: LayerLike[] } }).router;
  const search = (stack: LayerLike[]): boolean =>
    stack.some((layer) => {
      try {
        if (layer.route) return Boolean(layer.match(path));
        if (layer.handle?.stack && layer.match(path)) return search(layer.handle.stack);
      } catch {
        return false;
      }
      return false;
    });
  return search(root.stack);
}
