import {
  spawn,
  spawnSync,
  type ChildProcess,
  type ChildProcessByStdio,
  type SpawnOptions,
  type SpawnSyncOptionsWithStringEncoding,
  type SpawnSyncReturns,
} from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { writePki, type DevPki } from '../../agent/certs/dev-pki.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const NODE = process.execPath;
/** The compiled agent, as installed (npm test builds it first). */
export const AGENT_MAIN = join(REPO_ROOT, 'dist', 'agent', 'main.js');
/**
 * Starts the compiled agent as installed: the executable itself, so its shebang's runtime
 * flags apply, with this Node first on PATH.
 */
export function spawnAgent(
  args: readonly string[],
  options: Omit<SpawnOptions, 'stdio'> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  const env = { ...process.env, ...options.env, PATH: `${dirname(NODE)}:${options.env?.PATH ?? process.env.PATH ?? ''}` };
  return spawn(AGENT_MAIN, args, { ...options, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function spawnAgentSync(args: readonly string[], options: SpawnSyncOptionsWithStringEncoding): SpawnSyncReturns<string> {
  const env = { ...process.env, ...options.env, PATH: `${dirname(NODE)}:${options.env?.PATH ?? process.env.PATH ?? ''}` };
  return spawnSync(AGENT_MAIN, args, { ...options, env });
}

export interface HarnessOptions {
  /** Extra INI lines per group, e.g. { health_manager: ['heartbeat_interval = 1'] }. */
  extraConfig?: Record<string, string[]>;
  /** Reuse a state folder (agent restart tests). */
  directory?: string;
  amphoraId?: string;
}

export interface AgentHandle {
  baseUrl: string;
  port: number;
  amphoraId: string;
  directory: string;
  basePath: string;
  certDir: string;
  configFile: string;
  pki: DevPki;
  process: ChildProcess;
  /** Everything the agent printed so far (JSON log lines). */
  output(): string;
  request(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** SIGTERM, wait for exit; state stays on disk for a restart. */
  stop(): Promise<void>;
  /** stop() and remove the state folder. */
  destroy(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

export function renderConfig(directory: string, amphoraId: string, port: number, pki: DevPki, extra: Record<string, string[]> = {}): string {
  const groups: Record<string, string[]> = {
    DEFAULT: ['debug = true'],
    haproxy_amphora: [
      `base_path = ${join(directory, 'lib')}`,
      `base_cert_dir = ${join(directory, 'lib', 'certs')}`,
      'bind_host = 127.0.0.1',
      `bind_port = ${port}`,
    ],
    amphora_agent: [
      `amphora_id = ${amphoraId}`,
      `agent_server_cert = ${pki.files.server}`,
      `agent_server_ca = ${pki.files.ca}`,
      `agent_server_network_dir = ${join(directory, 'interfaces')}`,
      `systemd_unit_dir = ${join(directory, 'systemd')}`,
      'process_manager = direct',
      'network_namespace =',
      // Test agents share the default namespace: only tests about it serve 127.0.0.1:9102.
      'prometheus_proxy = off',
    ],
    health_manager: ['heartbeat_interval = 10', 'heartbeat_key = insecure'],
    controller_worker: ['loadbalancer_topology = SINGLE'],
  };
  for (const [group, lines] of Object.entries(extra)) {
    const names = new Set(lines.map((line) => line.split('=')[0]!.trim()));
    groups[group] = [...(groups[group] ?? []).filter((line) => !names.has(line.split('=')[0]!.trim())), ...lines];
  }
  return Object.entries(groups)
    .map(([group, lines]) => `[${group}]\n${lines.join('\n')}\n`)
    .join('\n');
}

/** Starts the real agent process on an ephemeral port with a fresh test PKI. */
export async function startAgentProcess(options: HarnessOptions = {}): Promise<AgentHandle> {
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'amphora-agent-test-')));
  const amphoraId = options.amphoraId ?? randomUUID();
  const pkiDir = join(directory, 'pki');
  const pki = await writePki(pkiDir, { serverNames: [amphoraId, 'localhost'], serverAddresses: ['127.0.0.1'] });
  for (const folder of ['lib/certs', 'interfaces', 'systemd']) await mkdir(join(directory, folder), { recursive: true });
  const configFile = join(directory, 'amphora-agent.conf');
  await writeFile(configFile, renderConfig(directory, amphoraId, 0, pki, options.extraConfig), { mode: 0o600 });
  return launch({ directory, amphoraId, pki, configFile });
}

/** Starts the agent again on an existing state folder (same PKI and config). */
export async function restartAgentProcess(previous: AgentHandle): Promise<AgentHandle> {
  return launch({ directory: previous.directory, amphoraId: previous.amphoraId, pki: previous.pki, configFile: previous.configFile });
}

async function launch(setup: { directory: string; amphoraId: string; pki: DevPki; configFile: string }): Promise<AgentHandle> {
  const child = spawnAgent(['--config-file', setup.configFile], { cwd: setup.directory });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start in time:\n${output}`)), 15_000);
    const check = () => {
      const match = /"port":(\d+)[^\n]*amphora agent listening/u.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code}:\n${output}`));
    });
  });
  const agent = new Agent({
    cert: setup.pki.clientPem,
    key: setup.pki.clientPem,
    ca: setup.pki.caCertPem,
    servername: setup.amphoraId,
    keepAlive: false,
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    baseUrl: `https://127.0.0.1:${port}`,
    port,
    amphoraId: setup.amphoraId,
    directory: setup.directory,
    basePath: join(setup.directory, 'lib'),
    certDir: join(setup.directory, 'lib', 'certs'),
    configFile: setup.configFile,
    pki: setup.pki,
    process: child,
    output: () => output,
    request: (method, path, body, headers) => httpsCall({ port, agent, method, path, body, headers, servername: setup.amphoraId }),
    stop,
    destroy: async () => {
      await stop();
      await rm(setup.directory, { recursive: true, force: true });
    },
  };
}

