import type { LiveConfig } from './config/live-config.ts';
import type { AgentPaths } from './config/paths.ts';
import type { KeyedMutex } from './util/keyed-mutex.ts';
import type { Logger } from './util/logger.ts';

/**
 * What the domain modules and routes share. Built once by main.ts (or by a test) and passed
 * down; no module reaches for globals.
 */
export interface AgentContext {
  readonly config: LiveConfig;
  /** Paths derived from the configuration in force. */
  readonly paths: AgentPaths;
  readonly logger: Logger;
  /** Per-resource serialization: key `lb:<id>` for one load balancer (`lb:vrrp` for the VRRP keepalived), `vrrp-check-script`, `agent-config`, `server-cert`, `client-ca`. */
  readonly locks: KeyedMutex;
  /** Where modules report what the agent's own metrics count; absent in tests that do not count. */
  readonly metrics?: AgentEvents;
}

/** The events the domain modules report (metrics/agent-metrics.ts counts them). */
export interface AgentEvents {
  reload(daemon: 'haproxy' | 'keepalived', ok: boolean, seconds: number): void;
  configRefused(kind: 'haproxy' | 'keepalived' | 'agent'): void;
  processRestart(daemon: string, ok: boolean): void;
}
