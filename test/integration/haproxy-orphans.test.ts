/**
 * No haproxy outlives its load balancer: one the pid file does not name is still stopped by a
 * delete, one left by a crash is stopped at agent start, and deletes racing starts leave none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { restartAgentProcess, startAgentProcess } from '../helpers/agent-harness.ts';
import { processesMentioning, retireAgent, startMembers, testHaproxyConfig, waitFor } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

test('delete stops a haproxy the pid file does not name; agent start stops one whose LB is gone', { timeout: 90_000 }, async () => {
  let agent = await startAgentProcess();
  const members = await startMembers(['member']);
  try {
    const lbId = randomUUID();
    const config = join(agent.basePath, lbId, 'haproxy.cfg');
    const text = testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId: 'listener', port: await freePort(), memberPorts: members.ports });
    assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, text)).status, 202);
    assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`)).status, 202);
    assert.ok((await processesMentioning(config)).length >= 2, 'master and worker run');
    // The agent loses track of it, as when a start is still settling while the delete arrives.
    await unlink(join(agent.basePath, lbId, `${lbId}.pid`));
    assert.equal((await agent.request('DELETE', `/1.0/listeners/${lbId}`)).status, 200);
    await waitFor(async () => (await processesMentioning(config)).length === 0, 10_000, 'the deleted LB\'s haproxy to exit');

    // A haproxy left running for an LB whose folder is gone (a crash between the two).
    await agent.stop();
    const ghost = join(agent.basePath, 'ghost-lb');
    await mkdir(ghost, { recursive: true });
    const ghostConfig = join(ghost, 'haproxy.cfg');
    await writeFile(ghostConfig, testHaproxyConfig({ basePath: agent.basePath, lbId: 'ghost-lb', listenerId: 'l', port: await freePort(), memberPorts: members.ports }));
    execFileSync('haproxy', ['-W', '-D', '-f', ghostConfig, '-p', join(ghost, 'ghost.pid')]);
    await rm(ghost, { recursive: true, force: true });
    assert.ok((await processesMentioning(ghostConfig)).length >= 1);
    agent = await restartAgentProcess(agent);
    await waitFor(async () => (await processesMentioning(ghostConfig)).length === 0, 10_000, 'the orphaned haproxy to exit');
    assert.match(agent.output(), /stopping haproxy processes whose load balancer no longer exists/u);
  } finally {
    await retireAgent(agent, [], members);
  }
});

test('deletes racing starts leave no haproxy behind', { timeout: 120_000 }, async () => {
  const agent = await startAgentProcess();
  const members = await startMembers(['member']);
  try {
    for (let round = 0; round < 15; round += 1) {
      const lbId = randomUUID();
      const config = join(agent.basePath, lbId, 'haproxy.cfg');
      const text = testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId: 'listener', port: await freePort(), memberPorts: members.ports });
      assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, text)).status, 202);
      const start = agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`);
      await new Promise((resolve) => setTimeout(resolve, round * 3));
      const removal = agent.request('DELETE', `/1.0/listeners/${lbId}`);
      await Promise.all([start, removal]);
      assert.equal((await removal).status, 200);
      await waitFor(async () => (await processesMentioning(config)).length === 0, 10_000, `round ${round}: no haproxy left`);
    }
  } finally {
    await retireAgent(agent, [], members);
  }
});
