/**
 * haproxy lifecycle benchmark against the real agent (direct process manager) and real
 * haproxy on loopback:
 * - upload latency (PUT .../haproxy over mutual TLS) divided by a bare `haproxy -c` on the same
 *   file, the floor of any upload: once with a new connection per call (what the reference's
 *   server forces) and once over one kept-alive connection (what Octavia's requests.Session
 *   does with a server that keeps connections open, as this one does);
 * - start and reload latency (a reload answers once the new worker serves);
 * - failed requests while 100 reloads run under load.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { haproxyPeerName } from '../agent/haproxy/peer-name.ts';
import { runCommand } from '../agent/util/run-command.ts';
import { httpsCall, startAgentProcess } from '../test/helpers/agent-harness.ts';
import { httpGet, retireAgent, startLoad, startMembers, testHaproxyConfig } from '../test/helpers/haproxy-fixtures.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { controllerClient, percentile, round, timeIt } from './measure.ts';

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 40);
const RELOADS = Number(process.env.BENCH_RELOADS ?? 100);

const agent = await startAgentProcess({ extraConfig: { DEFAULT: ['debug = false'] } });
const members = await startMembers(['a', 'b']);
const lbId = randomUUID();
try {
  const port = await freePort();
  const config = testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId: randomUUID(), port, memberPorts: members.ports });
  const upload = () => agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, config);
  const session = controllerClient(agent.pki, { keepAlive: true, maxSockets: 1 });
  const uploadKeptAlive = () =>
    httpsCall({ port: agent.port, agent: session, method: 'PUT', path: `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, body: config, servername: agent.amphoraId });

  const first = await upload();
  if (first.status !== 202) throw new Error(`upload failed: ${first.status} ${first.text}`);
  // Uploads and bare checks alternate so both see the same machine load.
  const file = join(agent.directory, 'bench-haproxy.cfg');
  await writeFile(file, config.replace('\n    group nogroup', ''));
  const userGroup = join(agent.basePath, 'haproxy-default-user-group.conf');
  const check = () => runCommand('/usr/sbin/haproxy', ['-c', '-L', haproxyPeerName(agent.amphoraId), '-f', file, '-f', userGroup]);
  const uploadMs: number[] = [];
  const keptAliveMs: number[] = [];
  const checkMs: number[] = [];
  const trivialMs: number[] = [];
  for (let index = 0; index < UPLOADS; index++) {
    uploadMs.push((await timeIt(upload))[1]);
    keptAliveMs.push((await timeIt(uploadKeptAlive))[1]);
    const [result, ms] = await timeIt(check);
    if (result.exitCode !== 0) throw new Error(result.output);
    checkMs.push(ms);
    // The same connection cost (mutual-TLS handshake, HTTP) with no work behind it.
    trivialMs.push((await timeIt(() => agent.request('GET', '/')))[1]);
  }

  const [started, startMs] = await timeIt(() => agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`));
  if (started.status !== 202) throw new Error(`start failed: ${started.text}`);
  const [, firstServedMs] = await timeIt(async () => {
    while (!(await httpGet(port, 500)).ok);
  });

  const load = startLoad(port, 4);
  const reloadMs: number[] = [];
  const reloadErrors: string[] = [];
  for (let index = 0; index < RELOADS; index++) {
    const [answer, ms] = await timeIt(() => agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`));
    if (answer.status !== 202) reloadErrors.push(`${answer.status} ${answer.text}`);
    reloadMs.push(ms);
  }
  const traffic = await load.stop();
  session.destroy();
  const [, afterReloadServedMs] = await timeIt(() => httpGet(port));

  const uploadP50 = percentile(uploadMs, 50);
  const checkP50 = percentile(checkMs, 50);
  const report = {
    upload: {
      p50Ms: round(uploadP50),
      p99Ms: round(percentile(uploadMs, 99)),
      bareHaproxyCheckP50Ms: round(checkP50),
      ratioToHaproxyCheck: round(uploadP50 / checkP50),
      newConnectionRoundTripP50Ms: round(percentile(trivialMs, 50)),
      ratioToHaproxyCheckExcludingConnection: round((uploadP50 - percentile(trivialMs, 50)) / checkP50),
      keptAliveP50Ms: round(percentile(keptAliveMs, 50)),
      keptAliveRatioToHaproxyCheck: round(percentile(keptAliveMs, 50) / checkP50),
    },
    start: { latencyMs: round(startMs), firstRequestServedAfterMs: round(firstServedMs) },
    reload: {
      p50Ms: round(percentile(reloadMs, 50)),
      p99Ms: round(percentile(reloadMs, 99)),
      note: 'answered after haproxy -c and once the new worker answers on the stats socket',
      nextRequestServedInMs: round(afterReloadServedMs),
    },
    reloadsUnderLoad: { reloads: RELOADS, failedReloads: reloadErrors.length, reloadErrors, requestsServed: traffic.ok, failedRequests: traffic.failed, errors: traffic.errors },
    reference: { uploadMs: 120, startMs: 197, reloadMs: 183 },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await retireAgent(agent, [lbId], members);
}
