import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';
import { fileExists } from '../util/atomic-file.ts';
import { isProcessAlive } from '../util/process-state.ts';
import { errorMessage } from '../util/errors.ts';

/**
 * The reference's one reason to send nothing: keepalived (VRRP) is configured on this amphora
 * but not running. The amphora cannot take the VIP, so the control plane should fail it over.
 * Returns the reason to skip, or undefined to send.
 */
export async function vrrpSkipReason(paths: AgentPaths): Promise<string | undefined> {
  const configPath = join(paths.vrrpDir, 'octavia-keepalived.conf');
  if (!(await fileExists(configPath))) return undefined;
  const pidPath = join(paths.vrrpDir, 'octavia-keepalived.pid');
  let text: string;
  try {
    text = await readFile(pidPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return `Missing keepalived PID file ${pidPath}, skipping health heartbeat`;
    }
    return `Cannot read keepalived PID file ${pidPath} (${errorMessage(error)}), skipping health heartbeat`;
  }
  const first = text.split('\n')[0]?.trim() ?? '';
  if (!/^\d+$/u.test(first)) return `Keepalived PID file ${pidPath} holds no PID, skipping health heartbeat`;
  if (!(await isProcessAlive(Number(first)))) return 'Keepalived is configured but not running, skipping health heartbeat';
  return undefined;
}
