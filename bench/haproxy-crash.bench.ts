/**
 * haproxy's master killed (SIGKILL) under paced load, against the real agent with the direct
 * process manager: how long the listener is down and how many requests fail until the agent's
 * supervisor has a new master serving. Each run starts from a stable LB (stop + start through
 * the API), so every kill is a first crash; crashes in a row back off by design.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgentProcess } from '../test/helpers/agent-harness.ts';
import { httpGet, retireAgent, startMembers, testHaproxyConfig } from '../test/helpers/haproxy-fixtures.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { percentile, round } from './measure.ts';

const RUNS = Number(process.env.BENCH_CRASH_RUNS ?? 5);
/** One request every 6 ms: about the 170 requests per second the figure is usually quoted at. */
const PACE_MS = 6;

const agent = await startAgentProcess({ extraConfig: { DEFAULT: ['debug = false'] } });
const members = await startMembers(['a', 'b']);
const lbId = randomUUID();

function pacedLoad(port: number) {
  let running = true;
  let ok = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (running) {
      const request = httpGet(port, 1000).then((result) => {
        if (result.ok) ok++;
        else failed++;
      });
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
      await sleep(PACE_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(inFlight);
      return { ok, failed };
    },
  };
}

try {
  const port = await freePort();
  const config = testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId: randomUUID(), port, memberPorts: members.ports });
  const uploaded = await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, config);
  if (uploaded.status !== 202) throw new Error(`upload failed: ${uploaded.status} ${uploaded.text}`);
  const pidFile = join(agent.basePath, lbId, `${lbId}.pid`);
  const outageMs: number[] = [];
  const failedRequests: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await agent.request('PUT', `/1.0/loadbalancer/${lbId}/stop`);
    const started = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`);
    if (started.status !== 202) throw new Error(`start failed: ${started.text}`);
    while (!(await httpGet(port, 500)).ok) await sleep(10);
    const load = pacedLoad(port);
    await sleep(500);
    const master = Number((await readFile(pidFile, 'utf8')).trim());
    const killedAt = performance.now();
    process.kill(master, 'SIGKILL');
    for (;;) {
      const current = Number((await readFile(pidFile, 'utf8').catch(() => '0')).trim());
      if (current !== master && current !== 0 && (await httpGet(port, 200)).ok) break;
      if (performance.now() - killedAt > 30_000) throw new Error('no new master within 30 s');
      await sleep(5);
    }
    outageMs.push(performance.now() - killedAt);
    await sleep(500);
    failedRequests.push((await load.stop()).failed);
  }
  const report = {
    runs: RUNS,
    requestsPerSecond: round(1000 / PACE_MS),
    outageMs: { p50: round(percentile(outageMs, 50)), max: round(Math.max(...outageMs)), all: outageMs.map(round) },
    failedRequests: { p50: percentile(failedRequests, 50), max: Math.max(...failedRequests), all: failedRequests },
    note: 'master found dead within the 200 ms monitor interval and started again at once (no back-off on a first crash)',
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await retireAgent(agent, [lbId], members);
}
