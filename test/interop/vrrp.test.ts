/**
 * Octavia's own control-plane client (rest_api_driver, /usr/bin/python3) drives the VRRP routes
 * of this agent: upload_vrrp_config, start_vrrp (a running keepalived is reloaded), stop_vrrp,
 * and the driver's exception for a refused configuration and an unknown action. keepalived is
 * real, run by the direct process manager in a namespace of this test with the VRRP interface.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOctaviaClient, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { runCommand } from '../../agent/util/run-command.ts';
import { vrrpConfig } from '../helpers/vrrp-fixtures.ts';

const namespace = `t-vrrpi-${randomBytes(3).toString('hex')}`;
let agent: AgentHandle;

before(async () => {
  for (const args of [
    ['netns', 'add', namespace],
    ['-n', namespace, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth9'],
    ['-n', namespace, 'link', 'set', 'eth1', 'up'],
    ['-n', namespace, 'addr', 'add', '192.0.2.4/24', 'dev', 'eth1'],
  ]) {
    const result = await runCommand('ip', args);
    assert.equal(result.exitCode, 0, result.output);
  }
  agent = await startAgentProcess({
    extraConfig: {
      amphora_agent: [`network_namespace = ${namespace}`],
      controller_worker: ['loadbalancer_topology = ACTIVE_STANDBY'],
    },
  });
});

after(async () => {
  await agent?.request('PUT', '/1.0/vrrp/stop').catch(() => undefined);
  await agent?.destroy();
  await runCommand('ip', ['netns', 'del', namespace]);
});

const pidOf = async () => Number.parseInt(await readFile(join(agent.basePath, 'vrrp', 'octavia-keepalived.pid'), 'utf8').catch(() => ''), 10);

test("Octavia's client: upload, start, start again (reload), refused config and unknown action, stop", { timeout: 90_000 }, async () => {
  const config = vrrpConfig(agent.basePath);
  const results = await runOctaviaClient(agent, [
    { op: 'client', method: 'upload_vrrp_config', args: [config] },
    { op: 'client', method: 'start_vrrp' },
  ]);
  for (const [index, result] of results.entries()) assert.equal(result.ok, true, `call ${index}: ${result.error}: ${result.message}`);
  assert.equal((results[0]!.value as { status: number }).status, 200);
  assert.deepEqual((results[1]!.value as { json: unknown }).json, { message: 'OK', details: 'keepalived started' });
  assert.equal(await readFile(join(agent.basePath, 'vrrp', 'octavia-keepalived.conf'), 'utf8'), config);
  const pid = await pidOf();
  assert.ok(pid > 0);

  const [again, refused, unknown] = await runOctaviaClient(agent, [
    { op: 'client', method: 'start_vrrp' },
    { op: 'client', method: 'upload_vrrp_config', args: [vrrpConfig(agent.basePath, '    bogus_keyword 3')] },
    // The driver has no call for another action: its own request path, without the status check.
    { op: 'client', method: 'put', args: ['vrrp/restart'] },
  ]);
  assert.deepEqual((again!.value as { json: unknown }).json, { message: 'OK', details: 'keepalived reloaded' });
  assert.equal(await pidOf(), pid);
  // The driver maps a 400 to InvalidRequest, which the controller does not retry.
  assert.equal(refused!.ok, false);
  assert.equal(refused!.error, 'InvalidRequest');
  assert.equal(await readFile(join(agent.basePath, 'vrrp', 'octavia-keepalived.conf'), 'utf8'), config);
  assert.equal((unknown!.value as { status: number }).status, 400);
  assert.deepEqual((unknown!.value as { json: unknown }).json, { message: 'Invalid Request', details: 'Unknown action: restart' });

  const [stopped] = await runOctaviaClient(agent, [{ op: 'client', method: 'stop_vrrp' }]);
  assert.deepEqual((stopped!.value as { json: unknown }).json, { message: 'OK', details: 'keepalived stoped' });
  assert.ok(Number.isNaN(await pidOf()));
});
