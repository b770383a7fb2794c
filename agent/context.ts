import type { LiveConfig } from './config/live-config.ts';
import type { AgentPaths } from './config/paths.ts';
import type { KeyedMutex } from './util/keyed-mutex.ts';
import type { Logger } from './util/logger.ts';
import type { AgentMetrics } from './metrics/agent-metrics.ts';

/**
 * What the domain modules and routes share. Built once by main.ts (or by a test) and passed
 * down; no module reaches for globals.
 */
export interface AgentContext {
  readonly config: LiveConfig;
  /** Paths derived from the configuration in force. */
  readonly paths: AgentPaths;
  readonly logger: Logger;
  /** Per-resource serialization: key `lb:<id>` for one load balancer, `agent-config`, `server-cert`, `client-ca`. */
  readonly locks: KeyedMutex;
  /** The agent's own metrics; modules report to it when it is there. */
  readonly metrics?: AgentMetrics;
}
