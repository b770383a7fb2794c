import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../util/logger.ts';
import { errorMessage } from '../util/errors.ts';

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
  /** An unfinished lookup, awaited by later turns instead of starting another. */
  pending: Promise<Destination | undefined> | undefined;
  /** Since when lookups fail (undefined while they work), and when that was last logged. */
  failingSince: number | undefined;
  remindedAt: number;
  slowLogged: boolean;
  /** The heartbeat turn of the last lookup: a failed name is tried again on a later turn only. */
  lookedUpAtTurn: number;
}

/** Lookups running at once: getaddrinfo runs on libuv's small thread pool, shared with file I/O. */
const MAX_LOOKUPS_IN_FLIGHT = 4;
/** A lookup that has not settled by then counts as failed (getaddrinfo itself cannot be cancelled). */
const LOOKUP_GIVE_UP_MS = 10_000;
/** A name that keeps failing is logged when it starts, then once per this period. */
const FAILURE_REMINDER_MS = 10 * 60_000;

/**
 * controller_ip_port_list as a round robin: each heartbeat goes to one controller, the next
 * one to the next. Host names are resolved in the background, a few at a time, and cached
 * until the list changes; a heartbeat waits for lookups at most `lookupTimeoutMs` in all, then
 * goes to the next entry that is resolved. A failed name is retried on its next turn; it is
 * logged when it starts failing, then as a periodic reminder. A new list replaces the lookups
 * of the old one. A malformed entry is logged and skipped; nothing here ever throws.
 */
export class DestinationRing {
  readonly #resolve: Resolver;
  readonly #logger: Logger;
  readonly #lookupTimeoutMs: number;
  #list: readonly string[] | undefined;
  #slots: Slot[] = [];
  #inFlight = 0;
  #generation = 0;
  #turn = 0;

  constructor(logger: Logger, options: { resolver?: Resolver; lookupTimeoutMs?: number } = {}) {
    this.#logger = logger;
    this.#resolve = options.resolver ?? systemResolver;
    this.#lookupTimeoutMs = options.lookupTimeoutMs ?? 2000;
  }

  /** The destination for this heartbeat, or undefined when no entry can be used right now. */
  async next(list: readonly string[]): Promise<Destination | undefined> {
    if (!sameList(list, this.#list)) this.#rebuild(list);
    this.#turn += 1;
    this.#startLookups();
    const deadline = Date.now() + this.#lookupTimeoutMs;
    for (let attempt = 0; attempt < this.#slots.length; attempt += 1) {
      const slot = this.#slots.shift()!;
      this.#slots.push(slot);
      if (slot.resolved) return slot.resolved;
      if (!slot.pending) continue;
      const destination = await waitUntil(slot.pending, deadline);
      if (destination) return destination;
      const stillLooking = slot.failingSince === undefined; // neither answered nor failed yet
      if (stillLooking && !slot.slowLogged) {
        slot.slowLogged = true;
        this.#logger.warn({ entry: slot.entry }, 'controller name lookup is slow; trying the next controller');
      }
    }
    return undefined;
  }

  #rebuild(list: readonly string[]): void {
    this.#list = [...list];
    this.#slots = [];
    this.#generation += 1;
    this.#inFlight = 0;
    for (const entry of list) {
      const parsed = splitHostPort(entry);
      if (!parsed) {
        this.#logger.error({ entry }, "Invalid ip and port in health_manager controller_ip_port_list; entry ignored");
        continue;
      }
      const family = isIP(parsed.host);
      const resolved =
        family === 0 ? undefined : { entry, address: parsed.host, port: parsed.port, family: family === 6 ? 6 : 4 } as const;
      this.#slots.push({
        entry,
        host: parsed.host,
        port: parsed.port,
        resolved,
        pending: undefined,
        failingSince: undefined,
        remindedAt: 0,
        slowLogged: false,
        lookedUpAtTurn: 0,
      });
    }
  }

  /** Starts lookups for unresolved entries, in turn order, up to the in-flight bound. */
  #startLookups(): void {
    for (const slot of this.#slots) {
      if (this.#inFlight >= MAX_LOOKUPS_IN_FLIGHT) return;
      if (slot.resolved || slot.pending || slot.lookedUpAtTurn === this.#turn) continue;
      this.#lookup(slot);
    }
  }

  #lookup(slot: Slot): void {
    const generation = this.#generation;
    slot.lookedUpAtTurn = this.#turn;
    this.#inFlight += 1;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${LOOKUP_GIVE_UP_MS} ms`)), LOOKUP_GIVE_UP_MS);
      timer.unref();
    });
    slot.pending = Promise.race([this.#resolve(slot.host), giveUp])
      .then(
        ({ address, family }): Destination => {
          slot.resolved = { entry: slot.entry, address, port: slot.port, family };
          if (slot.failingSince !== undefined) this.#logger.info({ entry: slot.entry }, 'controller address resolves again');
          slot.failingSince = undefined;
          return slot.resolved;
        },
        (error: unknown) => {
          this.#noteFailure(slot, error);
          return undefined;
        },
      )
      .finally(() => {
        clearTimeout(timer);
        slot.pending = undefined;
        if (generation !== this.#generation) return;
        this.#inFlight -= 1;
        this.#startLookups();
      });
  }

  #noteFailure(slot: Slot, error: unknown): void {
    const now = Date.now();
    const reason = errorMessage(error);
    if (slot.failingSince === undefined) {
      slot.failingSince = now;
      slot.remindedAt = now;
      this.#logger.error({ entry: slot.entry, err: reason }, 'cannot resolve controller address; heartbeats go to the other controllers meanwhile');
    } else if (now - slot.remindedAt >= FAILURE_REMINDER_MS) {
      slot.remindedAt = now;
      const minutes = Math.round((now - slot.failingSince) / 60_000);
      this.#logger.warn({ entry: slot.entry, err: reason }, `controller address still does not resolve (${minutes} min)`);
    }
  }
}

/** The lookup's answer, or undefined once the deadline passes or the lookup fails. */
async function waitUntil(pending: Promise<Destination | undefined>, deadline: number): Promise<Destination | undefined> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), remaining);
  });
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sameList(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((item, index) => item === b[index]);
}
