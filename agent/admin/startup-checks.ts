import { checkTlsMaterial } from '../certs/tls-material.ts';
import type { AgentConfig } from '../config/options.ts';

/**
 * Everything start-up refuses beyond option parsing. `PUT /1.0/config` runs the same function
 * before it replaces the file, so no accepted configuration can stop the agent at its next
 * start (no API, no heartbeats, a failover, and nothing left to push a fixed file to).
 */
export async function checkStartable(config: AgentConfig): Promise<void> {
  await checkTlsMaterial(config);
}
