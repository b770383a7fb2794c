import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../interop/heartbeat_receiver.py', import.meta.url));

export interface ReceivedHeartbeat {
  length: number;
  source: string;
  /** Per key: the object Octavia's unwrap_envelope returned, or the exception it raised. */
  results: Record<string, { ok?: Record<string, unknown>; error?: string }>;
}

export interface PythonReceiver {
  port: number;
  received: ReceivedHeartbeat[];
  /** Waits until `count` datagrams have arrived in total. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedHeartbeat[]>;
  stop(): Promise<void>;
}

/** Octavia's health-manager decoding (Debian python3-octavia) behind a UDP socket on loopback. */
export async function startPythonReceiver(bindIp: string, keys: string[]): Promise<PythonReceiver> {
  const child: ChildProcessWithoutNullStreams = spawn('/usr/bin/python3', [SCRIPT, bindIp, ...keys], { stdio: 'pipe' });
  const received: ReceivedHeartbeat[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver did not start: ${stderr}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`receiver exited ${code}: ${stderr}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  lines.on('line', (line) => {
    received.push(JSON.parse(line) as ReceivedHeartbeat);
    for (const wake of waiters) wake();
  });
  return {
    port,
    received,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(received.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${received.length} of ${count} heartbeats arrived; stderr: ${stderr}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
