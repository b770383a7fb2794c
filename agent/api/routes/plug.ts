import { Router } from '../router.ts';
import type { PlugService } from '../../network/plug-service.ts';
import { readJsonBody } from '../request-body.ts';
import { sendReply } from '../respond.ts';

/** Plug bodies are a few hundred bytes. */
const PLUG_BODY_LIMIT = 64 * 1024;

/** VIP and member network plugging (network.md §4). */
export function plugRouter(service: PlugService): Router {
  const router = new Router();
  router.post('/1.0/plug/vip/:vip', async (request, response) => {
    sendReply(response, await service.plugVip(request.params.vip, await readJsonBody(request, PLUG_BODY_LIMIT)));
  });
  router.post('/1.0/plug/network', async (request, response) => {
    sendReply(response, await service.plugNetwork(await readJsonBody(request, PLUG_BODY_LIMIT)));
  });
  return router;
}
