/**
 * API benchmark: latency of GET /1.0/info and /1.0/details (a new TLS connection per request,
 * as the reference's gunicorn forces on the control plane), memory after start and after a
 * fixed load of routes both agents serve, and time from start to first answer, for this agent
 * and for the reference Python agent from python3-octavia when it is installed. Each side runs
 * with a test PKI in a temporary folder.
 *
 * Memory is measured as on an amphora, where nothing else maps the agent's runtime: the agent
 * runs on a private copy of the pinned Node binary (with the flags of its executable's
 * launcher), so neither this process nor any other Node on the machine shares its pages and
 * halves its PSS; the reference runs on a private copy of its interpreter for the same reason.
 * The report says how many other processes mapped each agent's binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { existsSync, realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { writePki, type DevPki } from '../agent/certs/dev-pki.ts';
import { AGENT_MAIN, NODE, httpsCall, renderConfig } from '../test/helpers/agent-harness.ts';
import { testHaproxyConfig } from '../test/helpers/haproxy-fixtures.ts';
import { controllerClient, launcherRuntime, otherMappers, percentile, round, timeIt, treeMemory } from './measure.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
/** Rounds of the fixed load: each round calls every route below once. */
const LOAD_ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 100);
const LB_ID = 'bench-lb';
const AMPHORA_ID = 'bench-amphora';

interface Side {
  name: string;
  command: [string, string[]];
  env?: Record<string, string>;
  port: number;
}

async function prepare(directory: string, pki: DevPki, port: number): Promise<string> {
  for (const folder of ['lib/certs', 'interfaces', 'systemd']) await mkdir(join(directory, folder), { recursive: true });
  const configFile = join(directory, 'agent.conf');
  await writeFile(configFile, renderConfig(directory, AMPHORA_ID, port, pki, {
    DEFAULT: ['debug = false'],
    health_manager: ['controller_ip_port_list ='],
    // As on an amphora: the metrics endpoint is on by default (the reference ignores the option).
    amphora_agent: ['prometheus_proxy = agent'],
  }));
  return configFile;
}

type Call = (path: string, method?: string, body?: string) => ReturnType<typeof httpsCall>;

/**
 * LOAD_ROUNDS rounds over every route both agents serve without a running haproxy: version,
 * info, details, listener lists, a listener certificate's upload, read and delete, a
 * haproxy.cfg upload (checked with `haproxy -c`) and its read. Returns the status counts.
 */
async function fixedLoad(call: Call, pki: DevPki): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  const certificate = pki.clientPem;
  const haproxyConfig = testHaproxyConfig({ basePath: '/nonexistent', lbId: LB_ID, listenerId: 'bench-listener', port: 19600, memberPorts: [19601] });
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    for (const [path, method, body] of [
      ['/', 'GET'],
      ['/1.0/info', 'GET'],
      ['/1.0/details', 'GET'],
      ['/1.0/listeners', 'GET'],
      [`/1.0/loadbalancer/${LB_ID}/certificates/bench.pem`, 'PUT', certificate],
      [`/1.0/loadbalancer/${LB_ID}/certificates/bench.pem`, 'GET'],
      [`/1.0/loadbalancer/${LB_ID}/certificates/bench.pem`, 'DELETE'],
      [`/1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`, 'PUT', haproxyConfig],
      [`/1.0/loadbalancer/${LB_ID}/haproxy`, 'GET'],
    ] as const) {
      const answer = await call(path, method, body);
      const key = `${method} ${path.replace(LB_ID, '{lb}').replace(AMPHORA_ID, '{amp}')} ${answer.status}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  }
  return statuses;
}

async function measure(side: Side, pki: DevPki) {
  const client = controllerClient(pki, { keepAlive: false });
  const call: Call = (path, method = 'GET', body) => httpsCall({ port: side.port, agent: client, method, path, body, servername: AMPHORA_ID });
  const started = process.hrtime.bigint();
  const child: ChildProcess = spawn(side.command[0], side.command[1], { stdio: 'ignore', env: { ...process.env, ...side.env } });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${side.name} exited with ${child.exitCode}`);
      const answer = await call('/').catch(() => undefined);
      if (answer?.status === 200) break;
      await sleep(5);
    }
    const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
    const latency: Record<string, { p50: number; p99: number }> = {};
    for (const path of ['/1.0/info', '/1.0/details']) {
      for (let warm = 0; warm < 5; warm++) await call(path);
      const samples: number[] = [];
      for (let index = 0; index < REQUESTS; index++) {
        const [answer, ms] = await timeIt(() => call(path));
        if (answer.status !== 200) throw new Error(`${side.name} ${path}: ${answer.status} ${answer.text}`);
        samples.push(ms);
      }
      latency[path] = { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)) };
    }
    await sleep(2000); // settled after start
    const memory = await treeMemory(child.pid!);
    const mappers = await otherMappers(child.pid!);
    const statuses = await fixedLoad(call, pki);
    await sleep(2000);
    const loaded = await treeMemory(child.pid!);
    return { name: side.name, startupMs: round(startupMs, 0), latency, memory, loaded, mappers, statuses };
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)));
  }
}

