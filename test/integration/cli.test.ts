import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { httpsCall, spawnAgent, spawnAgentSync } from '../helpers/agent-harness.ts';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnAgentSync(args, { encoding: 'utf8', timeout: 20_000, env });

test('--help and --version answer and exit 0; unknown flags exit 2', () => {
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--config-file FILE/u);
  const version = run(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/u);
  const unknown = run(['--no-such-flag']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no-such-flag/u);
});

test('a bad option value stops start-up naming group, option and value', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'agent-cli-'));
  try {
    const file = join(directory, 'bad.conf');
    await writeFile(file, '[haproxy_amphora]\nbind_port = 9443 # inline comments are values\n');
    const result = run(['--config-file', file]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /invalid value for \[haproxy_amphora\] bind_port = "9443 # inline comments are values": must be an integer/u);
    const missing = run(['--config-file', join(directory, 'missing.conf')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read config file/u);
    await writeFile(file, '[amphora_agent]\nagent_tls_protocol = SSLv3\n');
    assert.match(run(['--config-file', file]).stderr, /SSLv3 is not supported/u);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('with no config file the agent starts in dev mode and prints a working curl command', async () => {
  const home = await mkdtemp(join(tmpdir(), 'agent-dev-'));
  const stateDir = join(home, 'state');
  const child = spawnAgent(['--state-dir', stateDir], { env: { HOME: home }, cwd: home });
  try {
    let output = '';
    const command = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${output}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /^\s+(curl .*)$/mu.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
    });
    const [, cert, ca, url] = /--cert (\S+) --cacert (\S+) (https:\S+)/u.exec(command) ?? [];
    assert.ok(cert && ca && url, command);
    const port = Number(new URL(url).port);
    const clientPem = await readFile(cert, 'utf8');
    const agent = new Agent({ cert: clientPem, key: clientPem, ca: await readFile(ca, 'utf8') });
    const answer = await httpsCall({ port, agent, method: 'GET', path: new URL(url).pathname, servername: 'localhost' });
    assert.equal(answer.status, 200);
    assert.equal((answer.json() as { api_version: string }).api_version, '1.0');
    const config = await readFile(join(stateDir, 'amphora-agent.conf'), 'utf8');
    assert.match(config, /process_manager = direct/u);
    assert.match(config, /network_namespace =\n/u);
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)));
    await rm(home, { recursive: true, force: true });
  }
});

test('SIGUSR1, SIGHUP and SIGUSR2 are ignored; SIGTERM stops the agent with exit 0', async () => {
  const { startAgentProcess } = await import('../helpers/agent-harness.ts');
  const agent = await startAgentProcess();
  try {
    for (const signal of ['SIGUSR1', 'SIGHUP', 'SIGUSR2'] as const) {
      agent.process.kill(signal);
      await new Promise((done) => setTimeout(done, 200));
      assert.equal((await agent.request('GET', '/')).status, 200, `alive after ${signal}`);
    }
    assert.doesNotMatch(agent.output(), /Debugger listening/u);
    const exited = new Promise<number | null>((done) => agent.process.once('exit', (code) => done(code)));
    agent.process.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    await agent.destroy();
  }
});
