/** The API's routing over a real HTTP server: matching as Flask's, HEAD, OPTIONS, 404/405, bad escapes, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import { createApp } from '../../../agent/api/app.ts';
import { sendJson } from '../../../agent/api/respond.ts';
import { Router } from '../../../agent/api/router.ts';
import { appError } from '../../../agent/domain/refusal.ts';
import { silentLogger } from '../../../agent/util/logger.ts';

async function withApp(body: (call: (method: string, path: string) => Promise<{ status: number; headers: Record<string, unknown>; text: string }>) => Promise<void>) {
  const router = new Router();
  router.get('/1.0/things/:thing_id', (request, response) => sendJson(response, 200, { id: request.params.thing_id }));
  router.put('/1.0/things/:thing_id', () => {
    throw appError(409, 'Taken', 'the thing is taken');
  });
  router.get('/1.0/boom', () => {
    throw new Error('unexpected');
  });
  const server = createServer(createApp(silentLogger, [router]));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const call = (method: string, path: string) =>
    new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method, path }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text }));
      });
      request.on('error', reject);
      request.end();
    });
  try {
    await body(call);
  } finally {
    server.close();
  }
}

test('parameters are matched per segment and percent-decoded; paths match exactly', async () => {
  await withApp(async (call) => {
    assert.deepEqual(JSON.parse((await call('GET', '/1.0/things/a%20b')).text), { id: 'a b' });
    for (const path of ['/1.0/things/a/', '/1.0/Things/a', '/1.0/things/a/b', '/1.0/things/']) assert.equal((await call('GET', path)).status, 404, path);
    const bad = await call('GET', '/1.0/things/%zz');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.text).http_code, 400);
  });
});

test('HEAD answers like GET without a body; OPTIONS lists the allowed methods; other methods are 405', async () => {
  await withApp(async (call) => {
    const head = await call('HEAD', '/1.0/things/x');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-type'], 'application/json');
    const options = await call('OPTIONS', '/1.0/things/x');
    assert.equal(options.status, 200);
    assert.equal(options.headers.allow, 'GET, HEAD, OPTIONS, PUT');
    const wrong = await call('DELETE', '/1.0/things/x');
    assert.equal(wrong.status, 405);
    assert.deepEqual(JSON.parse(wrong.text), { error: '405 Method Not Allowed: The method is not allowed for the requested URL.', http_code: 405 });
  });
});

test('refusals keep their status and shape; an unexpected error is the bare 500', async () => {
  await withApp(async (call) => {
    const refused = await call('PUT', '/1.0/things/x');
    assert.equal(refused.status, 409);
    assert.deepEqual(JSON.parse(refused.text), { message: 'Taken', details: 'the thing is taken' });
    const failed = await call('GET', '/1.0/boom');
    assert.equal(failed.status, 500);
    assert.equal(JSON.parse(failed.text).http_code, 500);
  });
});
