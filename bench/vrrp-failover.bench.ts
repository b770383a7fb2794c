/**
 * ACTIVE_STANDBY failover time with real keepalived and real VRRP (test/helpers/vrrp-lab.ts:
 * two agents, each amphora its own namespace, one bridge, a client and a member). For each
 * fault, from the fault to the first successful request through the VIP after the BACKUP took
 * it, p50/max over BENCH_VRRP_RUNS runs (default 10), with Octavia's default timers and with
 * the fastest ones keepalived accepts for this configuration (VRRP v2: whole-second adverts;
 * check every second, one failure or success to change state). Faults:
 *   stop-haproxy    PUT /1.0/loadbalancer/{lb}/stop on the MASTER (its check then fails);
 *   kill-keepalived SIGKILL to the MASTER's keepalived (the agent respawns it);
 *   link-down       the MASTER's VIP interface set down (set up again for the next run).
 * BENCH_VRRP_FAULTS=a,b runs only those.
 * Also reported: "takeover", fault → VIP on the BACKUP (keepalived's share).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createVrrpLab, OCTAVIA_DEFAULT_TIMERS, type VrrpLab, type VrrpTimers } from '../test/helpers/vrrp-lab.ts';
import { waitFor } from '../test/helpers/haproxy-fixtures.ts';
import { runCommand } from '../agent/util/run-command.ts';
import { percentile, round } from './measure.ts';

const RUNS = Number(process.env.BENCH_VRRP_RUNS ?? 10);
const FASTEST: VrrpTimers = { checkInterval: 1, failCount: 1, successCount: 1, garpRefreshInterval: 5, garpRefreshCount: 2, advertInt: 1 };
const ALL_FAULTS = ['stop-haproxy', 'kill-keepalived', 'link-down'] as const;
type Fault = (typeof ALL_FAULTS)[number];
const FAULTS = ALL_FAULTS.filter((fault) => (process.env.BENCH_VRRP_FAULTS ?? ALL_FAULTS.join(',')).split(',').includes(fault));

interface Sample {
  takeoverMs: number;
  failoverMs: number;
}

/** Waits until the MASTER holds the VIP alone and traffic flows. */
async function steady(lab: VrrpLab): Promise<void> {
  await waitFor(async () => (await lab.vipHolders()).join() === lab.amphorae[0]!.name, 90_000, 'the MASTER to hold the VIP');
  await waitFor(() => lab.getThroughVip(), 30_000, 'traffic through the VIP');
}

async function injectFault(lab: VrrpLab, fault: Fault): Promise<void> {
  const master = lab.amphorae[0]!;
  if (fault === 'stop-haproxy') {
    const answer = await master.agent.request('PUT', `/1.0/loadbalancer/${lab.lbId}/stop`);
    if (answer.status !== 202) throw new Error(`stop: ${answer.text}`);
    return;
  }
  if (fault === 'link-down') {
    await runCommand('ip', ['-n', master.namespace, 'link', 'set', 'eth1', 'down']);
    return;
  }
  const pid = await lab.keepalivedPid(master);
  if (pid === undefined) throw new Error('no keepalived pid on the MASTER');
  process.kill(pid, 'SIGKILL');
}

async function repair(lab: VrrpLab, fault: Fault): Promise<void> {
  if (fault === 'stop-haproxy') {
    const answer = await lab.amphorae[0]!.agent.request('PUT', `/1.0/loadbalancer/${lab.lbId}/start`);
    if (answer.status !== 202) throw new Error(`start: ${answer.text}`);
  }
  if (fault === 'link-down') await runCommand('ip', ['-n', lab.amphorae[0]!.namespace, 'link', 'set', 'eth1', 'up']);
  // kill-keepalived: the agent's supervisor respawns it by itself.
  await steady(lab);
}

/** One fault: a VIP prober and a traffic prober run side by side until traffic resumed on the BACKUP. */
async function measure(lab: VrrpLab, fault: Fault): Promise<Sample> {
  const backup = lab.amphorae[1]!;
  let takeoverAt: number | undefined;
  let resumedAt: number | undefined;
  let done = false;
  const started = performance.now();
  const vipProbe = (async () => {
    while (!done && takeoverAt === undefined) {
      if (await lab.holdsVip(backup)) takeoverAt = performance.now();
      else await sleep(10);
    }
  })();
  const trafficProbe = (async () => {
    while (!done) {
      const sentAt = performance.now();
      const body = await lab.getThroughVip(0.5);
      if (body !== undefined && takeoverAt !== undefined && sentAt >= takeoverAt) {
        resumedAt = performance.now();
        return;
      }
      if (body !== undefined) await sleep(10);
    }
  })();
  await injectFault(lab, fault);
  const deadline = started + 120_000;
  while (resumedAt === undefined && performance.now() < deadline) await sleep(20);
  done = true;
  await Promise.all([vipProbe, trafficProbe]);
  if (takeoverAt === undefined || resumedAt === undefined) throw new Error(`${fault}: no failover within 120 s`);
  return { takeoverMs: takeoverAt - started, failoverMs: resumedAt - started };
}

const report: string[] = [];
for (const [label, timers] of [
  ['Octavia defaults (check 5 s, fall 2, rise 2, advert 1 s)', OCTAVIA_DEFAULT_TIMERS],
  ['fastest (check 1 s, fall 1, rise 1, advert 1 s)', FASTEST],
] as const) {
  const lab = await createVrrpLab(timers);
  try {
    await lab.configure();
    await steady(lab);
    for (const fault of FAULTS) {
      const samples: Sample[] = [];
      for (let run = 0; run < RUNS; run++) {
        samples.push(await measure(lab, fault));
        await repair(lab, fault);
        // The check script must have passed `rise` times on the MASTER before the next fault.
        await sleep(timers.checkInterval * 1000 * (timers.successCount + 1));
      }
      const failover = samples.map((sample) => sample.failoverMs);
      const takeover = samples.map((sample) => sample.takeoverMs);
      const line =
        `${label}, ${fault}: failover p50 ${round(percentile(failover, 50) / 1000)} s, max ${round(Math.max(...failover) / 1000)} s; ` +
        `takeover p50 ${round(percentile(takeover, 50) / 1000)} s, max ${round(Math.max(...takeover) / 1000)} s (${RUNS} runs)`;
      process.stdout.write(`${line}\n`);
      report.push(line);
    }
  } finally {
    await lab.cleanup();
  }
}
process.stdout.write(`\n${report.join('\n')}\n`);
