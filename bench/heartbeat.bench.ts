/**
 * Heartbeat benchmark: time and CPU to collect, build, sign and send one heartbeat for a load
 * balancer with 10 listeners and 1,000 / 10,000 members, and interval jitter while the main
 * thread is kept busy (API load). haproxy is stood in for by a unix socket server that speaks
 * the stats protocol and answers generated `show stat` CSV (haproxy 2.6 column layout).
 */
import { startStandIn } from '../test/helpers/stand-in-process.ts';
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../agent/config/load.ts';
import { LiveConfig } from '../agent/config/live-config.ts';
import type { AgentConfig } from '../agent/config/options.ts';
import { pathsFor } from '../agent/config/paths.ts';
import { collectSnapshot } from '../agent/heartbeat/collector.ts';
import { CounterStore } from '../agent/heartbeat/counters.ts';
import { encodeHeartbeat } from '../agent/heartbeat/encode.ts';
import { HeartbeatLoop, type BeatResult } from '../agent/heartbeat/heartbeat-loop.ts';
import { systemLvsCommands } from '../agent/heartbeat/lvs-collector.ts';
import { buildMessage } from '../agent/heartbeat/message.ts';
import { createHeartbeatSender, type BeatNote } from '../agent/heartbeat/sender.ts';
import { silentLogger } from '../agent/util/logger.ts';
import { StatsMemory } from '../agent/heartbeat/stats-memory.ts';
import { percentile, round } from './measure.ts';

const COLUMNS =
  'pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,srv_count,';
const NAMES = COLUMNS.split(',');

function csvRow(values: Record<string, string | number>): string {
  return NAMES.map((name) => (values[name] === undefined ? '' : String(values[name]))).join(',');
}

/** `show stat` of one load balancer: 10 frontends, 10 backends sharing `members` servers. */
function generateShowStat(members: number, generation: number): string {
  const lines = [`# ${COLUMNS}`];
  const listeners = Array.from({ length: 10 }, () => randomUUID());
  const pools = listeners.map((listener) => `${randomUUID()}:${listener}`);
  for (const listener of listeners) {
    lines.push(csvRow({ pxname: listener, svname: 'FRONTEND', scur: 12, stot: 1000 * generation, bin: 5_000_000 * generation, bout: 9_000_000 * generation, ereq: generation, status: 'OPEN', type: 0, mode: 'http' }));
  }
  pools.forEach((pool, index) => {
    const count = Math.floor(members / 10) + (index < members % 10 ? 1 : 0);
    for (let server = 0; server < count; server += 1) {
      lines.push(csvRow({ pxname: pool, svname: randomUUID(), status: server % 50 === 0 ? 'DOWN' : 'UP', weight: 1, type: 2, check_status: 'L7OK', addr: `10.${index}.${server >> 8}.${server & 255}:80`, mode: 'http' }));
    }
    lines.push(csvRow({ pxname: pool, svname: 'BACKEND', status: 'UP', weight: count, type: 1, mode: 'http' }));
  });
  return `${lines.join('\n')}\n\n`;
}

