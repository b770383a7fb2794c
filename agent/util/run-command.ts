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
    let timedOut = false;
    const child = spawn(command, argv, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    });
    const collect = (chunk: Buffer) => {
      if (size >= MAX_OUTPUT_BYTES) return;
      size += chunk.length;
      chunks.push(chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: -1, output: error.message, timedOut: false });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      resolve({ exitCode: code ?? (signal ? 128 : -1), output, timedOut });
    });
  });
}
