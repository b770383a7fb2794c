import { Router } from 'express';
import type { ModelService } from '../../render/model-service.ts';
import { readBody } from '../request-body.ts';
import { sendReply } from './loadbalancer.ts';

/** Extension: the declarative load-balancer model (render, then the raw upload path). */
export function modelRouter(service: ModelService): Router {
  const router = Router({ strict: true, caseSensitive: true });
  router.put('/1.0/loadbalancer/:amphora_id/:lb_id/model', async (request, response) => {
    sendReply(response, await service.put(request.params.amphora_id, request.params.lb_id, await readBody(request)));
  });
  router.get('/1.0/loadbalancer/:amphora_id/:lb_id/model', async (request, response) => {
    sendReply(response, await service.get(request.params.lb_id));
  });
  return router;
}
