import { Router } from '../router.ts';
import type { InterfaceService } from '../../network/interface-service.ts';
import { readJsonBody } from '../request-body.ts';
import { sendReply } from '../respond.ts';

/** Rule lists are small: a few entries per listener. */
const RULES_BODY_LIMIT = 1024 * 1024;

/** Interface lookup and the SR-IOV VIP firewall (§10, §11). */
export function interfaceRouter(service: InterfaceService): Router {
  const router = new Router();
  router.get('/1.0/interface/:ip_addr', async (request, response) => {
    sendReply(response, await service.getInterface(request.params.ip_addr));
  });
  router.put('/1.0/interface/:ip_addr/rules', async (request, response) => {
    sendReply(response, await service.setRules(request.params.ip_addr, () => readJsonBody(request, RULES_BODY_LIMIT)));
  });
  return router;
}
