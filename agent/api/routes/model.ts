import { Router } from '../router.ts';
import type { ModelService } from '../../apply/service.ts';
import { readBody } from '../request-body.ts';
import { sendReply } from '../respond.ts';

/**
 * Extensions for declarative load balancers (outside the reference's routes): the model
 * (render, then the raw upload path), the list of models with this amphora's id, and the live
 * statuses amphoractl builds its status tree from.
 */
export function modelRouter(models: () => Promise<ModelService>): Router {
  const router = new Router();
  router.put('/1.0/loadbalancer/:amphora_id/:lb_id/model', async (request, response) => {
    sendReply(response, await (await models()).put(request.params.amphora_id, request.params.lb_id, await readBody(request)));
  });
  router.get('/1.0/loadbalancer/:amphora_id/:lb_id/model', async (request, response) => {
    sendReply(response, await (await models()).get(request.params.lb_id));
  });
  router.get('/1.0/models', async (_request, response) => {
    sendReply(response, await (await models()).list());
  });
  router.get('/1.0/loadbalancer/:lb_id/status', async (request, response) => {
    sendReply(response, await (await models()).status(request.params.lb_id));
  });
  return router;
}
