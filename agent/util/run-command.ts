import { spawn } from 'node:child_process';

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
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** After the command exits, how long its output may keep arriving through inherited pipes. */
const PIPE_DRAIN_MS = 1000;

/**
 * Runs a command without a shell and never throws for a non-zero exit or a missing binary.
 * Built on child_process directly: it is all the agent needs, and a process-spawning library
 * cost a fifth of the agent's resident memory.
 */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [command, argv] = options.namespace
    ? ['ip', ['netns', 'exec', options.namespace, file, ...args]]
    : [file, [...args]];
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const child = spawn(command, argv, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    });
    const finish = (result: CommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      // A descendant may still hold the pipes open (a daemon that forgot to close them).
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result);
    };
    const output = () => Buffer.concat(chunks).toString('utf8');
    const collect = (chunk: Buffer) => {
      if (size >= MAX_OUTPUT_BYTES) return;
      size += chunk.length;
      chunks.push(chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    // The timeout bounds the whole call, whatever the command or its children do.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ exitCode: -1, output: output(), timedOut: true });
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let drainTimer: NodeJS.Timeout | undefined;
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.once('error', (error) => finish({ exitCode: -1, output: error.message, timedOut: false }));
    child.once('exit', (code, signal) => {
      const exitCode = code ?? (signal ? 128 : -1);
      drainTimer = setTimeout(() => finish({ exitCode, output: output(), timedOut: false }), PIPE_DRAIN_MS);
    });
    child.once('close', (code, signal) => finish({ exitCode: code ?? (signal ? 128 : -1), output: output(), timedOut: false }));
  });
}
