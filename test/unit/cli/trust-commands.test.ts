import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInvocation } from '../../../agent/cli/commands.ts';
import { CliError } from '../../../agent/cli/errors.ts';

const cliError = (pattern: RegExp) => (error: unknown) => error instanceof CliError && pattern.test(error.message);

test('trust commands check their arguments before any connection', () => {
  assert.equal(typeof parseInvocation(['trust', 'show']).action, 'function');
  assert.equal(typeof parseInvocation(['trust', 'set-client-ca', 'bundle.pem', '--force']).action, 'function');
  assert.equal(typeof parseInvocation(['trust', 'set-server-cert', 'server.pem']).action, 'function');
  assert.throws(() => parseInvocation(['trust', 'set-client-ca']), cliError(/required: FILE/));
  assert.throws(() => parseInvocation(['trust', 'show', 'extra']), cliError(/unrecognized arguments: extra/));
  assert.throws(() => parseInvocation(['trust', 'set-server-cert', 'server.pem', '--force']), cliError(/unrecognized arguments: --force/));
  assert.throws(() => parseInvocation(['trust', 'rotate']), cliError(/choose from show, set-client-ca, set-server-cert/));
});
