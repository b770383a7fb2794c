import type { Router } from 'express';
import type { AgentContext } from '../../context.ts';
import type { AmphoraInfoSource } from '../../info/amphora-info.ts';
import { amphoraRouter } from './amphora.ts';
import { agentAdminRouter } from './agent-admin.ts';
import type { HaproxyService } from '../../haproxy/lifecycle.ts';
import type { ListenerCertificates } from '../../certs/listener-certificates.ts';
import { loadBalancerRouter } from './loadbalancer.ts';
import { listenerCertificatesRouter } from './listener-certificates.ts';
import { modelRouter } from './model.ts';
import { ModelService } from '../../render/model-service.ts';
import type { LvsListenerService } from '../../lvs/listener-service.ts';
import { lvsListenerRouter } from './lvs-listener.ts';
import { interfaceRouter } from './interface-lookup.ts';
import { InterfaceService } from '../../network/interface-service.ts';
import type { PlugService } from '../../network/plug-service.ts';
import { plugRouter } from './plug.ts';
import { trustRouter } from './trust.ts';
import { statsRouter } from './stats.ts';

/** Everything a router may need; built once by agent.ts. */
export interface RouterDependencies {
  context: AgentContext;
  info: AmphoraInfoSource;
  reloadTlsMaterial: () => Promise<void>;
  haproxy: HaproxyService;
  lvs: LvsListenerService;
  listenerCertificates: ListenerCertificates;
  plug: PlugService;
}

/**
 * Every router of the API, in matching order (literal paths before variable ones where they
 * overlap). Adding a resource = one line here.
 */
export function buildRouters(dependencies: RouterDependencies): Router[] {
  return [
    amphoraRouter(dependencies.info),
    agentAdminRouter(dependencies.context, dependencies.reloadTlsMaterial),
    trustRouter(dependencies.context, dependencies.reloadTlsMaterial),
    loadBalancerRouter(dependencies.haproxy),
    listenerCertificatesRouter(dependencies.listenerCertificates),
    lvsListenerRouter(dependencies.lvs),
    modelRouter(new ModelService(dependencies.context, dependencies.haproxy, dependencies.lvs)),
    interfaceRouter(new InterfaceService(dependencies.context)),
    plugRouter(dependencies.plug),
    statsRouter(dependencies.context),
  ];
}
