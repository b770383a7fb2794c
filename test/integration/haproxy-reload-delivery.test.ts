/**
 * Reloads back to back on a busy machine: the re-executed haproxy master ignores a signal until
 * it has installed its handlers again, so a reload sent too early could be lost. Each reload
 * here carries a new configuration, and each answer must mean that configuration serves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import { startAgentProcess, NODE } from '../helpers/agent-harness.ts';
import { retireAgent, startMembers, testHaproxyConfig } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

/** The X-Generation header of one fresh request. */
function generationServed(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.headers['x-generation'] as string | undefined));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(undefined));
  });
}

/** Busy loops on every core, each bounded in time, so a forgotten one still ends. */
function cpuHogs(count: number, seconds: number): ChildProcess[] {
  const loop = `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`;
  return Array.from({ length: count }, () => spawn(NODE, ['-e', loop], { stdio: 'ignore' }));
}

test('back-to-back reloads under CPU load are all delivered: each answer means the new config serves', { timeout: 180_000 }, async () => {
  const agent = await startAgentProcess();
  const members = await startMembers(['member']);
  const lbId = randomUUID();
  const port = await freePort();
  const base = testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId: randomUUID(), port, memberPorts: members.ports });
  const generation = (index: number) => base.replace('    default_backend', `    http-response set-header X-Generation ${index}\n    default_backend`);
  const hogs: ChildProcess[] = [];
  try {
    const upload = (index: number) => agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, generation(index));
    assert.equal((await upload(0)).status, 202);
    assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${lbId}/start`)).status, 202);
    assert.equal(await generationServed(port), '0');
    hogs.push(...cpuHogs(4, 150));
    const wrong: string[] = [];
    for (let index = 1; index <= 30; index += 1) {
      assert.equal((await upload(index)).status, 202);
      const reload = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`);
      const served = await generationServed(port);
      if (reload.status !== 202 || served !== String(index)) wrong.push(`reload ${index}: ${reload.status} ${reload.text} serving ${served}`);
    }
    // Bare reloads back to back: the next signal follows the previous answer at once.
    for (let index = 1; index <= 40; index += 1) {
      const reload = await agent.request('PUT', `/1.0/loadbalancer/${lbId}/reload`);
      if (reload.status !== 202) wrong.push(`bare reload ${index}: ${reload.status} ${reload.text}`);
    }
    assert.equal(await generationServed(port), '30');
    assert.deepEqual(wrong, []);
  } finally {
    for (const hog of hogs) hog.kill('SIGKILL');
    await retireAgent(agent, [lbId], members);
  }
});
