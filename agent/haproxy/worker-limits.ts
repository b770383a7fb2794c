import { join } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';
import { writeFileIfChanged } from '../util/atomic-file.ts';

/** Reloads an old worker may outlive before haproxy's master stops it. */
export const MAX_RELOADS_PER_WORKER = 3;

/**
 * An agent-owned global section passed to haproxy as one more `-f`, so that workers left by
 * reloads cannot pile up (haproxy's `mworker-max-reloads`) without altering the uploaded
 * config. Used by both process managers.
 */
export function workerLimitsPath(paths: AgentPaths): string {
  return join(paths.basePath, 'haproxy-agent-limits.cfg');
}

export async function ensureWorkerLimits(paths: AgentPaths, maxReloads = MAX_RELOADS_PER_WORKER): Promise<string> {
  const path = workerLimitsPath(paths);
  const text =
    '# Written by amphora-agent: bounds the workers left by reloads.\n' + `global\n    mworker-max-reloads ${maxReloads}\n`;
  await writeFileIfChanged(path, text, 0o644);
  return path;
}
