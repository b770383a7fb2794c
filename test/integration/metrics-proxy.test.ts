/**
 * The metrics endpoint with a real haproxy, inside a network namespace made for the test
 * (unique name, removed afterwards): PROMETHEUS listeners rendered by this agent and by
 * Octavia's own renderer (python3-octavia, through test/interop/octavia_render.py) forward a
 * scrape to the proxy, which reads haproxy's exporter in the same namespace. The broken-upstream
 * cases put a small HTTP server of the test on haproxy's exporter port instead of haproxy.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { baseRenderContext, featuresForVersion, type RenderContext } from '../../agent/render/context.ts';
import { renderHaproxy } from '../../agent/render/haproxy.ts';
import type { LoadBalancerModel } from '../../agent/model/types.ts';
import { validateModel } from '../../agent/model/validation.ts';
import { isValidExpositionLine, translateExposition } from '../../agent/metrics/haproxy-translation.ts';
import { MetricsProxy } from '../../agent/metrics/proxy-server.ts';
import { fetchExporter, OCTAVIA_EXPORTER } from '../../agent/metrics/upstream.ts';
import { openTcpSocketIn } from '../../agent/network/raw-sockets.ts';
import { silentLogger } from '../../agent/util/logger.ts';
import { tempDir } from '../helpers/render-checks.ts';
import { fixtureB, listener, member, type Json } from '../helpers/model-fixtures.ts';
import { createTestNamespace } from '../helpers/metrics-fixtures.ts';
import { REPO_ROOT } from '../helpers/agent-harness.ts';

const work = tempDir('metrics-proxy-');
after(() => work.remove());

const PROMETHEUS_LISTENER = '5d3a1c2b-0000-4000-8000-0000000000aa';
const VIP = '10.0.0.2';
const PROMETHEUS_PORT = 9100;

function prometheusModel(): LoadBalancerModel {
  const model: Json = fixtureB();
  const lb = model.loadbalancer;
  lb.listeners[0].connection_limit = 1000;
  lb.pools[0].healthmonitor = null;
  lb.pools[0].members = [member('6f1e0000-0000-4000-8000-000000000001', '10.0.0.99'), member('6f1e0000-0000-4000-8000-000000000002', '10.0.0.98')];
  lb.listeners.push(
    listener(PROMETHEUS_LISTENER, { name: 'metrics', protocol: 'PROMETHEUS', protocol_port: PROMETHEUS_PORT, connection_limit: 1000, default_pool_id: null }),
  );
  const result = validateModel(model);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  return result.model;
}

function contextFor(name: string): RenderContext {
  const base = join(work.path, name);
  mkdirSync(join(base, 'certs'), { recursive: true });
  return baseRenderContext({ basePath: base, baseCertDir: join(base, 'certs'), thisAmphoraId: 'sample_amphora_id_1', features: featuresForVersion(2, 6), maxOpenFiles: 20_000 });
}

function octaviaRendering(model: LoadBalancerModel, ctx: RenderContext): string {
  const driver = join(REPO_ROOT, 'test', 'interop', 'octavia_render.py');
  const request = { kind: 'haproxy', model, ctx, features: ctx.features, files: { pools: {} } };
  return execFileSync('/usr/bin/python3', [driver], { input: JSON.stringify(request), timeout: 30_000 }).toString();
}

/** haproxy in `namespace` on `config`; returns a stop function. */
function runHaproxy(namespace: string, directory: string, config: string): () => void {
  const file = join(directory, 'haproxy.cfg');
  const pidFile = join(directory, 'haproxy.pid');
  writeFileSync(file, config);
  execFileSync('ip', ['netns', 'exec', namespace, 'haproxy', '-f', file, '-p', pidFile], { stdio: 'pipe' });
  return () => {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0) spawnSync('kill', ['-9', String(pid)]);
  };
}

function startProxy(namespace: string, timeoutMs = OCTAVIA_EXPORTER.timeoutMs): MetricsProxy {
  const proxy = new MetricsProxy({
    namespace,
    listen: { address: '127.0.0.1', port: 9102 },
    sources: { exporter: { ...OCTAVIA_EXPORTER, namespace, timeoutMs } },
    logger: silentLogger,
    retryMs: 100,
  });
  proxy.start();
  return proxy;
}

