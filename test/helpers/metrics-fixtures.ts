import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Ids shaped like Octavia's (haproxy names its proxies and servers after them). */
export function fakeUuid(prefix: number, index: number): string {
  const hex = (prefix * 1_000_000 + index).toString(16).padStart(12, '0');
  return `a0000000-0000-4000-8000-${hex}`;
}

export interface ExporterConfigOptions {
  pidFile: string;
  /** Where the PROMETHEUS listener's frontend binds (inside the test's namespace). */
  prometheusListenerPort: number;
  members: number;
  /** Port of the HTTP listener whose pool has the members. */
  httpListenerPort: number;
}

export const PROMETHEUS_LISTENER_ID = 'b1000000-0000-4000-8000-000000000001';
export const HTTP_LISTENER_ID = 'b1000000-0000-4000-8000-000000000002';
export const POOL_ID = 'c1000000-0000-4000-8000-000000000003';

/**
 * A haproxy.cfg with Octavia's metrics wiring (the internal exporter frontend on 9101 and the
 * backend to 127.0.0.1:9102), a PROMETHEUS listener and an HTTP listener whose pool has
 * `members` servers (never checked, so they stay inert), named as Octavia names them.
 */
export function exporterHaproxyConfig(options: ExporterConfigOptions): string {
  const servers = Array.from({ length: options.members }, (_, index) => {
    const octets = [10, 20 + Math.floor(index / 65_536), Math.floor(index / 256) % 256, index % 256];
    return `    server ${fakeUuid(7, index)} ${octets.join('.')}:80 weight 1`;
  });
  return [
    'global',
    '    daemon',
    `    pidfile ${options.pidFile}`,
    '    maxconn 4000',
    'defaults',
    '    log global',
    '    retries 3',
    '    option redispatch',
    '    timeout connect 5s',
    '    timeout client 50s',
    '    timeout server 50s',
    'frontend prometheus-exporter-internal-endpoint',
    '    bind 127.0.0.1:9101',
    '    mode http',
    '    no log',
    '    http-request use-service prometheus-exporter if { path /metrics }',
    '    http-request reject',
    '    timeout http-request 5s',
    '    timeout client 5s',
    'backend prometheus-exporter-internal',
    '    mode http',
    '    no log',
    '    balance first',
    '    timeout connect 5s',
    '    timeout server 5s',
    '    server prometheus-internal 127.0.0.1:9102',
    `frontend ${PROMETHEUS_LISTENER_ID}`,
    '    maxconn 1000',
    `    bind 127.0.0.1:${options.prometheusListenerPort}`,
    '    mode http',
    '    timeout client 50000',
    '    default_backend prometheus-exporter-internal',
    `frontend ${HTTP_LISTENER_ID}`,
    '    maxconn 1000',
    `    bind 127.0.0.1:${options.httpListenerPort}`,
    '    mode http',
    `    default_backend ${POOL_ID}:${HTTP_LISTENER_ID}`,
    `backend ${POOL_ID}:${HTTP_LISTENER_ID}`,
    '    mode http',
    '    balance roundrobin',
    ...servers,
    '',
  ].join('\n');
}

/** A network namespace with a unique name and loopback up; `remove()` deletes it. */
export function createTestNamespace(prefix = 'mx'): { name: string; remove(): void } {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  try {
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    spawnSync('ip', ['netns', 'del', name]);
    throw error;
  }
  return { name, remove: () => void spawnSync('ip', ['netns', 'del', name]) };
}
