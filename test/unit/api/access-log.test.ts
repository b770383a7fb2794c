/** The access log over a real HTTP server: one line per request, the request's id on every line it logs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import { createApp } from '../../../agent/api/app.ts';
import { sendJson } from '../../../agent/api/respond.ts';
import { Router } from '../../../agent/api/router.ts';
import { capturingLogger } from '../../helpers/capturing-logger.ts';

test('each request logs "request completed" with its id, method, url, status and time; 5xx at error level', async () => {
  const { logger, lines } = capturingLogger();
  const router = new Router();
  router.get('/1.0/info', (request, response) => {
    request.log.info({ step: 'inside' }, 'route line');
    sendJson(response, 200, {});
  });
  router.get('/1.0/boom', () => {
    throw new Error('unexpected');
  });
  const server = createServer(createApp(logger, [router]));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const get = (path: string) =>
    new Promise<number>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      })
        .on('error', reject)
        .end();
    });
  try {
    assert.equal(await get('/1.0/info?x=1'), 200);
    assert.equal(await get('/1.0/boom'), 500);
  } finally {
    server.close();
  }
  const records = lines.map((line) => JSON.parse(line) as { level: number; msg: string; req?: { id: string; method: string; url: string }; res?: { statusCode: number }; responseTime?: number; step?: string });
  const completed = records.filter((record) => record.msg === 'request completed');
  assert.deepEqual(completed.map((record) => [record.level, record.req?.method, record.req?.url, record.res?.statusCode]), [
    [30, 'GET', '/1.0/info?x=1', 200],
    [50, 'GET', '/1.0/boom', 500],
  ]);
  assert.ok(completed.every((record) => typeof record.responseTime === 'number' && record.responseTime >= 0));
  const routeLine = records.find((record) => record.step === 'inside');
  assert.equal(routeLine?.req?.id, completed[0]!.req?.id, 'the route line carries the request id');
  assert.match(completed[0]!.req!.id, /^[0-9a-f-]{36}$/u);
  assert.notEqual(completed[0]!.req!.id, completed[1]!.req!.id);
  assert.ok(records.some((record) => record.msg === 'request failed' && record.req?.id === completed[1]!.req?.id));
});
