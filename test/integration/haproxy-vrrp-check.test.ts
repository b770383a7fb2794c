/**
 * `haproxy-vrrp-check` as installed (the compiled bin), against real UNIX socket servers that
 * answer, answer nothing, stay silent or are absent, and against a real haproxy stats socket.
 * Exit codes are compared with Octavia's own command (/usr/bin/haproxy-vrrp-check).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/agent-harness.ts';
import { processesMentioning, waitFor } from '../helpers/haproxy-fixtures.ts';

const BIN = join(REPO_ROOT, 'dist', 'agent', 'cli', 'haproxy-vrrp-check.js');
const REFERENCE = '/usr/bin/haproxy-vrrp-check';
const directory = await mkdtemp(join(tmpdir(), 'vrrp-check-'));
const servers: Server[] = [];

after(async () => {
  for (const server of servers) server.close();
  for (const pid of await processesMentioning(directory)) process.kill(pid, 'SIGKILL');
  await rm(directory, { recursive: true, force: true });
});

/** A stats-socket stand-in: `answer` is written back after the command, then the socket closes. */
async function socketServer(name: string, answer: string | null): Promise<string> {
  const path = join(directory, name);
  // Half-open allowed: a silent server keeps the connection after the command, as a hung haproxy.
  const server = createServer({ allowHalfOpen: true }, (connection) => {
    connection.on('error', () => undefined);
    connection.once('data', () => {
      if (answer !== null) connection.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  servers.push(server);
  return path;
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('exit', (code) => resolve(code ?? -1));
  });
}

test('exit codes: none, answering, empty, summed, missing, silent; as the reference', async () => {
  const answering = await socketServer('ok.sock', '# pxname,svname,...\nfe,FRONTEND,...\n');
  const empty = await socketServer('empty.sock', '');
  const silent = await socketServer('silent.sock', null);
  const missing = join(directory, 'missing.sock');
  const cases: [string[], number][] = [
    [[], 0],
    [[answering], 0],
    [[empty], 1],
    [[answering, empty], 1],
    [[empty, empty], 2],
    [[missing], 1],
    [[empty, missing], 1],
  ];
  for (const [args, expected] of cases) {
    assert.equal(await run(BIN, args), expected, `ours: ${args.join(' ')}`);
    assert.equal(await run(REFERENCE, args), expected, `reference: ${args.join(' ')}`);
  }
  const started = Date.now();
  assert.equal(await run(BIN, [silent]), 1);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 4900 && elapsed < 15_000, `gave up after ${elapsed} ms, not 5 s`);
});

test('a real haproxy stats socket passes; once haproxy is gone it fails', async () => {
  const socket = join(directory, 'lb.sock');
  const config = join(directory, 'haproxy.cfg');
  await writeFile(config, ['global', `    stats socket ${socket} mode 0600 level user`, '    maxconn 100', '', 'defaults', '    timeout connect 1s', '    timeout client 1s', '    timeout server 1s', ''].join('\n'));
  const haproxy = spawn('haproxy', ['-db', '-f', config], { stdio: 'ignore' });
  try {
    await waitFor(async () => (await run(BIN, [socket])) === 0, 10_000, 'haproxy answering on its stats socket');
  } finally {
    haproxy.kill('SIGKILL');
  }
  await new Promise((resolve) => haproxy.once('exit', resolve));
  assert.equal(await run(BIN, [socket]), 1);
});
