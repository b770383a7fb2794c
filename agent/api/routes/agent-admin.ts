import { Router } from 'express';
import type { AgentContext } from '../../context.ts';
import { ConfigRefusal, updateAgentConfigFile } from '../../config/update.ts';
import { checkStartable } from '../../startup-checks.ts';
import { replaceServerCertificate } from '../../certs/server-certificate.ts';
import { PemBundleError } from '../../certs/pem-bundle.ts';
import { appError } from '../errors.ts';
import { readBody } from '../request-body.ts';
import { sendJson } from '../respond.ts';

const CONFIG_BODY_LIMIT = 1024 * 1024;
const CERTIFICATE_BODY_LIMIT = 1024 * 1024;

/** The agent's own configuration file and server certificate. */
export function agentAdminRouter(context: AgentContext, reloadTlsMaterial: () => Promise<void>): Router {
  const router = Router({ strict: true, caseSensitive: true });

  router.put('/1.0/config', async (request, response) => {
    const body = await readBody(request, CONFIG_BODY_LIMIT);
    await context.locks.run('agent-config', async () => {
      try {
        await updateAgentConfigFile(context.config, body, request.log, checkStartable);
      } catch (error) {
        if (error instanceof ConfigRefusal) throw appError(400, 'Unable to update amphora-agent configuration.', error.message);
        throw appError(500, 'Unable to update amphora-agent configuration.', (error as Error).message);
      }
    });
    sendJson(response, 202, { message: 'OK' });
  });

  router.put('/1.0/certificate', async (request, response) => {
    const body = await readBody(request, CERTIFICATE_BODY_LIMIT);
    await context.locks.run('server-cert', async () => {
      try {
        await replaceServerCertificate(context.config.current.amphora_agent.agent_server_cert, body);
      } catch (error) {
        if (error instanceof PemBundleError) throw appError(400, 'Invalid request', error.message);
        throw error;
      }
      await reloadTlsMaterial();
    });
    sendJson(response, 202, { message: 'OK' });
  });

  return router;
}
