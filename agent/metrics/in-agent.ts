import type { AgentContext } from '../context.ts';
import type { AgentMetrics } from './agent-metrics.ts';
import { certificateExpiryFamilies } from './certificate-metrics.ts';
import { lvsMetricsSection } from './lvs-metrics.ts';
import { MetricsProxy, OCTAVIA_PROXY_ADDRESS } from './proxy-server.ts';
import { OCTAVIA_EXPORTER } from './upstream.ts';

/**
 * The metrics endpoint served from the agent's own process under either process manager
 * (docs/metrics.md says why): `[amphora_agent] prometheus_proxy = agent`, the default.
 * Undefined with `off`, when the image's prometheus-proxy unit serves it instead. The agent's
 * own metrics (`amphora_agent_*`) follow haproxy's and the UDP/SCTP listeners'.
 */
export function startAgentMetricsProxy(context: AgentContext, agentMetrics: AgentMetrics): MetricsProxy | undefined {
  const { prometheus_proxy: mode, network_namespace: namespace } = context.config.current.amphora_agent;
  if (mode === 'off') return undefined;
  const proxy = new MetricsProxy({
    namespace,
    listen: { ...OCTAVIA_PROXY_ADDRESS },
    sources: {
      exporter: { ...OCTAVIA_EXPORTER, namespace },
      sections: [
        () => lvsMetricsSection({ paths: context.paths, namespace })(),
        async () => agentMetrics.families(),
        () => certificateExpiryFamilies(context.config.current),
      ],
      onInvalid: (lines) => context.logger.warn({ count: lines.length, first: lines[0] }, 'unparsable lines from haproxy\'s exporter dropped'),
    },
    logger: context.logger,
  });
  proxy.start();
  return proxy;
}
