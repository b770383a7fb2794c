import { execa } from 'execa';

export interface CommandResult {
  exitCode: number;
  /** stdout and stderr interleaved, as the reference reports them in `details`. */
  output: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Run inside this network namespace (via `ip netns exec`); empty or undefined: our own. */
  namespace?: string | undefined;
  input?: string;
  env?: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Runs a command without a shell; never throws for a non-zero exit. */
export async function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const [command, argv] = options.namespace
    ? ['ip', ['netns', 'exec', options.namespace, file, ...args]]
    : [file, [...args]];
  const result = await execa(command, argv, {
    all: true,
    reject: false,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    stripFinalNewline: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    ...(options.env ? { env: options.env } : {}),
  });
  const output = typeof result.all === 'string' ? result.all : '';
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : -1;
  return {
    exitCode: result.failed && exitCode === 0 ? -1 : exitCode,
    output: output || (result.failed && exitCode === -1 ? String(result.shortMessage ?? '') : ''),
    timedOut: Boolean(result.timedOut),
  };
}
