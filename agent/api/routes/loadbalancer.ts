import { Router } from '../router.ts';
import type { HaproxyService } from '../../haproxy/lifecycle.ts';
import { readBody } from '../request-body.ts';
import { sendJson, sendReply } from '../respond.ts';

/** haproxy configuration, LB actions, LB delete and the listener list (§3.4-§3.8). */
export function loadBalancerRouter(service: HaproxyService): Router {
  const router = new Router();

  router.put('/1.0/loadbalancer/:amphora_id/:lb_id/haproxy', async (request, response) => {
    const { amphora_id: amphoraId, lb_id: lbId } = request.params;
    sendReply(response, await service.uploadConfig(amphoraId, lbId, () => readBody(request)));
  });

  router.get('/1.0/loadbalancer/:lb_id/haproxy', async (request, response) => {
    sendReply(response, await service.getConfig(request.params.lb_id));
  });

  router.put('/1.0/loadbalancer/:object_id/:action', async (request, response) => {
    sendReply(response, await service.runAction(request.params.object_id, request.params.action));
  });

  router.delete('/1.0/listeners/:object_id', async (request, response) => {
    sendReply(response, await service.deleteObject(request.params.object_id));
  });

  router.get('/1.0/listeners', async (_request, response) => {
    sendJson(response, 200, await service.listListeners());
  });

  return router;
}