export function httpsCall(options: {
  port: number;
  agent: Agent;
  method: string;
  path: string;
  body?: string | Buffer | undefined;
  headers?: Record<string, string> | undefined;
  servername?: string;
}): Promise<HttpAnswer> {
  return new Promise((resolveAnswer, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port: options.port,
        method: options.method,
        path: options.path,
        agent: options.agent,
        servername: options.servername,
        headers: options.headers,
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolveAnswer({ status: response.statusCode ?? 0, headers: response.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Runs calls through Octavia's real control-plane client (test/interop/octavia_client.py). */
export type OctaviaResult = { ok: boolean; value?: unknown; error?: string; message?: string };

export async function runOctaviaClient(agent: AgentHandle, calls: Record<string, unknown>[]): Promise<OctaviaResult[]> {
  return runOctaviaCalls(
    {
      amphora_id: agent.amphoraId,
      address: '127.0.0.1',
      port: agent.port,
      client_cert: agent.pki.files.client,
      server_ca: agent.pki.files.ca,
      base_path: agent.basePath,
      base_cert_dir: agent.certDir,
    },
    calls,
  );
}

/** Octavia's own client (test/interop/octavia_client.py) against any agent, e.g. one in a VM. */
export async function runOctaviaCalls(connection: Record<string, unknown>, calls: Record<string, unknown>[]): Promise<OctaviaResult[]> {
  const input = JSON.stringify({ connection, calls });
  const child = spawn('/usr/bin/python3', [join(REPO_ROOT, 'test', 'interop', 'octavia_client.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`octavia client failed (${code}):\n${stderr}`);
  return (JSON.parse(stdout) as { results: OctaviaResult[] }).results;
}

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled amphoractl against `agent`, connected through its environment variables. */
export function runAmphoractl(agent: AgentHandle, args: readonly string[]): Promise<CtlResult> {
  // The executable itself, as installed (its shebang carries the runtime flags).
  const child = spawn(join(REPO_ROOT, 'dist', 'agent', 'cli', 'amphoractl.js'), args, {
    env: {
      ...process.env,
      PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}`,
      AMPHORACTL_URL: agent.baseUrl,
      AMPHORACTL_CERT: agent.pki.files.client,
      AMPHORACTL_CACERT: agent.pki.files.ca,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
