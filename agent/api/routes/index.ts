import type { Router } from '../router.ts';
import type { AgentContext } from '../../context.ts';
import type { AmphoraInfoSource } from '../../info/amphora-info.ts';
import { amphoraRouter } from './amphora.ts';
import { agentAdminRouter } from './agent-admin.ts';
import type { HaproxyService } from '../../haproxy/lifecycle.ts';
import type { ListenerCertificates } from '../../certs/listener-certificates.ts';
import { loadBalancerRouter } from './loadbalancer.ts';
import { listenerCertificatesRouter } from './listener-certificates.ts';
import { modelRouter } from './model.ts';
import type { ModelService } from '../../apply/service.ts';
import type { LvsListenerService } from '../../lvs/listener-service.ts';
import { lvsListenerRouter } from './lvs-listener.ts';
import { interfaceRouter } from './interface-lookup.ts';
import type { InterfaceService } from '../../network/interface-service.ts';
import type { PlugService } from '../../network/plug-service.ts';
import { plugRouter } from './plug.ts';
import { trustRouter } from './trust.ts';
import { statsRouter } from './stats.ts';
import type { VrrpService } from '../../vrrp/service.ts';
import { vrrpRouter } from './vrrp.ts';

/** Everything a router may need; the services are built once by agent.ts, never here. */
export interface RouterDependencies {
  context: AgentContext;
  info: AmphoraInfoSource;
  reloadTlsMaterial: () => Promise<void>;
  haproxy: HaproxyService;
  lvs: LvsListenerService;
  /** Loaded on the first model request. */
  models: () => Promise<ModelService>;
  interfaces: InterfaceService;
  listenerCertificates: ListenerCertificates;
  plug: PlugService;
  vrrp: VrrpService;
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
    modelRouter(dependencies.models),
    interfaceRouter(dependencies.interfaces),
    plugRouter(dependencies.plug),
    statsRouter(dependencies.context),
    vrrpRouter(dependencies.vrrp),
  ];
}
