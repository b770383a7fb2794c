import { Router } from '../router.ts';
import type { AgentContext } from '../../context.ts';
import { loadBalancerStats } from '../../metrics/listener-stats.ts';
import { sendReply } from '../respond.ts';

/** Extension: the listener statistics amphoractl's `stats show` commands print. */
export function statsRouter(context: AgentContext): Router {
  const router = new Router();
  router.get('/1.0/loadbalancer/:lb_id/stats', async (request, response) => {
    const namespace = context.config.current.amphora_agent.network_namespace;
    sendReply(response, await loadBalancerStats(request.params.lb_id, { paths: context.paths, namespace }));
  });
  return router;
}
