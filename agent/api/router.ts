import type { IncomingMessage, ServerResponse } from 'node:http';
import { frameworkError } from '../domain/refusal.ts';
import type { Logger } from '../util/logger.ts';

/** A request as the routes see it: Node's, with the matched path parameters and its logger. */
export interface ApiRequest<Names extends string = string> extends IncomingMessage {
  /** Path parameters, percent-decoded (`:lb_id` → `params.lb_id`). */
  params: Record<Names, string>;
  /** The path without the query string. */
  path: string;
  /** The query string's parameters (only the extension routes read any). */
  query: URLSearchParams;
  /** The request's logger, carrying its id (set by the access log). */
  log: Logger;
  /** The matched route's path pattern (`/1.0/loadbalancer/:lb_id/haproxy`), once matched. */
  route?: string;
}

export type ApiResponse = ServerResponse;
export type Handler<Names extends string = string> = (request: ApiRequest<Names>, response: ApiResponse) => Promise<void> | void;

/** The `:name` segments of a route path, as a union of literal types. */
export type ParamNames<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : Path extends `${string}:${infer Name}`
    ? Name
    : never;

interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/**
 * The routes of one resource, matched as Flask matches the reference's: exactly (a trailing
 * slash or another case is another path), `:name` segments holding no `/`. A GET route also
 * answers HEAD. Everything else about a request (404, 405, errors) is the app's.
 */
export class Router {
  readonly #routes: Route[] = [];

  get<Path extends string>(path: Path, handler: Handler<ParamNames<Path>>): void {
    this.#add('GET', path, handler as Handler);
  }

  put<Path extends string>(path: Path, handler: Handler<ParamNames<Path>>): void {
    this.#add('PUT', path, handler as Handler);
  }

  post<Path extends string>(path: Path, handler: Handler<ParamNames<Path>>): void {
    this.#add('POST', path, handler as Handler);
  }

  delete<Path extends string>(path: Path, handler: Handler<ParamNames<Path>>): void {
    this.#add('DELETE', path, handler as Handler);
  }

  #add(method: string, path: string, handler: Handler): void {
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
        names.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.#routes.push({ method, path, pattern: new RegExp(`^${source}$`, 'u'), names, handler });
  }

  /** The handler for `method` and `path` with its parameters, or the methods the path allows. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string>; route: string } | { allowed: string[] } {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        const params: Record<string, string> = {};
        route.names.forEach((name, index) => (params[name] = decodeSegment(found[index + 1]!)));
        return { handler: route.handler, params, route: route.path };
      }
      allowed.push(route.method);
    }
    return { allowed };
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw frameworkError(400, 'The browser (or proxy) sent a request that this server could not understand.');
  }
}
