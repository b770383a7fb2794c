/**
 * API benchmark: latency of GET /1.0/info and /1.0/details (a new TLS connection per request,
 * as the reference's gunicorn forces on the control plane), idle memory, and time from start
 * to first answer, for this agent and for the reference Python agent from python3-octavia
 * when it is installed. Each side runs with a test PKI in a temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { writePki, type DevPki } from '../agent/certs/dev-pki.ts';
import { AGENT_MAIN, NODE, httpsCall, renderConfig } from '../test/helpers/agent-harness.ts';
import { percentile, round, timeIt, treeMemory } from './measure.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
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
  await writeFile(configFile, renderConfig(directory, AMPHORA_ID, port, pki, { DEFAULT: ['debug = false'], health_manager: ['controller_ip_port_list ='] }));
  return configFile;
}

async function measure(side: Side, pki: DevPki) {
  const client = new Agent({ cert: pki.clientPem, key: pki.clientPem, ca: pki.caCertPem, keepAlive: false });
  const call = (path: string) => httpsCall({ port: side.port, agent: client, method: 'GET', path, servername: AMPHORA_ID });
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
    await sleep(2000); // idle
    const memory = await treeMemory(child.pid!);
    return { name: side.name, startupMs: round(startupMs, 0), latency, memory };
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)));
  }
}

const directory = await mkdtemp(join(tmpdir(), 'amphora-bench-'));
try {
  const pki = await writePki(join(directory, 'pki'), { serverNames: [AMPHORA_ID], serverAddresses: ['127.0.0.1'] });
  const oursConfig = await prepare(join(directory, 'ours'), pki, 19501);
  const results = [await measure({ name: 'amphora-agent (this)', command: [AGENT_MAIN, ['--config-file', oursConfig]], env: { PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` }, port: 19501 }, pki)];
  if (existsSync('/usr/bin/amphora-agent')) {
    const referenceConfig = await prepare(join(directory, 'reference'), pki, 19502);
    results.push(await measure({ name: 'reference (python3-octavia)', command: ['/usr/bin/python3', ['/usr/bin/amphora-agent', '--config-file', referenceConfig]], port: 19502 }, pki));
  }
  const [ours, reference] = results;
  const lines = [
    '## API (GET latency with a new TLS connection per request, idle memory, start-up)',
    '',
    '| agent | info p50 | info p99 | details p50 | details p99 | idle RSS | idle PSS | idle USS | processes | start to first answer |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) =>
      `| ${r.name} | ${r.latency['/1.0/info']!.p50} ms | ${r.latency['/1.0/info']!.p99} ms | ${r.latency['/1.0/details']!.p50} ms | ${r.latency['/1.0/details']!.p99} ms | ${r.memory.rssMb} MB | ${r.memory.pssMb} MB | ${r.memory.ussMb} MB | ${r.memory.processes} | ${r.startupMs} ms |`,
    ),
  ];
  if (ours && reference) {
    const ratio = (a: number, b: number) => round(a / b, 3);
    lines.push(
      '',
      `Ratios (this / reference): info p50 ${ratio(ours.latency['/1.0/info']!.p50, reference.latency['/1.0/info']!.p50)}, ` +
        `details p50 ${ratio(ours.latency['/1.0/details']!.p50, reference.latency['/1.0/details']!.p50)}, ` +
        `RSS ${ratio(ours.memory.rssMb, reference.memory.rssMb)}, PSS ${ratio(ours.memory.pssMb, reference.memory.pssMb)}, USS ${ratio(ours.memory.ussMb, reference.memory.ussMb)}, start-up ${ratio(ours.startupMs, reference.startupMs)}.`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(directory, { recursive: true, force: true });
}
