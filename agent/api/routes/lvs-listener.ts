import { Router } from '../router.ts';
import type { LvsListenerService } from '../../lvs/listener-service.ts';
import { readBody } from '../request-body.ts';
import { sendReply } from '../respond.ts';

/** UDP/SCTP listener configs (§3.9, §3.10); their actions and delete share the LB routes. */
export function lvsListenerRouter(service: LvsListenerService): Router {
  const router = new Router();
  router.put('/1.0/listeners/:amphora_id/:listener_id/udp_listener', async (request, response) => {
    sendReply(response, await service.upload(request.params.listener_id, () => readBody(request)));
  });
  router.get('/1.0/listeners/:listener_id/udp_listener', async (request, response) => {
    sendReply(response, await service.getConfig(request.params.listener_id));
  });
  return router;
}
