/**
 * The control plane's UDP listener lifecycle, driven by Octavia's own rest_api_driver with its
 * own LVS Jinja renderer (python3-octavia), against the real agent and the real keepalived.
 * The kernel has no IPVS (test/helpers/lvs-fixtures.ts): a listener with a pool is uploaded and
 * checked, and a disabled listener (no virtual_server) is the one keepalived runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive, readPidFile } from '../../agent/util/process-state.ts';
import { runCommand } from '../../agent/util/run-command.ts';
import { runOctaviaClient, startAgentProcess, type AgentHandle } from '../helpers/agent-harness.ts';
import { waitFor } from '../helpers/haproxy-fixtures.ts';
import { KERNEL_HAS_IPVS, killKeepalivedUnder } from '../helpers/lvs-fixtures.ts';

const namespace = `lvs-${randomBytes(4).toString('hex')}`;
let agent: AgentHandle;

before(async () => {
  assert.equal((await runCommand('ip', ['netns', 'add', namespace])).exitCode, 0);
  agent = await startAgentProcess({ extraConfig: { amphora_agent: [`network_namespace = ${namespace}`] } });
});

after(async () => {
  await agent?.stop();
  if (agent) await killKeepalivedUnder(agent.directory);
  await agent?.destroy();
  await runCommand('ip', ['netns', 'del', namespace]);
});

function expectOk(results: { ok: boolean; error?: string; message?: string }[]): void {
  for (const [index, result] of results.entries()) assert.equal(result.ok, true, `call ${index}: ${result.error}: ${result.message}`);
}

const lvsDir = () => join(agent.basePath, 'lvs');
const configPath = (id: string) => join(lvsDir(), `octavia-keepalivedlvs-${id}.conf`);
const pidPath = (id: string) => join(lvsDir(), `octavia-keepalivedlvs-${id}.pid`);

test('Octavia uploads a UDP listener with a UDP-CONNECT monitor: stored as sent, ETag, check script, GET', { timeout: 60_000 }, async () => {
  const listener = {
    lb_id: randomUUID(),
    listener_id: randomUUID(),
    pool_id: randomUUID(),
    monitor_id: randomUUID(),
    port: 5353,
    member_ports: [5354, 5355],
    namespace,
  };
  const results = await runOctaviaClient(agent, [
    { op: 'render_lvs', ...listener },
    { op: 'upload_udp_config', ...listener },
  ]);
  expectOk(results);
  const rendered = results[0]!.value as string;
  assert.match(rendered, /MISC_CHECK/u);
  assert.match(rendered, new RegExp(`${lvsDir()}/check/udp_check.sh 127.0.0.1 5354`, 'u'));
  const upload = results[1]!.value as { status: number; headers: Record<string, string>; json: unknown };
  assert.equal(upload.status, 200);
  assert.deepEqual(upload.json, { message: 'OK' });
  assert.equal(upload.headers.ETag ?? upload.headers.etag, createHash('md5').update(rendered).digest('hex'));
  assert.equal(await readFile(configPath(listener.listener_id), 'utf8'), rendered);
  assert.equal((await stat(join(lvsDir(), 'check', 'udp_check.sh'))).mode & 0o7777, 0o100);

  const got = await agent.request('GET', `/1.0/listeners/${listener.listener_id}/udp_listener`);
  assert.equal(got.status, 200);
  assert.equal(got.text, rendered);
  assert.match(String(got.headers['content-type']), /^text\/plain/u);

  // The controller's reload is a restart; keepalived cannot program virtual servers here.
  if (!KERNEL_HAS_IPVS) {
    const reload = await runOctaviaClient(agent, [{ op: 'client', method: 'reload_listener', args: [listener.listener_id] }]);
    assert.equal(reload[0]!.ok, false);
  }
  expectOk(await runOctaviaClient(agent, [{ op: 'delete_lvs_listener', ...listener }]));
  assert.deepEqual((await readdir(lvsDir())).filter((name) => name.includes(listener.listener_id)), []);
});

test('update_amphora_listeners (upload + reload), start, listing and delete of a disabled UDP listener', { timeout: 60_000 }, async () => {
  const listener = { lb_id: randomUUID(), listener_id: randomUUID(), port: 5360, enabled: false, namespace };
  const results = await runOctaviaClient(agent, [
    { op: 'render_lvs', ...listener },
    { op: 'update_lvs_listeners', ...listener },
    { op: 'client', method: 'get_all_listeners' },
  ]);
  expectOk(results);
  assert.equal(await readFile(configPath(listener.listener_id), 'utf8'), results[0]!.value);
  const pid = await waitFor(async () => {
    const value = await readPidFile(pidPath(listener.listener_id));
    return value !== undefined && (await isProcessAlive(value)) ? value : undefined;
  }, 5000, 'keepalived started by the reload');
  assert.equal((await stat(`/proc/${pid}/ns/net`)).ino, (await stat(`/run/netns/${namespace}`)).ino);
  assert.deepEqual(results[2]!.value, [{ status: 'OFFLINE', uuid: listener.listener_id, type: 'UDP' }]);

  // driver.start on the LB: one start per UDP listener, nothing for haproxy.
  expectOk(await runOctaviaClient(agent, [{ op: 'lvs_lb_action', action: 'start', ...listener }]));
  assert.equal(await readPidFile(pidPath(listener.listener_id)), pid, 'start of a running keepalived keeps it');
  expectOk(await runOctaviaClient(agent, [{ op: 'lvs_lb_action', action: 'reload', ...listener }]));
  const restarted = await waitFor(async () => {
    const value = await readPidFile(pidPath(listener.listener_id));
    return value !== undefined && value !== pid && (await isProcessAlive(value)) ? value : undefined;
  }, 5000, 'keepalived restarted by the reload');

  const details = await agent.request('GET', '/1.0/details');
  const body = JSON.parse(details.text) as { lvs_listener_process_count: number; listeners: string[] };
  assert.equal(body.lvs_listener_process_count, 1);
  assert.deepEqual(body.listeners, [listener.listener_id]);

  expectOk(await runOctaviaClient(agent, [{ op: 'delete_lvs_listener', ...listener }, { op: 'client', method: 'get_all_listeners' }]).then((r) => {
    assert.deepEqual(r[1]!.value, []);
    return r;
  }));
  assert.equal(await isProcessAlive(restarted), false);
  assert.deepEqual((await readdir(lvsDir())).filter((name) => name.includes(listener.listener_id)), []);
  // Deleting again is what the controller does on retries: still fine.
  expectOk(await runOctaviaClient(agent, [{ op: 'delete_lvs_listener', ...listener }]));
});

test('a config keepalived refuses is a 400 over HTTP and the controller sees the failure', { timeout: 60_000 }, async () => {
  const id = randomUUID();
  const refused = await agent.request('PUT', `/1.0/listeners/${agent.amphoraId}/${id}/udp_listener`, 'virtual_server group g {\n    nonsense 1\n');
  assert.equal(refused.status, 400);
  const body = JSON.parse(refused.text) as { message: string; details: string };
  assert.equal(body.message, 'Invalid request');
  assert.match(body.details, /Unknown keyword 'nonsense'/u);
  assert.equal((await readdir(lvsDir())).some((name) => name.includes(id)), false);
  const bad = await agent.request('PUT', `/1.0/listeners/${agent.amphoraId}/..%2Fescape/udp_listener`, 'x');
  assert.equal(bad.status, 400);
});