async function statsServer(path: string, answer: () => string): Promise<Server> {
  const server = createServer((socket) => {
    socket.once('data', () => socket.end(answer()));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

function configFor(basePath: string, port: number, interval = 10): AgentConfig {
  const raw = new Map([
    ['amphora_agent', new Map([['amphora_id', [randomUUID()]], ['network_namespace', ['']]])],
    ['haproxy_amphora', new Map([['base_path', [basePath]]])],
    ['health_manager', new Map([
      ['heartbeat_key', ['bench-key']],
      ['controller_ip_port_list', [`127.0.0.1:${port}`]],
      ['heartbeat_interval', [String(interval)]],
    ])],
  ]);
  return buildConfig(raw);
}

const stats = (values: number[]) => ({
  median: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  max: round(percentile(values, 100)),
});

async function benchCollection(members: number, iterations: number) {
  const basePath = await mkdtemp(join(tmpdir(), 'hb-bench-'));
  const lbId = randomUUID();
  await mkdir(join(basePath, lbId));
  await writeFile(join(basePath, lbId, 'haproxy.cfg'), 'global\n');
  // The agent trusts a pid file only when its process names this LB's config.
  const standIn = startStandIn('haproxy', '-f', join(basePath, lbId, 'haproxy.cfg'));
  await writeFile(join(basePath, lbId, `${lbId}.pid`), `${standIn.pid}\n`);
  let generation = 1;
  const template = generateShowStat(members, 1);
  const answer = () => template.replace(/,FRONTEND,,,12,,,1000,5000000,9000000,,,1,/gu, `,FRONTEND,,,12,,,${1000 * generation},${5_000_000 * generation},${9_000_000 * generation},,,${generation},`);
  const server = await statsServer(join(basePath, `${lbId}.sock`), answer);
  const receiver = createSocket('udp4');
  let received = 0;
  receiver.on('message', () => {
    received += 1;
  });
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  const config = configFor(basePath, receiver.address().port);
  const paths = pathsFor(config);
  const loop = new HeartbeatLoop({ config: () => config, logger: silentLogger });
  const warmUp = await loop.beat(); // warm-up (JIT, first counter file)
  const measured = await collectSnapshot({ paths, namespace: '', budgetMs: 2000, lvsCommands: systemLvsCommands, memory: new StatsMemory() });
  if (measured.listeners.length !== 10 || warmUp.datagrams.length === 0) {
    throw new Error(`the stand-in load balancer was not collected: ${JSON.stringify(measured.problems)}`);
  }

  const phases = { collect: [] as number[], build: [] as number[], signCompress: [] as number[] };
  const counters = new CounterStore(join(basePath, 'phase_counters.json'), silentLogger);
  const full: number[] = [];
  const cpu: number[] = [];
  let last: BeatResult | undefined;
  for (let index = 0; index < iterations; index += 1) {
    generation += 1;
    let started = performance.now();
    const snapshot = await collectSnapshot({ paths, namespace: '', budgetMs: 2000, lvsCommands: systemLvsCommands, memory: new StatsMemory() });
    phases.collect.push(performance.now() - started);
    started = performance.now();
    const message = buildMessage(config.amphora_agent.amphora_id ?? null, index, snapshot, counters);
    phases.build.push(performance.now() - started);
    started = performance.now();
    await encodeHeartbeat(message, { keys: ['bench-key'], encrypt: false });
    phases.signCompress.push(performance.now() - started);

    const before = process.cpuUsage();
    started = performance.now();
    last = await loop.beat();
    full.push(performance.now() - started);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  await loop.stop();
  receiver.close();
  await new Promise((resolve) => server.close(resolve));
  standIn.kill();
  await rm(basePath, { recursive: true, force: true });
  return {
    members,
    listeners: 10,
    showStatBytes: template.length,
    datagramBytes: last?.datagrams[0]?.length,
    poolsOmitted: last?.poolsOmitted,
    received: `${received}/${iterations + 1}`,
    beatMs: stats(full),
    beatCpuMs: stats(cpu),
    collectMs: stats(phases.collect),
    buildMs: stats(phases.build),
    compressSignMs: stats(phases.signCompress),
  };
}

/** Busy main thread: 40 ms blocks of work with a short yield between them (~95% busy). */
function apiLoad(untilMs: number): Promise<void> {
  return new Promise((resolve) => {
    const step = () => {
      if (Date.now() >= untilMs) return resolve();
      const end = Date.now() + 40;
      let x = 0;
      while (Date.now() < end) x += Math.sqrt(x + 1);
      setImmediate(step);
    };
    step();
  });
}

async function benchJitter(seconds: number) {
  const basePath = await mkdtemp(join(tmpdir(), 'hb-jitter-'));
  const receiver = createSocket('udp4');
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  const config = configFor(basePath, receiver.address().port, 1);
  const deviations = (starts: number[]) => starts.slice(1).map((start, index) => Math.abs(start - starts[index]! - 1000));

  // On the event loop, as the agent runs it, while the loop is ~95% busy with API-like work.
  const live = new LiveConfig(config, { files: [], directories: [] });
  const starts: number[] = [];
  const sender = createHeartbeatSender({ config: live, logger: silentLogger }, { onBeat: (note: BeatNote) => starts.push(note.startedAt) });
  sender.start();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await apiLoad(Date.now() + seconds * 1000);
  await sender.stop();
  receiver.close();
  await rm(basePath, { recursive: true, force: true });
  return {
    intervalMs: 1000,
    loadSeconds: seconds,
    beats: starts.length,
    jitterMs: stats(deviations(starts)),
  };
}

const results = {
  collection: [await benchCollection(1000, 20), await benchCollection(10_000, 8)],
  jitterUnderLoad: await benchJitter(6),
};
console.log(JSON.stringify(results, null, 2));
console.log('\n| members | beat median ms | beat p95 ms | CPU median ms | collect ms | build ms | compress+sign ms | datagram bytes | pools omitted |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of results.collection) {
  console.log(`| ${row.members} | ${row.beatMs.median} | ${row.beatMs.p95} | ${row.beatCpuMs.median} | ${row.collectMs.median} | ${row.buildMs.median} | ${row.compressSignMs.median} | ${row.datagramBytes} | ${row.poolsOmitted} |`);
}
const jitter = results.jitterUnderLoad;
console.log(`\nInterval jitter with the event loop 95% busy in 40 ms slices (1 s interval): median ${jitter.jitterMs.median} ms / max ${jitter.jitterMs.max} ms over ${jitter.beats} beats`);