/** A GET (or HEAD) made from inside `namespace`. */
async function get(namespace: string, host: string, port: number, method = 'GET'): Promise<{ status: number; headers: Record<string, string>; body: string; ms: number }> {
  const { request } = await import('node:http');
  const { Socket } = await import('node:net');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host,
      port,
      path: '/metrics',
      method,
      createConnection: () => new Socket({ fd: openTcpSocketIn(namespace), readable: true, writable: true, manualStart: true } as never).connect(port, host),
    });
    outgoing.setTimeout(15_000, () => outgoing.destroy(new Error('client timeout')));
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers as Record<string, string>, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }),
      );
    });
    outgoing.end();
  });
}

/** A server of the test in `namespace` on 127.0.0.1:`port`. */
async function serveIn(namespace: string, port: number, handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler!);
  await new Promise<void>((resolve) => server.listen({ fd: openTcpSocketIn(namespace, { address: '127.0.0.1', port }) }, resolve));
  return server;
}

function assertPrometheusAccepts(body: string): void {
  assert.ok(body.endsWith('\n'));
  for (const line of body.slice(0, -1).split('\n')) assert.ok(isValidExpositionLine(`${line}\n`), `not valid exposition: ${line}`);
}

for (const renderer of ['agent', 'octavia'] as const) {
  test(`a PROMETHEUS listener rendered by ${renderer === 'agent' ? "the agent's renderer" : "Octavia's own renderer"}: scrape through it`, { timeout: 60_000 }, async () => {
    const namespace = createTestNamespace();
    let stopHaproxy = () => {};
    const proxy = startProxy(namespace.name);
    try {
      execFileSync('ip', ['-n', namespace.name, 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
      const model = prometheusModel();
      const ctx = contextFor(renderer);
      const config = renderer === 'agent' ? renderHaproxy(model, ctx).text : octaviaRendering(model, ctx);
      assert.match(config, /frontend prometheus-exporter-internal-endpoint\n {4}bind 127\.0\.0\.1:9101/);
      assert.match(config, /default_backend prometheus-exporter-internal/);
      stopHaproxy = runHaproxy(namespace.name, ctx.basePath, config);
      await proxy.ready();

      const answer = await get(namespace.name, VIP, PROMETHEUS_PORT);
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.headers['content-type'], 'text/plain; version=0.0.4');
      assert.equal(answer.headers['cache-control'], 'no-cache');
      assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body));
      assert.match(answer.body, /^# HELP octavia_loadbalancer_cpu Load balancer CPU utilization \(percentage\)\.\n# TYPE octavia_loadbalancer_cpu gauge\noctavia_loadbalancer_cpu \d+\.\d\n# HELP octavia_loadbalancer_memory /);
      assertPrometheusAccepts(answer.body);
      assert.ok(!answer.body.includes('prometheus-exporter'));
      assert.ok(!answer.body.includes('haproxy_'));
      assert.ok(answer.body.includes(`octavia_listener_status{listener="${PROMETHEUS_LISTENER}"`), 'the PROMETHEUS listener reports itself');
      const listenerId = model.loadbalancer.listeners[0]!.id;
      const poolLabel = `pool="${model.loadbalancer.pools[0]!.id}:${listenerId}"`;
      assert.ok(answer.body.includes(`octavia_member_status{${poolLabel},member="6f1e0000-0000-4000-8000-000000000001"`));
      assert.ok(answer.body.includes(`octavia_pool_active_members{${poolLabel}}`));

      // Line by line what the translation of haproxy's own answer gives (values aside).
      const direct = await fetchExporter({ ...OCTAVIA_EXPORTER, namespace: namespace.name });
      assert.ok(direct.ok);
      const shape = (text: string) => text.split('\n').map((line) => line.replace(/ [^ ]+$/u, ' V'));
      assert.deepEqual(shape(answer.body).slice(6), shape(translateExposition(direct.body).output.toString()));

      const head = await get(namespace.name, VIP, PROMETHEUS_PORT, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.ok(Number(head.headers['content-length']) > 1000);
    } finally {
      await proxy.close();
      stopHaproxy();
      namespace.remove();
    }
  });
}

test('no exporter (haproxy not running): a clear 503 at once', { timeout: 30_000 }, async () => {
  const namespace = createTestNamespace();
  const proxy = startProxy(namespace.name);
  try {
    await proxy.ready();
    const answer = await get(namespace.name, '127.0.0.1', 9102);
    assert.equal(answer.status, 503);
    assert.match(answer.body, /^haproxy metrics exporter not available/);
    assert.ok(answer.ms < 2000);
    const post = await get(namespace.name, '127.0.0.1', 9102, 'POST');
    assert.equal(post.status, 501);
  } finally {
    await proxy.close();
    namespace.remove();
  }
});

test('a silent exporter: 504 after the bound, never a hang', { timeout: 30_000 }, async () => {
  const namespace = createTestNamespace();
  const silent = await serveIn(namespace.name, 9101, () => {});
  const proxy = startProxy(namespace.name, 500);
  try {
    await proxy.ready();
    const answer = await get(namespace.name, '127.0.0.1', 9102);
    assert.equal(answer.status, 504);
    assert.ok(answer.ms >= 450 && answer.ms < 3000, `${answer.ms} ms`);
  } finally {
    await proxy.close();
    silent.closeAllConnections();
    silent.close();
    namespace.remove();
  }
});

test('garbage among the exporter lines: the rest is served, valid for Prometheus', { timeout: 30_000 }, async () => {
  const namespace = createTestNamespace();
  const upstream = [
    '# HELP haproxy_frontend_status Current status of the service.',
    '# TYPE haproxy_frontend_status gauge',
    'haproxy_frontend_status{proxy="l1"} 1',
    'haproxy_frontend_status{proxy="l2" 1',
    '\u0000\u00ff\u0001garbage haproxy_frontend_status junk',
    'haproxy_frontend_status{proxy="l3"} 1',
    'haproxy_frontend_status{proxy="l4"} yes',
    '# HELP haproxy_backend_status Current status of the service.',
    '# TYPE haproxy_backend_status gauge',
    'haproxy_backend_status{proxy="p:l1"} 1',
    'haproxy_backend_status{proxy="p:l1',
  ].join('\n');
  const fake = await serveIn(namespace.name, 9101, (_request, response) => response.end(upstream));
  const failing = await serveIn(namespace.name, 9103, (_request, response) => {
    response.writeHead(500);
    response.end('boom');
  });
  const proxy = startProxy(namespace.name);
  try {
    await proxy.ready();
    const answer = await get(namespace.name, '127.0.0.1', 9102);
    assert.equal(answer.status, 200);
    assertPrometheusAccepts(answer.body);
    const samples = answer.body.split('\n').filter((line) => line.startsWith('octavia_listener_status') || line.startsWith('octavia_pool_status'));
    assert.deepEqual(samples, ['octavia_listener_status{listener="l1"} 1', 'octavia_listener_status{listener="l3"} 1', 'octavia_pool_status{pool="p:l1"} 1']);
    // An exporter answering an error: 502.
    const viaFailing = new MetricsProxy({
      namespace: namespace.name,
      listen: { address: '127.0.0.1', port: 9104 },
      sources: { exporter: { ...OCTAVIA_EXPORTER, namespace: namespace.name, port: 9103 } },
      logger: silentLogger,
    });
    viaFailing.start();
    await viaFailing.ready();
    assert.equal((await get(namespace.name, '127.0.0.1', 9104)).status, 502);
    await viaFailing.close();
  } finally {
    await proxy.close();
    fake.close();
    failing.close();
    namespace.remove();
  }
});

test('prometheus-proxy executable: waits for the namespace, serves once it exists, exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
  const name = `mx-late-${process.pid.toString(16)}`;
  const configFile = join(work.path, 'proxy.conf');
  writeFileSync(configFile, `[amphora_agent]\nnetwork_namespace = ${name}\n[haproxy_amphora]\nbase_path = ${work.path}\n`);
  const child = spawn(join(REPO_ROOT, 'dist', 'agent', 'metrics', 'main.js'), ['--config-file', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await sleep(1500);
    assert.equal(child.exitCode, null, `exited early: ${output}`);
    assert.ok(!output.includes('Now serving'));
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    for (let tries = 0; tries < 50 && !output.includes('Now serving on port 9102'); tries++) await sleep(100);
    assert.ok(output.includes('Now serving on port 9102'), output);
    assert.equal((await get(name, '127.0.0.1', 9102)).status, 503);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', name]);
  }
});
