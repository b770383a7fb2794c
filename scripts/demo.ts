/**
 * `npm run demo`: the declarative load-balancer walkthrough on one machine, unattended.
 * Starts the agent in dev mode in a temporary state folder, two small web servers, builds a
 * load balancer with amphoractl, shows round robin, a health monitor taking a stopped member
 * out (in traffic, in amphoractl and in a decoded heartbeat) and putting it back, then removes
 * everything it started. Exits non-zero when anything it expects does not happen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DEV_HEARTBEAT_PORT, DEV_PORT, prepareDevMode } from '../agent/dev-mode.ts';

const ROOT = resolve(import.meta.dirname, '..');
const AGENT = join(ROOT, 'dist', 'agent', 'main.js');
const AMPHORACTL = join(ROOT, 'dist', 'agent', 'cli', 'amphoractl.js');
const NODE = process.execPath;
const HEARTBEAT_INTERVAL_S = 2;
const MONITOR = { delay: 5, maxRetries: 2, timeout: 10 };
/** haproxy marks a server DOWN after max_retries_down (Octavia's default: 3) failed checks. */
const MAX_RETRIES_DOWN = 3;

class ExpectationFailed extends Error {}

const say = (text: string) => process.stdout.write(`${text}\n`);
const step = (title: string) => say(`\n=== ${title}`);
const saw = (text: string) => say(`--> ${text}`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function expect(condition: boolean, what: string): void {
  if (!condition) throw new ExpectationFailed(what);
  say(`[ok] ${what}`);
}

async function portIsFree(port: number, kind: 'tcp' | 'udp'): Promise<boolean> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    return new Promise((done) => {
      socket.once('error', () => done(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => done(true)));
    });
  }
  const server = createNetServer();
  return new Promise((done) => {
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
    const { port } = socket.address();
    await new Promise<void>((done) => socket.close(done));
    return port;
  }
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** A tiny web server answering `you hit: <name>`. */
async function startWebServer(name: string, port: number): Promise<Server> {
  const server = createServer((_request, response) => response.end(`you hit: ${name}\n`));
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return server;
}

async function stopWebServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

async function curl(port: number): Promise<string> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    return (await response.text()).trim();
  } catch (error) {
    return `(failed: ${(error as Error).message})`;
  }
}

