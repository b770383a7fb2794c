import { KEEPALIVED_COMMAND } from '../process/keepalived-systemd.ts';
import { runCommand } from '../util/run-command.ts';

export interface ConfigCheck {
  valid: boolean;
  output: string;
}

const CHECK_TIMEOUT_MS = 30_000;

/**
 * keepalived reports check scripts run without `enable_script_security` as a config error
 * (exit 6), yet runs them (as root). Every config Octavia renders for a UDP-CONNECT or SCTP
 * monitor has MISC_CHECK scripts and no global_defs, so this report alone is not a refusal.
 */
const SCRIPT_SECURITY_NOTICE = 'SECURITY VIOLATION - check scripts are being executed but script_security not enabled.';

/**
 * `keepalived --config-test -f <file>`: parses the configuration without running it (no
 * namespace, IPVS or privileges needed). keepalived answers 0 for a file that does not exist,
 * so callers check a file they have just written.
 */
export async function checkKeepalivedConfig(file: string, keepalivedCommand = KEEPALIVED_COMMAND): Promise<ConfigCheck> {
  const result = await runCommand(keepalivedCommand, ['--config-test', '-f', file], { timeoutMs: CHECK_TIMEOUT_MS });
  if (result.timedOut) return { valid: false, output: result.output };
  if (result.exitCode === 0) return { valid: true, output: result.output };
  const problems = result.output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== SCRIPT_SECURITY_NOTICE);
  return { valid: result.exitCode > 0 && problems.length === 0, output: result.output };
}
