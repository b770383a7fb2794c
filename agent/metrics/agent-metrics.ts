import type { AgentEvents } from '../context.ts';
import type { MetricFamily, MetricSample } from './exposition.ts';

/** Upper bounds (seconds) of the API latency histogram. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  buckets: number[];
  count: number;
  sum: number;
}

/** What one heartbeat did, as the heartbeat loop reports it. */
export interface HeartbeatOutcome {
  /** Datagrams built (0 when skipped or not encodable). */
  datagrams: number;
  sent: number;
  /** Size of the first datagram in bytes (0 when none). */
  bytes: number;
  /** Set when no message was built on purpose (keepalived gate). */
  skipped: boolean;
}

/**
 * The agent's own metrics, served after haproxy's on the metrics endpoint with the prefix
 * `amphora_agent_` (names no Octavia metric uses). Modules report through small calls; nothing
 * here touches the disk or the network.
 */
export class AgentMetrics implements AgentEvents {
  readonly #requests = new Map<string, number>();
  readonly #latency = new Map<string, Histogram>();
  readonly #heartbeat = { beats: 0, skipped: 0, sent: 0, failed: 0, lastBytes: 0, bytesSum: 0, bytesCount: 0 };
  readonly #reloads = new Map<string, { ok: number; failed: number; seconds: number }>();
  readonly #refusals = new Map<string, number>();
  readonly #restarts = new Map<string, { ok: number; failed: number }>();

  /** One answered API request: `route` is the route's pattern, never the raw path (bounded labels). */
  apiRequest(route: string, method: string, status: number, seconds: number): void {
    const key = JSON.stringify([route, method, String(status)]);
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const latencyKey = JSON.stringify([route, method]);
    let histogram = this.#latency.get(latencyKey);
    if (!histogram) {
      histogram = { buckets: LATENCY_BUCKETS.map(() => 0), count: 0, sum: 0 };
      this.#latency.set(latencyKey, histogram);
    }
    LATENCY_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) histogram.buckets[index]! += 1;
    });
    histogram.count += 1;
    histogram.sum += seconds;
  }

  heartbeat(outcome: HeartbeatOutcome): void {
    const beat = this.#heartbeat;
    beat.beats += 1;
    if (outcome.skipped) beat.skipped += 1;
    beat.sent += outcome.sent;
    beat.failed += outcome.datagrams - outcome.sent;
    if (outcome.bytes > 0) {
      beat.lastBytes = outcome.bytes;
      beat.bytesSum += outcome.bytes;
      beat.bytesCount += 1;
    }
  }

  /** A haproxy reload or keepalived restart asked through the API. */
  reload(daemon: 'haproxy' | 'keepalived', ok: boolean, seconds: number): void {
    const entry = this.#reloads.get(daemon) ?? { ok: 0, failed: 0, seconds: 0 };
    if (ok) entry.ok += 1;
    else entry.failed += 1;
    entry.seconds += seconds;
    this.#reloads.set(daemon, entry);
  }

  /** An uploaded configuration refused by its validator (`haproxy -c`, `keepalived --config-test`, ...). */
  configRefused(kind: 'haproxy' | 'keepalived' | 'agent'): void {
    this.#refusals.set(kind, (this.#refusals.get(kind) ?? 0) + 1);
  }

  /** A supervised daemon found dead and started again by the agent. */
  processRestart(daemon: string, ok: boolean): void {
    const entry = this.#restarts.get(daemon) ?? { ok: 0, failed: 0 };
    if (ok) entry.ok += 1;
    else entry.failed += 1;
    this.#restarts.set(daemon, entry);
  }

  families(): MetricFamily[] {
    const families: MetricFamily[] = [];
    const family = (name: string, help: string, type: MetricFamily['type'], samples: MetricSample[]) => {
      if (samples.length > 0) families.push({ name, help, type, samples });
    };
    family(
      'amphora_agent_api_requests_total',
      'API requests answered, by route pattern, method and status code.',
      'counter',
      [...this.#requests].map(([key, value]) => {
        const [route, method, code] = JSON.parse(key) as [string, string, string];
        return { labels: { route, method, code }, value };
      }),
    );
    const latency: MetricSample[] = [];
    for (const [key, histogram] of this.#latency) {
      const [route, method] = JSON.parse(key) as [string, string];
      LATENCY_BUCKETS.forEach((bound, index) => latency.push({ suffix: '_bucket', labels: { route, method, le: String(bound) }, value: histogram.buckets[index]! }));
      latency.push({ suffix: '_bucket', labels: { route, method, le: '+Inf' }, value: histogram.count });
      latency.push({ suffix: '_sum', labels: { route, method }, value: histogram.sum });
      latency.push({ suffix: '_count', labels: { route, method }, value: histogram.count });
    }
    family('amphora_agent_api_request_duration_seconds', 'Time to answer an API request, by route pattern and method.', 'histogram', latency);
    const beat = this.#heartbeat;
    family('amphora_agent_heartbeats_total', 'Heartbeats attempted (one per interval).', 'counter', [{ labels: {}, value: beat.beats }]);
    family('amphora_agent_heartbeats_skipped_total', 'Heartbeats not built on purpose (keepalived not ready in ACTIVE_STANDBY).', 'counter', [{ labels: {}, value: beat.skipped }]);
    family('amphora_agent_heartbeat_datagrams_sent_total', 'Heartbeat datagrams handed to the network.', 'counter', [{ labels: {}, value: beat.sent }]);
    family('amphora_agent_heartbeat_send_failures_total', 'Heartbeat datagrams that could not be sent (no destination, no route, socket error).', 'counter', [{ labels: {}, value: beat.failed }]);
    family('amphora_agent_heartbeat_last_datagram_bytes', 'Size of the last heartbeat datagram.', 'gauge', [{ labels: {}, value: beat.lastBytes }]);
    family('amphora_agent_heartbeat_datagram_bytes', 'Sizes of the heartbeat datagrams built.', 'summary', [
      { suffix: '_sum', labels: {}, value: beat.bytesSum },
      { suffix: '_count', labels: {}, value: beat.bytesCount },
    ]);
    const reloads: MetricSample[] = [];
    const reloadSeconds: MetricSample[] = [];
    for (const [daemon, entry] of this.#reloads) {
      reloads.push({ labels: { daemon, result: 'ok' }, value: entry.ok }, { labels: { daemon, result: 'failed' }, value: entry.failed });
      reloadSeconds.push({ labels: { daemon }, value: entry.seconds });
    }
    family('amphora_agent_reloads_total', 'Reloads (haproxy) and restarts (keepalived) asked through the API, by result.', 'counter', reloads);
    family('amphora_agent_reload_seconds_total', 'Time spent in those reloads.', 'counter', reloadSeconds);
    family(
      'amphora_agent_config_refusals_total',
      'Uploaded configurations refused by their validator.',
      'counter',
      [...this.#refusals].map(([kind, value]) => ({ labels: { kind }, value })),
    );
    const restarts: MetricSample[] = [];
    for (const [daemon, entry] of this.#restarts) {
      restarts.push({ labels: { daemon, result: 'ok' }, value: entry.ok }, { labels: { daemon, result: 'failed' }, value: entry.failed });
    }
    family('amphora_agent_process_restarts_total', 'Supervised daemons found dead and started again, by result.', 'counter', restarts);
    return families;
  }
}
