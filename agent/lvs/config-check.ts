import { readFile } from 'node:fs/promises';
import { KEEPALIVED_COMMAND } from '../daemons/binaries.ts';
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
  const included = await includeDirective(file);
  if (included) return { valid: false, output: `include directives are not accepted: ${redactSecrets(included)}` };
  const result = await runCommand(keepalivedCommand, ['--config-test', '-f', file], { timeoutMs: CHECK_TIMEOUT_MS });
  const output = redactSecrets(result.output);
  if (result.timedOut) return { valid: false, output };
  if (result.exitCode === 0) return { valid: true, output };
  const problems = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== SCRIPT_SECURITY_NOTICE);
  return { valid: result.exitCode > 0 && problems.length === 0, output };
}

/**
 * An uploaded configuration may not include other files: keepalived quotes the lines of a file
 * it cannot parse, so `include /etc/octavia/certs/server.pem` would echo the agent's own key.
 * Octavia's configurations never include anything.
 */
async function includeDirective(file: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').find((line) => /^\s*include\b/u.test(line))?.trim();
}

/** PEM blocks and long base64 runs (key material quoted by a checker) never leave the agent. */
export function redactSecrets(text: string): string {
  return text
    .replace(/-----BEGIN [^-]+-----[\s\S]*?(-----END [^-]+-----|$)/gu, '[redacted PEM block]')
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/gu, '[redacted]');
}
