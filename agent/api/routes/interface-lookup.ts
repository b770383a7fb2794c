import { Router, type Request } from 'express';
import type { InterfaceService } from '../../network/interface-service.ts';
import { readBody } from '../request-body.ts';
import { sendReply } from '../respond.ts';

/** Rule lists are small: a few entries per listener. */
const RULES_BODY_LIMIT = 1024 * 1024;

/** JSON bodies as Flask's `get_json()` reads them: only with a JSON content type; undefined otherwise. */
async function readJsonBody(request: Request): Promise<unknown> {
  const body = await readBody(request, RULES_BODY_LIMIT);
  if (!request.is('application/json')) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Interface lookup and the SR-IOV VIP firewall (§10, §11). */
export function interfaceRouter(service: InterfaceService): Router {
  const router = Router({ strict: true, caseSensitive: true });
  router.get('/1.0/interface/:ip_addr', async (request, response) => {
    sendReply(response, await service.getInterface(request.params.ip_addr));
  });
  router.put('/1.0/interface/:ip_addr/rules', async (request, response) => {
    sendReply(response, await service.setRules(request.params.ip_addr, () => readJsonBody(request)));
  });
  return router;
}
