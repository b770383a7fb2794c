/**
 * The agent killed (SIGKILL) while uploads and reloads are in flight: the stored config is
 * always one whole version, never torn; exactly one haproxy master runs this LB; the restarted
 * agent adopts it, removes temporaries left by the interrupted writes, and the LB serves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { restartAgentProcess, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { httpGet, processesMentioning, retireAgent, startMembers, testHaproxyConfig, waitFor } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

const ROUNDS = 6;

async function haproxyMasters(configPath: string): Promise<number[]> {
  const pids = await processesMentioning(configPath);
  const masters: number[] = [];
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!pids.includes(parent)) masters.push(pid);
  }
  return masters;
}

test('killed mid-upload and mid-reload: never a torn config, one haproxy, clean restart', { timeout: 180_000 }, async () => {
  let agent: AgentHandle = await startAgentProcess();
  const members = await startMembers(['killed-a']);
  const lbId = randomUUID();
  const listenerId = randomUUID();
  try {
    const port = await freePort();
    const variants = ['variant-a', 'variant-b'].map((comment) =>
      testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId, port, memberPorts: members.ports, comment }),
    );
    const uploadPath = () => `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`;
    // The stored form of each variant (the agent strips the group line): what a whole file is.
    const stored = new Set<string>();
    for (const variant of variants) {
      assert.equal((await agent.request('PUT', uploadPath(), variant)).status, 202);
      stored.add((await agent.request('GET', `/1.0/loadbalancer/${lbId}/haproxy`)).text);
    }
    assert.equal(stored.size, 2);
    assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`)).status, 202);
    const configPath = join(agent.basePath, lbId, 'haproxy.cfg');

    for (let round = 0; round < ROUNDS; round++) {
      const inFlight = Array.from({ length: 4 }, (_, index) =>
        index === 3
          ? agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`).catch(() => undefined)
          : agent.request('PUT', uploadPath(), variants[(round + index) % 2]).catch(() => undefined),
      );
      // Somewhere inside haproxy -c, the rename or the reload.
      await sleep(5 + ((round * 37) % 90));
      const exited = new Promise((resolve) => agent.process.once('exit', resolve));
      agent.process.kill('SIGKILL');
      await exited;
      await Promise.all(inFlight);

      assert.ok(stored.has(await readFile(configPath, 'latin1')), `round ${round}: the config is one whole version`);
      agent = await restartAgentProcess(agent);
      await waitFor(async () => (await haproxyMasters(configPath)).length === 1 && (await httpGet(port, 500)).ok, 15_000, `round ${round}: one master serving`);
      const leftovers = (await readdir(join(agent.basePath, lbId))).filter((name) => name.endsWith('.tmp'));
      assert.deepEqual(leftovers, [], `round ${round}: temporaries removed at start`);
    }
    assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`)).status, 202);
    assert.equal((await httpGet(port)).ok, true);
    assert.equal((await haproxyMasters(configPath)).length, 1);
  } finally {
    await retireAgent(agent, [lbId], members);
  }
});
