import { KEEPALIVED_COMMAND } from '../process/keepalived-systemd.ts';
import { runCommand } from '../util/run-command.ts';

export interface ConfigCheck {
  valid: boolean;
  output: string;
}

const CHECK_TIMEOUT_MS = 30_000;

/**
 * `keepalived --config-test -f <file>`: parses the configuration without running it (no
 * namespace, IPVS or privileges needed). keepalived answers 0 for a file that does not exist,
 * so callers check a file they have just written.
 */
export async function checkKeepalivedConfig(file: string, keepalivedCommand = KEEPALIVED_COMMAND): Promise<ConfigCheck> {
  const result = await runCommand(keepalivedCommand, ['--config-test', '-f', file], { timeoutMs: CHECK_TIMEOUT_MS });
  return { valid: result.exitCode === 0 && !result.timedOut, output: result.output };
}
