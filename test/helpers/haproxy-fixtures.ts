import { createServer as createHttpServer, get, type Server } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import type { AgentHandle } from './agent-harness.ts';

/** Small HTTP servers answering their own name: the pool members behind a test haproxy. */
export async function startMembers(names: string[]): Promise<{ ports: number[]; close(): Promise<void> }> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (const name of names) {
    const server = createHttpServer((_request, response) => response.end(name));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as { port: number }).port);
  }
  return {
    ports,
    close: async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}


/** The smallest haproxy.cfg the agent runs: a stats socket and one frontend answering `answer` itself. */
export function answeringHaproxyConfig(socket: string, port: number, answer: string): string {
  return [
    'global',
    `    stats socket ${socket} mode 0666 level user`,
    '    maxconn 500',
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 5s',
    '    timeout server 5s',
    `frontend ${answer}`,
    `    bind 127.0.0.1:${port}`,
    '    mode http',
    `    http-request return status 200 content-type text/plain string ${answer}`,
    '',
  ].join('\n');
}

export interface TestConfigOptions {
  basePath: string;
  lbId: string;
  listenerId: string;
  port: number;
  memberPorts: number[];
  comment?: string;
}

/** A haproxy.cfg shaped like Octavia's (stats socket and state file where the agent expects them). */
export function testHaproxyConfig(options: TestConfigOptions): string {
  const servers = options.memberPorts.map((port, index) => `    server member${index} 127.0.0.1:${port} check inter 2s`);
  return [
    `# Configuration for loadbalancer ${options.lbId}${options.comment ? ` ${options.comment}` : ''}`,
    'global',
    '    daemon',
    '    user nobody',
    '    group nogroup',
    `    stats socket ${options.basePath}/${options.lbId}.sock mode 0666 level user`,
    `    server-state-file ${options.basePath}/${options.lbId}/servers-state`,
    '    maxconn 4000',
    '',
    'defaults',
    '    retries 3',
    '    option redispatch',
    '    timeout connect 2s',
    '    timeout client 10s',
    '    timeout server 10s',
    '    load-server-state-from-file global',
    '',
    `frontend ${options.listenerId}`,
    '    maxconn 4000',
    `    bind 127.0.0.1:${options.port}`,
    '    mode http',
    `    default_backend pool-${options.listenerId}`,
    '',
    `backend pool-${options.listenerId}`,
    '    mode http',
    '    balance roundrobin',
    ...servers,
    '',
  ].join('\n');
}

export interface HttpResult {
  ok: boolean;
  status?: number;
  body?: string;
  error?: string;
}

/** One GET on a fresh connection (no keep-alive), bounded in time. */
export function httpGet(port: number, timeoutMs = 3000): Promise<HttpResult> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ ok: response.statusCode === 200, status: response.statusCode ?? 0, body }));
      response.on('error', (error) => resolve({ ok: false, error: error.message }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message }));
  });
}

/** Clients sending requests back to back until stopped; counts successes and failures. */
export function startLoad(port: number, concurrency = 4): { stop(): Promise<{ ok: number; failed: number; errors: Record<string, number> }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  const worker = async () => {
    while (running) {
      const result = await httpGet(port);
      if (result.ok) ok++;
      else {
        failed++;
        const key = result.error ?? `status ${result.status}`;
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return { ok, failed, errors };
    },
  };
}

/** Live (non-zombie) processes whose command line mentions `fragment`. */
export async function processesMentioning(fragment: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/u.test(name)) continue;
    const commandLine = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (!commandLine.includes(fragment)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state !== 'Z' && state !== 'X' && state !== '') found.push(Number(name));
  }
  return found;
}

/** Safety net for test teardown: SIGKILL every haproxy started under `directory`. */
export async function killHaproxyUnder(directory: string): Promise<void> {
  for (const pid of await processesMentioning(directory)) {
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.split('\0')[0]?.endsWith('haproxy')) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Ends a test that ran haproxy through an agent: deletes its load balancers, stops the agent, kills
 * any haproxy left under its folder (a failed test may leave one), removes the folder, closes the members.
 */
export async function retireAgent(
  agent: Pick<AgentHandle, 'request' | 'stop' | 'destroy' | 'directory'> | undefined,
  lbIds: readonly string[],
  members?: { close(): Promise<void> },
): Promise<void> {
  if (agent) {
    for (const lbId of lbIds) await agent.request('DELETE', `/1.0/listeners/${lbId}`).catch(() => undefined);
    await agent.stop();
    await killHaproxyUnder(agent.directory);
    await agent.destroy();
  }
  await members?.close();
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