/** The installed executables run as such (their shebang carries the runtime flags), with this Node on PATH. */
const ENV = { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` };

async function run(command: string, args: string[], options: { echo?: boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('close', done));
  if (options.echo !== false) process.stdout.write(stdout + stderr);
  return { code, stdout, stderr };
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'amphora-demo-'));
  const webServers = new Map<string, Server>();
  let agent: ChildProcess | undefined;
  let listenerPort = 0;
  let lbCreated = false;

  /** amphoractl as a user types it (the dev state folder gives URL and certificates). */
  const amphoractl = async (...args: string[]) => {
    say(`$ amphoractl ${args.join(' ')}`);
    const result = await run(AMPHORACTL, ['--state-dir', stateDir, ...args]);
    if (result.code !== 0) throw new ExpectationFailed(`amphoractl ${args.join(' ')} exited with ${result.code}`);
    return result.stdout;
  };
  const quietly = async (...args: string[]) => {
    const result = await run(AMPHORACTL, ['--state-dir', stateDir, ...args], { echo: false });
    if (result.code !== 0) throw new ExpectationFailed(`amphoractl ${args.join(' ')} failed: ${result.stderr.trim()}`);
    return result.stdout;
  };
  const requests = async (count: number) => {
    const answers: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const answer = await curl(listenerPort);
      say(`$ curl http://127.0.0.1:${listenerPort}/\n${answer}`);
      answers.push(answer);
    }
    return answers;
  };
  const memberStatus = async (name: string) => {
    const rows = JSON.parse(await quietly('member', 'list', 'pool1', '-f', 'json')) as { name: string; operating_status: string }[];
    return rows.find((row) => row.name === name)?.operating_status;
  };
  const waitForStatus = async (name: string, wanted: string, boundMs: number) => {
    const started = Date.now();
    while (Date.now() - started < boundMs) {
      if ((await memberStatus(name)) === wanted) return Date.now() - started;
      await sleep(500);
    }
    return undefined;
  };

  try {
    step('Start the agent in dev mode');
    const setup = await prepareDevMode(stateDir);
    const apiPort = (await portIsFree(DEV_PORT, 'tcp')) ? DEV_PORT : await freePort('tcp');
    const heartbeatPort = (await portIsFree(DEV_HEARTBEAT_PORT, 'udp')) ? DEV_HEARTBEAT_PORT : await freePort('udp');
    const config = (await readFile(setup.configFile, 'utf8'))
      .replace(/^bind_port = .*$/m, `bind_port = ${apiPort}`)
      .replace(/^controller_ip_port_list = .*$/m, `controller_ip_port_list = 127.0.0.1:${heartbeatPort}`)
      .replace(/^heartbeat_interval = .*$/m, `heartbeat_interval = ${HEARTBEAT_INTERVAL_S}`);
    await writeFile(setup.configFile, config, { mode: 0o600 });
    const heartbeatKey = /^heartbeat_key = (.*)$/m.exec(config)?.[1] ?? '';
    say(`$ amphora-agent --state-dir ${stateDir}    # API on 127.0.0.1:${apiPort}, heartbeats to 127.0.0.1:${heartbeatPort}`);
    agent = spawn(AGENT, ['--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    let agentOutput = '';
    agent.stdout!.on('data', (chunk: Buffer) => (agentOutput += chunk.toString()));
    agent.stderr!.on('data', (chunk: Buffer) => (agentOutput += chunk.toString()));
    const deadline = Date.now() + 20_000;
    while (!/amphora agent listening/.test(agentOutput)) {
      if (agent.exitCode !== null || Date.now() > deadline) throw new ExpectationFailed(`the agent did not start:\n${agentOutput}`);
      await sleep(100);
    }
    saw(`agent listening on https://127.0.0.1:${apiPort} (mutual TLS, dev PKI in ${join(stateDir, 'pki')})`);

    step('Start two web servers');
    const ports = { webserver1: await freePort('tcp'), webserver2: await freePort('tcp') };
    for (const [name, port] of Object.entries(ports)) {
      webServers.set(name, await startWebServer(name, port));
      saw(`${name} on 127.0.0.1:${port} answers "you hit: ${name}"`);
    }

    step('Create the load balancer, an HTTP listener, a ROUND_ROBIN pool and both members');
    listenerPort = await freePort('tcp');
    lbCreated = true;
    await amphoractl('loadbalancer', 'create', '--name', 'lb1', '--vip-address', '127.0.0.1');
    await amphoractl('listener', 'create', '--name', 'listener1', '--protocol', 'HTTP', '--protocol-port', String(listenerPort), 'lb1');
    await amphoractl('pool', 'create', '--name', 'pool1', '--lb-algorithm', 'ROUND_ROBIN', '--listener', 'listener1', '--protocol', 'HTTP');
    await amphoractl('member', 'create', '--address', '127.0.0.1', '--protocol-port', String(ports.webserver1), '--name', 'webserver1', 'pool1');
    await amphoractl('member', 'create', '--address', '127.0.0.1', '--protocol-port', String(ports.webserver2), '--name', 'webserver2', 'pool1');
    await amphoractl('member', 'list', 'pool1');

    step('Requests alternate between the two members');
    const first = await requests(4);
    const alternates = first.every((answer, i) => answer === (i % 2 === 0 ? first[0] : first[1])) && new Set(first).size === 2;
    saw(`answers: ${first.join(' | ')}`);
    expect(alternates && first.every((a) => /^you hit: webserver[12]$/.test(a)), 'requests alternate between webserver1 and webserver2');

    step(`Add an HTTP health monitor (delay ${MONITOR.delay}, max retries ${MONITOR.maxRetries}, timeout ${MONITOR.timeout}, url /)`);
    await amphoractl(
      'healthmonitor', 'create', '--delay', String(MONITOR.delay), '--max-retries', String(MONITOR.maxRetries),
      '--timeout', String(MONITOR.timeout), '--type', 'HTTP', '--url-path', '/', '--name', 'hm1', 'pool1',
    );
    const online = await waitForStatus('webserver2', 'ONLINE', MONITOR.delay * (MONITOR.maxRetries + 2) * 1000);
    expect(online !== undefined, 'both members are checked and ONLINE');

    step('Stop webserver2');
    await stopWebServer(webServers.get('webserver2')!);
    webServers.delete('webserver2');
    saw('webserver2 stopped');
    const stoppedAt = Date.now();
    const during = await requests(4);
    saw(`answers right after the stop: ${during.join(' | ')}`);
    expect(during.every((answer) => answer === 'you hit: webserver1'), 'traffic moves to webserver1 alone (failover)');
    const boundMs = (MONITOR.delay * MAX_RETRIES_DOWN + MONITOR.delay + 5) * 1000;
    const down = await waitForStatus('webserver2', 'ERROR', boundMs);
    const elapsed = Math.round((Date.now() - stoppedAt) / 1000);
    expect(down !== undefined, `the health monitor marks webserver2 down (ERROR) after ${elapsed} s (delay ${MONITOR.delay} s × ${MAX_RETRIES_DOWN} failed checks)`);
    await amphoractl('member', 'list', 'pool1');
    const after = await requests(4);
    expect(after.every((answer) => answer === 'you hit: webserver1'), 'every request is answered by webserver1');

    step('A heartbeat from the agent reports webserver2 DOWN');
    const members = JSON.parse(await quietly('member', 'list', 'pool1', '-f', 'json')) as { id: string; name: string }[];
    const webserver2Id = members.find((member) => member.name === 'webserver2')!.id;
    const listenArgs = ['heartbeat-listen', '--bind', '127.0.0.1', '--port', String(heartbeatPort), '--key-file', join(stateDir, 'heartbeat.key'), '--count', '1', '--timeout', String(HEARTBEAT_INTERVAL_S * 5)];
    await writeFile(join(stateDir, 'heartbeat.key'), heartbeatKey, { mode: 0o600 });
    say(`$ amphora-agent ${listenArgs.join(' ')}`);
    const heard = await run(AGENT, listenArgs, { echo: false });
    const line = heard.stdout.trim().split('\n')[0] ?? '';
    let memberState: string | undefined;
    try {
      const decoded = JSON.parse(line) as { message?: { pools?: Record<string, { status: string; members: Record<string, string> }> } };
      const pools = decoded.message?.pools ?? {};
      say(JSON.stringify({ from: (decoded as { from?: string }).from, pools }, null, 2));
      memberState = Object.values(pools).map((pool) => pool.members[webserver2Id]).find((state) => state !== undefined);
    } catch {
      say(line || heard.stderr.trim());
    }
    expect(memberState === 'DOWN', `the decoded heartbeat shows member ${webserver2Id} (webserver2) DOWN`);

    step('Bring webserver2 back');
    webServers.set('webserver2', await startWebServer('webserver2', ports.webserver2));
    saw(`webserver2 listening again on 127.0.0.1:${ports.webserver2}`);
    const rejoined = await waitForStatus('webserver2', 'ONLINE', (MONITOR.delay * (MONITOR.maxRetries + 1) + 5) * 1000);
    expect(rejoined !== undefined, `webserver2 rejoined the pool (ONLINE after ${Math.round((rejoined ?? 0) / 1000)} s, ${MONITOR.maxRetries} good checks)`);
    await amphoractl('member', 'list', 'pool1');
    const back = await requests(4);
    expect(new Set(back).size === 2, 'requests alternate between both members again');
    await amphoractl('loadbalancer', 'status', 'show', 'lb1');

    step('Add a PROMETHEUS listener and scrape it as a Prometheus server does');
    const metricsPort = await freePort('tcp');
    await amphoractl('listener', 'create', '--name', 'metrics1', '--protocol', 'PROMETHEUS', '--protocol-port', String(metricsPort), 'lb1');
    const metricsId = (await quietly('listener', 'show', 'metrics1', '-f', 'value', '-c', 'id')).trim();
    say(`$ curl http://127.0.0.1:${metricsPort}/metrics`);
    let scraped = '';
    for (let tries = 0; tries < 50 && !scraped.includes('octavia_member_status'); tries++) {
      scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) })
        .then((response) => response.text())
        .catch(() => '');
      if (!scraped.includes('octavia_member_status')) await sleep(200);
    }
    // haproxy 2.6 gives one status sample per state; the one set to 1 is shown.
    const shown = scraped.split('\n').filter((line) => /^(octavia_loadbalancer_(cpu|memory) |octavia_(listener|member)_status\{.* 1$|octavia_listener_bytes_in_total\{)/u.test(line));
    for (const line of shown) saw(line);
    expect(scraped.includes(`octavia_listener_status{listener="${metricsId}"`), 'the scrape through the PROMETHEUS listener returns Octavia-named metrics, the listener itself among them');
    await amphoractl('loadbalancer', 'stats', 'show', 'lb1');

    step('Clean up');
    await amphoractl('loadbalancer', 'delete', 'lb1', '--cascade');
    lbCreated = false;
    const remaining = JSON.parse(await quietly('loadbalancer', 'list', '-f', 'json')) as unknown[];
    expect(remaining.length === 0, 'the load balancer and its haproxy are gone');
  } finally {
    // haproxy outlives the agent by design: a half-done run deletes its LB through the API.
    if (lbCreated && agent?.exitCode === null) await run(AMPHORACTL, ['--state-dir', stateDir, 'loadbalancer', 'delete', 'lb1', '--cascade'], { echo: false });
    if (agent && agent.exitCode === null) {
      const exited = new Promise((done) => agent!.once('exit', done));
      agent.kill('SIGTERM');
      await Promise.race([exited, sleep(35_000)]);
    }
    for (const server of webServers.values()) await stopWebServer(server);
    await rm(stateDir, { recursive: true, force: true });
    say('agent stopped, web servers stopped, state folder removed');
  }
}

try {
  await main();
  say('\nDemo complete.');
} catch (error) {
  process.stderr.write(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
