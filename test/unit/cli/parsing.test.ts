import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OptionReader, parseArgs } from '../../../agent/cli/args.ts';
import { parseInvocation } from '../../../agent/cli/commands.ts';
import { resolveConnection } from '../../../agent/cli/connection.ts';
import { errorLine } from '../../../agent/cli/client.ts';
import { CliError } from '../../../agent/cli/errors.ts';
import { pick } from '../../../agent/cli/fleet.ts';

const cliError = (pattern: RegExp) => (error: unknown) => error instanceof CliError && pattern.test(error.message);

test('options take values in both spellings, repeat, and short forms map to long ones', () => {
  const parsed = parseArgs(['member', 'create', '--address=10.0.0.1', '--protocol-port', '80', '-c', 'id', '-c', 'name', '-f', 'json', 'pool1', '--enable-backup'], ['enable-backup'], ['address', 'protocol-port', 'column', 'format']);
  assert.deepEqual(parsed.words, ['member', 'create', 'pool1']);
  assert.deepEqual(parsed.options.get('address'), ['10.0.0.1']);
  assert.deepEqual(parsed.options.get('protocol-port'), ['80']);
  assert.deepEqual(parsed.options.get('column'), ['id', 'name']);
  assert.deepEqual(parsed.options.get('format'), ['json']);
  assert.deepEqual(parsed.options.get('enable-backup'), ['true']);
});

test('unknown options and missing values are one-line errors', () => {
  assert.throws(() => parseArgs(['--nope', 'x'], [], ['name']), cliError(/^Unknown option '--nope'$/));
  assert.throws(() => parseArgs(['--name'], [], ['name']), cliError(/--name/));
});

test('typed reads: integers are checked, the last value wins, unused options are refused', () => {
  const reader = new OptionReader(new Map([['weight', ['x']], ['name', ['a', 'b']], ['extra', ['1']]]));
  assert.throws(() => reader.integer('weight'), cliError(/argument --weight: invalid int value: 'x'/));
  assert.equal(reader.string('name'), 'b');
  assert.throws(() => reader.rejectUnknown(), cliError(/unrecognized arguments: --extra/));
});

test('commands check their arguments before any connection', () => {
  assert.throws(() => parseInvocation(['listener', 'create', '--name', 'l', '--protocol', 'HTTP', 'lb1']), cliError(/required: --protocol-port/));
  assert.throws(() => parseInvocation(['listener', 'create', '--protocol', 'HTTP', '--protocol-port', '80']), cliError(/required: LB/));
  assert.throws(() => parseInvocation(['member', 'show', 'pool1']), cliError(/required: MEMBER/));
  assert.throws(() => parseInvocation(['member', 'set', 'p', 'm', '--protocol-port', '81']), cliError(/unrecognized arguments: --protocol-port/));
  assert.throws(() => parseInvocation(['pool', 'create', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN']), cliError(/--listener or --loadbalancer/));
  assert.throws(() => parseInvocation(['flavor', 'list']), cliError(/unknown resource 'flavor'/));
  assert.throws(() => parseInvocation(['pool', 'frobnicate']), cliError(/unknown command 'pool frobnicate'/));
  assert.throws(() => parseInvocation(['pool', 'list', '-f', 'yaml']), cliError(/invalid choice: 'yaml'/));
  assert.throws(() => parseInvocation(['member', 'set', 'p', 'm', '--enable', '--disable']), cliError(/exclude each other/));
  const status = parseInvocation(['loadbalancer', 'status', 'show', 'lb1']);
  assert.equal(typeof status.action, 'function');
  const listing = parseInvocation(['member', 'list', 'pool1', '-f', 'value', '-c', 'address']);
  assert.deepEqual(listing.output, { format: 'value', columns: ['address'] });
  assert.equal(parseInvocation(['--help']).action, 'help');
});

test('objects are found by id first, then by a unique name', () => {
  const candidates = [
    { item: 1, id: 'a1', name: 'web' },
    { item: 2, id: 'b2', name: 'web' },
    { item: 3, id: 'c3', name: 'a1x' },
  ];
  assert.equal(pick('pool', 'b2', candidates), 2);
  assert.equal(pick('pool', 'a1x', candidates), 3);
  assert.throws(() => pick('pool', 'web', candidates), cliError(/More than one pool exists with the name 'web'/));
  assert.throws(() => pick('pool', 'nope', candidates), cliError(/Unable to locate nope in pools/));
});

test('agent errors become one line with the field path and reason', () => {
  const body = JSON.stringify({ message: 'Invalid model', details: 'loadbalancer.listeners[0].protocol_port: must be between 1 and 65535' });
  assert.equal(errorLine(400, body), 'Invalid model: loadbalancer.listeners[0].protocol_port: must be between 1 and 65535 (HTTP 400)');
  assert.equal(errorLine(500, JSON.stringify({ message: 'Error starting haproxy', details: 'line one\nline two' })), 'Error starting haproxy: line one; line two (HTTP 500)');
  assert.equal(errorLine(404, JSON.stringify({ error: 'Not Found', http_code: 404 })), 'Not Found (HTTP 404)');
});

test('the connection comes from options, then the environment, then the dev state folder', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'amphoractl-conn-'));
  try {
    const none = new OptionReader(new Map());
    assert.throws(() => resolveConnection(none, {}, directory), cliError(/no agent given/));
    await mkdir(join(directory, '.state', 'pki'), { recursive: true });
    await writeFile(join(directory, '.state', 'pki', 'client.pem'), '');
    await writeFile(join(directory, '.state', 'pki', 'ca.pem'), '');
    await writeFile(join(directory, '.state', 'amphora-agent.conf'), '[haproxy_amphora]\nbind_host = 127.0.0.1\nbind_port = 19999\n');
    const dev = resolveConnection(new OptionReader(new Map()), {}, directory);
    assert.equal(dev.url.href, 'https://127.0.0.1:19999/');
    assert.equal(dev.cert, join(directory, '.state', 'pki', 'client.pem'));
    const env = resolveConnection(new OptionReader(new Map()), { AMPHORACTL_URL: 'https://[::1]:9443', AMPHORACTL_CACERT: '/ca.pem' }, directory);
    assert.equal(env.url.host, '[::1]:9443');
    assert.equal(env.cacert, '/ca.pem');
    const flags = resolveConnection(new OptionReader(new Map([['url', ['https://10.0.0.5:9443']], ['cert', ['/c.pem']]])), { AMPHORACTL_URL: 'https://x' }, directory);
    assert.equal(flags.url.hostname, '10.0.0.5');
    assert.equal(flags.cert, '/c.pem');
    assert.throws(() => resolveConnection(new OptionReader(new Map([['url', ['http://x']]])), {}, directory), cliError(/must be https/));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
