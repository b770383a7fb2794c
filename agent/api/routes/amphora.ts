import { Router } from '../router.ts';
import type { AmphoraInfoSource } from '../../info/amphora-info.ts';
import { API_VERSION } from '../../info/amphora-info.ts';
import { sendJson } from '../respond.ts';

/** Version discovery, info and details. */
export function amphoraRouter(info: AmphoraInfoSource): Router {
  const router = new Router();
  router.get('/', (_request, response) => sendJson(response, 200, { api_version: API_VERSION }));
  router.get('/1.0/info', async (_request, response) => sendJson(response, 200, await info.info()));
  router.get('/1.0/details', async (_request, response) => sendJson(response, 200, await info.details()));
  return router;
}
