import { Router } from '../router.ts';
import type { AgentContext } from '../../context.ts';
import { uploadAgentConfig } from '../../admin/agent-config-service.ts';
import { uploadServerCertificate, type TlsReload } from '../../admin/agent-certificate-service.ts';
import { readBody } from '../request-body.ts';
import { sendJson, sendReply } from '../respond.ts';

const CONFIG_BODY_LIMIT = 1024 * 1024;
const CERTIFICATE_BODY_LIMIT = 1024 * 1024;

/** The agent's own configuration file and server certificate. */
export function agentAdminRouter(context: AgentContext, reloadTlsMaterial: TlsReload): Router {
  const router = new Router();

  router.put('/1.0/config', async (request, response) => {
    const body = await readBody(request, CONFIG_BODY_LIMIT);
    sendReply(response, await uploadAgentConfig(context, body, request.log));
  });

  router.put('/1.0/certificate', async (request, response) => {
    const body = await readBody(request, CERTIFICATE_BODY_LIMIT);
    await uploadServerCertificate(context, body, reloadTlsMaterial);
    sendJson(response, 202, { message: 'OK' });
  });

  return router;
}
