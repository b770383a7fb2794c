import { Router } from '../router.ts';
import type { VrrpService } from '../../vrrp/service.ts';
import { readBody } from '../request-body.ts';
import { sendReply } from '../respond.ts';

/** keepalived VRRP for ACTIVE_STANDBY (§3.16, §3.17); `upload` is matched before `{action}`. */
export function vrrpRouter(service: VrrpService): Router {
  const router = new Router();
  router.put('/1.0/vrrp/upload', async (request, response) => {
    sendReply(response, await service.upload(() => readBody(request)));
  });
  router.put('/1.0/vrrp/:action', async (request, response) => {
    sendReply(response, await service.action(request.params.action));
  });
  return router;
}