const directory = await mkdtemp(join(tmpdir(), 'amphora-bench-'));
try {
  const pki = await writePki(join(directory, 'pki'), { serverNames: [AMPHORA_ID], serverAddresses: ['127.0.0.1'] });
  const oursConfig = await prepare(join(directory, 'ours'), pki, 19501);
  const runtime = join(directory, 'node');
  await copyFile(NODE, runtime); // a file of its own: no other process maps its pages
  await chmod(runtime, 0o755);
  const results = [await measure({ name: 'amphora-agent (this)', command: [runtime, [...launcherRuntime(AGENT_MAIN).flags, AGENT_MAIN, '--config-file', oursConfig]], env: { ...launcherRuntime(AGENT_MAIN).env, PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` }, port: 19501 }, pki)];
  if (existsSync('/usr/bin/amphora-agent')) {
    const referenceConfig = await prepare(join(directory, 'reference'), pki, 19502);
    // The same for the reference: its own interpreter file, shared only by its own processes.
    const python = join(directory, 'python3');
    await copyFile(realpathSync('/usr/bin/python3'), python);
    await chmod(python, 0o755);
    // The reference checks every upload against the user-group file its image bakes in; without
    // it each upload of the load would be refused and the reference would do less work than ours.
    const userGroup = '/var/lib/octavia/haproxy-default-user-group.conf';
    const placed = !existsSync(userGroup);
    if (placed) {
      await mkdir(dirname(userGroup), { recursive: true });
      await writeFile(userGroup, 'global\n    group nogroup\n');
    }
    try {
      results.push(await measure({ name: 'reference (python3-octavia)', command: [python, ['/usr/bin/amphora-agent', '--config-file', referenceConfig]], port: 19502 }, pki));
    } finally {
      if (placed) await rm(userGroup, { force: true });
    }
  }
  const [ours, reference] = results;
  const lines = [
    '## API (GET latency with a new TLS connection per request, idle memory, start-up)',
    '',
    '| agent | info p50 | info p99 | details p50 | details p99 | start to first answer | processes |',
    '|---|---|---|---|---|---|---|',
    ...results.map((r) =>
      `| ${r.name} | ${r.latency['/1.0/info']!.p50} ms | ${r.latency['/1.0/info']!.p99} ms | ${r.latency['/1.0/details']!.p50} ms | ${r.latency['/1.0/details']!.p99} ms | ${r.startupMs} ms | ${r.memory.processes} |`,
    ),
    '',
    `Memory (MB) after start (and ${REQUESTS * 2} info/details calls), then after ${LOAD_ROUNDS} rounds of the fixed load over every shared route:`,
    '',
    '| agent | PSS | RSS | USS | PSS loaded | RSS loaded | USS loaded | other processes mapping its binary |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.name} | ${r.memory.pssMb} | ${r.memory.rssMb} | ${r.memory.ussMb} | ${r.loaded.pssMb} | ${r.loaded.rssMb} | ${r.loaded.ussMb} | ${r.mappers} |`),
    '',
    ...results.map((r) => `${r.name} load statuses: ${Object.entries(r.statuses).map(([key, count]) => `${key} ×${count}`).join(', ')}`),
  ];
  if (ours && reference) {
    const ratio = (a: number, b: number) => round(a / b, 3);
    lines.push(
      '',
      `Ratios (this / reference): info p50 ${ratio(ours.latency['/1.0/info']!.p50, reference.latency['/1.0/info']!.p50)}, ` +
        `details p50 ${ratio(ours.latency['/1.0/details']!.p50, reference.latency['/1.0/details']!.p50)}, ` +
        `PSS ${ratio(ours.memory.pssMb, reference.memory.pssMb)} (loaded ${ratio(ours.loaded.pssMb, reference.loaded.pssMb)}), RSS ${ratio(ours.memory.rssMb, reference.memory.rssMb)} (loaded ${ratio(ours.loaded.rssMb, reference.loaded.rssMb)}), ` +
        `USS ${ratio(ours.memory.ussMb, reference.memory.ussMb)}, start-up ${ratio(ours.startupMs, reference.startupMs)}.`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(directory, { recursive: true, force: true });
}
