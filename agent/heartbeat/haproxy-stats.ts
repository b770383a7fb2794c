import { queryStatsSocket } from '../haproxy/stats-socket.ts';
import type { ListenerSample, PoolSample } from './snapshot.ts';
import { AgentError } from '../util/errors.ts';

export interface HaproxyStats {
  listeners: ListenerSample[];
  pools: PoolSample[];
}

/**
 * The internal Prometheus proxies of a PROMETHEUS listener: not listeners, so never reported
 * (the receiver would count them and never refresh the amphora).
 */
export function isInternalProxy(name: string): boolean {
  return name.includes('prometheus');
}

export class StatsParseError extends AgentError {}

/**
 * One `show stat -1 -1 -1` answers both questions the reference asks with two queries
 * (frontends for listeners, backends and servers for pools), from one consistent snapshot and
 * with half the work for haproxy. Rows are told apart by the `type` column
 * (0 frontend, 1 backend, 2 server, 3 listener socket).
 */
export const SHOW_STAT_COMMAND = 'show stat -1 -1 -1';

export async function queryHaproxyStats(socketPath: string, timeoutMs: number): Promise<HaproxyStats> {
  return parseShowStat(await queryStatsSocket(socketPath, SHOW_STAT_COMMAND, timeoutMs));
}

const USED_COLUMNS = ['pxname', 'svname', 'status', 'weight', 'scur', 'bin', 'bout', 'ereq', 'stot', 'type'] as const;
type Column = (typeof USED_COLUMNS)[number];

/**
 * Parses haproxy's CSV. Internal prometheus proxies are dropped (they are not listeners: the
 * receiver would count them and never refresh the amphora). A backend not named
 * `pool_id:listener_id` makes the whole answer unusable, as in the reference.
 */
export function parseShowStat(answer: string): HaproxyStats {
  const text = answer.startsWith('# ') ? answer.slice(2) : answer;
  const lines = text.split('\n');
  const header = splitCsvLine(lines[0] ?? '');
  const index = {} as Record<Column, number>;
  for (const column of USED_COLUMNS) index[column] = header.indexOf(column);
  if (index.pxname < 0 || index.svname < 0 || index.status < 0) {
    throw new StatsParseError(`not a "show stat" answer: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  }
  const listeners: ListenerSample[] = [];
  const pools = new Map<string, PoolSample>();
  for (let lineNumber = 1; lineNumber < lines.length; lineNumber += 1) {
    const line = lines[lineNumber]!;
    if (line === '') continue;
    const fields = splitCsvLine(line);
    const field = (column: Column) => (index[column] >= 0 ? (fields[index[column]] ?? '') : '');
    const pxname = field('pxname');
    if (isInternalProxy(pxname)) continue;
    const svname = field('svname');
    const type = field('type');
    const isFrontend = type === '' ? svname === 'FRONTEND' : type === '0';
    if (isFrontend) {
      listeners.push({
        listenerId: pxname,
        status: field('status'),
        counters: {
          bin: counter(field('bin')),
          bout: counter(field('bout')),
          ereq: counter(field('ereq')),
          stot: counter(field('stot')),
          scur: counter(field('scur')),
        },
      });
      continue;
    }
    const isBackend = type === '' ? svname === 'BACKEND' : type === '1';
    const isServer = type === '' ? svname !== 'BACKEND' : type === '2';
    if (!isBackend && !isServer) continue;
    let pool = pools.get(pxname);
    if (!pool) {
      pool = { key: pxname, status: '', members: new Map() };
      pools.set(pxname, pool);
    }
    if (isBackend) {
      if (pxname.split(':').length !== 2) {
        throw new StatsParseError(`backend ${JSON.stringify(pxname)} is not named pool_id:listener_id`);
      }
      pool.status = field('status');
    } else {
      pool.members.set(svname, memberStatus(field('status'), field('weight')));
    }
  }
  return { listeners, pools: [...pools.values()] };
}

/** haproxy versions that do not compute DRAIN themselves show an UP server with weight 0. */
export function memberStatus(status: string, weight: string): string {
  return status === 'UP' && weight === '0' ? 'DRAIN' : status;
}

function counter(text: string): bigint {
  return /^\d+$/u.test(text) ? BigInt(text) : 0n;
}

/** RFC 4180 fields of one line; haproxy quotes only fields holding commas or quotes. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index]!;
    if (quoted) {
      if (char === '"') {
        if (line[index + 1] === '"') {
          current += '"';
          index += 1;
        } else {
          quoted = false;
        }
      } else {
        current += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      fields.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  fields.push(current);
  return fields;
}
