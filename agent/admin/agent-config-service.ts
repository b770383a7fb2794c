import type { AgentContext } from '../context.ts';
import { appError } from '../domain/refusal.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import { checkStartable } from './startup-checks.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { ConfigRefusal, updateAgentConfigFile } from '../config/update.ts';

const FAILED = 'Unable to update amphora-agent configuration.';

/**
 * `PUT /1.0/config`: the new agent configuration file, under the agent-config lock. A
 * refused upload is a 400 as the reference words it; any other failure its 500.
 */
export async function uploadAgentConfig(context: AgentContext, body: Buffer, logger: Logger): Promise<Reply> {
  await context.locks.run('agent-config', async () => {
    try {
      await updateAgentConfigFile(context.config, body, logger, checkStartable);
    } catch (error) {
      if (error instanceof ConfigRefusal) context.metrics?.configRefused('agent');
      throw appError(error instanceof ConfigRefusal ? 400 : 500, FAILED, errorMessage(error), { cause: error });
    }
  });
  return jsonReply(202, { message: 'OK' });
}
