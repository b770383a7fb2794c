import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpError } from '../../../agent/api/errors.ts';
import { appError, frameworkError, Refusal } from '../../../agent/domain/refusal.ts';
import { AgentError } from '../../../agent/util/errors.ts';

test('an application refusal is {message, details?} with its status', () => {
  assert.deepEqual(httpError(appError(400, 'Invalid request', 'bad id')), { status: 400, body: { message: 'Invalid request', details: 'bad id' } });
  assert.deepEqual(httpError(appError(404, 'Loadbalancer Not Found')), { status: 404, body: { message: 'Loadbalancer Not Found' } });
  // The reference's bare-details 404 of the plug route.
  assert.deepEqual(httpError(appError(404, '', 'No suitable network interface found')), { status: 404, body: { details: 'No suitable network interface found' } });
});

test('a framework refusal is worded as Werkzeug words it', () => {
  assert.deepEqual(httpError(frameworkError(400, 'Invalid rules information')), {
    status: 400,
    body: { error: '400 Bad Request: Invalid rules information', http_code: 400 },
  });
  assert.deepEqual(httpError(frameworkError(405)), {
    status: 405,
    body: { error: '405 Method Not Allowed: The method is not allowed for the requested URL.', http_code: 405 },
  });
  assert.deepEqual(httpError(frameworkError(409, 'udp_check.sh not Found')), { status: 409, body: { error: '409 Conflict: udp_check.sh not Found', http_code: 409 } });
});

test('anything else is the bare 500, with the storage fault behind it when there is one', () => {
  const generic = '500 Internal Server Error: The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.';
  assert.deepEqual(httpError(new Error('boom')), { status: 500, body: { error: generic, http_code: 500 } });
  assert.deepEqual(httpError('not even an error'), { status: 500, body: { error: generic, http_code: 500 } });
  assert.deepEqual(httpError(null), { status: 500, body: { error: generic, http_code: 500 } });
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: '/var/lib/octavia/lb/haproxy.cfg' });
  assert.deepEqual(httpError(new AgentError('cannot write the config', { cause: full })), {
    status: 500,
    body: { error: generic, http_code: 500, details: 'no space left on device (ENOSPC): /var/lib/octavia/lb/haproxy.cfg' },
  });
});

test("the framework's own 400 and 413 become the reference's 400", () => {
  assert.equal(httpError(Object.assign(new Error('URIError'), { status: 400 })).status, 400);
  assert.deepEqual(httpError(Object.assign(new Error('too large'), { status: 413 })), {
    status: 400,
    body: { error: '400 Bad Request: The request body is too large.', http_code: 400 },
  });
});

test('refusals and every agent error keep their cause and their class name', () => {
  const cause = new Error('low level');
  const refusal = appError(500, 'Error stopping haproxy', 'failed', { cause });
  assert.ok(refusal instanceof Refusal && refusal instanceof AgentError);
  assert.equal(refusal.cause, cause);
  assert.equal(refusal.name, 'Refusal');
});
