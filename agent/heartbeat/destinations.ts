import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../util/logger.ts';

export interface Destination {
  /** The configured `host:port` text, for logs. */
  entry: string;
  address: string;
  port: number;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<{ address: string; family: 4 | 6 }>;

/** First getaddrinfo answer, in the resolver's order, as the reference keeps. */
export const systemResolver: Resolver = async (host) => {
  const answer = await lookup(host, { verbatim: true });
  return { address: answer.address, family: answer.family === 6 ? 6 : 4 };
};

/**
 * `host:port` split at the last colon; `[v6]:port` loses its brackets; a zone id
 * (`fe80::1%eth0`) stays with the address. Undefined for an entry without a usable port.
 */
export function splitHostPort(entry: string): { host: string; port: number } | undefined {
  const cut = entry.lastIndexOf(':');
  if (cut <= 0) return undefined;
  let host = entry.slice(0, cut).trim();
  const portText = entry.slice(cut + 1).trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || !/^\d{1,5}$/u.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

interface Slot {
  entry: string;
  host: string;
  port: number;
  resolved: Destination | undefined;
  /** An unfinished lookup, reused by later turns instead of starting another. */
  pending: Promise<Destination> | undefined;
}

/**
 * controller_ip_port_list as a round robin: each heartbeat goes to one controller, the next
 * one to the next. Host names are resolved once (cached until the list changes); a name that
 * does not resolve is retried on its next turn and, meanwhile, the heartbeat goes to the next
 * entry that does. A malformed entry is logged and skipped; nothing here ever throws.
 */
export class DestinationRing {
  readonly #resolve: Resolver;
  readonly #logger: Logger;
  readonly #lookupTimeoutMs: number;
  #list: readonly string[] | undefined;
  #slots: Slot[] = [];

  constructor(logger: Logger, options: { resolver?: Resolver; lookupTimeoutMs?: number } = {}) {
    this.#logger = logger;
    this.#resolve = options.resolver ?? systemResolver;
    this.#lookupTimeoutMs = options.lookupTimeoutMs ?? 2000;
  }

  /** The destination for this heartbeat, or undefined when no entry can be used right now. */
  async next(list: readonly string[]): Promise<Destination | undefined> {
    if (!sameList(list, this.#list)) this.#rebuild(list);
    for (let attempt = 0; attempt < this.#slots.length; attempt += 1) {
      const slot = this.#slots.shift()!;
      this.#slots.push(slot);
      const destination = await this.#destinationOf(slot);
      if (destination) return destination;
    }
    return undefined;
  }

  #rebuild(list: readonly string[]): void {
    this.#list = [...list];
    this.#slots = [];
    for (const entry of list) {
      const parsed = splitHostPort(entry);
      if (!parsed) {
        this.#logger.error({ entry }, "Invalid ip and port in health_manager controller_ip_port_list; entry ignored");
        continue;
      }
      const family = isIP(parsed.host);
      const resolved =
        family === 0 ? undefined : { entry, address: parsed.host, port: parsed.port, family: family === 6 ? 6 : 4 } as const;
      this.#slots.push({ entry, host: parsed.host, port: parsed.port, resolved, pending: undefined });
    }
  }

  async #destinationOf(slot: Slot): Promise<Destination | undefined> {
    if (slot.resolved) return slot.resolved;
    slot.pending ??= this.#resolve(slot.host).then(
      ({ address, family }) => {
        slot.resolved = { entry: slot.entry, address, port: slot.port, family };
        slot.pending = undefined;
        return slot.resolved;
      },
      (error: unknown) => {
        slot.pending = undefined;
        throw error;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#lookupTimeoutMs);
    });
    try {
      const destination = await Promise.race([slot.pending, timeout]);
      if (!destination) this.#logger.warn({ entry: slot.entry }, 'controller name lookup is slow; trying the next controller');
      return destination;
    } catch (error) {
      this.#logger.error({ entry: slot.entry, err: (error as Error).message }, 'cannot resolve controller address; will retry');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

function sameList(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((item, index) => item === b[index]);
}
