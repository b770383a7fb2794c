import { join } from 'node:path';
import type { RenderContext } from './context.ts';
import { ipFamily, parseNetwork } from '../util/ip.ts';
import type { LoadBalancerModel, Vip } from '../model/types.ts';
import { RenderError, renderTemplate } from './template-engine.ts';

/**
 * Model → keepalived VRRP configuration of one amphora of an ACTIVE_STANDBY load balancer
 * (config-rendering.md §3.1, vrrp-lvs.md §A.6). Each amphora gets its own file: priority,
 * source address and unicast peers differ.
 */
export function renderVrrp(model: LoadBalancerModel, amphoraId: string, ctx: RenderContext): string {
  const lb = model.loadbalancer;
  const self = lb.amphorae.find((a) => a.id === amphoraId);
  if (!self) throw new RenderError(`amphora ${amphoraId} is not an amphora of load balancer ${lb.id}`);
  if (self.vrrp_ip === null || self.vrrp_interface === null || self.vrrp_priority === null) {
    throw new RenderError(`amphora ${amphoraId} needs vrrp_ip, vrrp_interface and vrrp_priority for VRRP`);
  }
  if (lb.vrrp_group === null) throw new RenderError(`load balancer ${lb.id} has no vrrp_group`);
  const selfFamily = ipFamily(self.vrrp_ip);
  const additional = [...lb.additional_vips].sort((a, b) => (a.ip_address < b.ip_address ? -1 : a.ip_address > b.ip_address ? 1 : 0));
  const vips = [lb.vip, ...additional].map((vip: Vip) => {
    if (vip.subnet === null) throw new RenderError(`VIP ${vip.ip_address} needs its subnet for VRRP`);
    const network = parseNetwork(vip.subnet.cidr);
    if (typeof network === 'string') throw new RenderError(`VIP subnet ${vip.subnet.cidr} ${network}`);
    return { address: vip.ip_address, family: ipFamily(vip.ip_address), network: network.text, subnet: vip.subnet };
  });
  const intf = self.vrrp_interface;
  const routes: string[] = [];
  for (const vip of vips) {
    routes.push(`${vip.network} dev ${intf} src ${vip.address} scope link table 1`);
    if (vip.subnet.gateway_ip) routes.push(`default via ${vip.subnet.gateway_ip} dev ${intf} onlink table 1`);
    for (const route of vip.subnet.host_routes) routes.push(`${route.destination} dev ${intf} gateway ${route.nexthop} onlink table 1`);
  }
  const text = renderTemplate('keepalived/vrrp.conf.hbs', {
    checkScript: join(ctx.basePath, 'vrrp/check_script.sh'),
    checkInterval: ctx.keepalivedVrrp.checkInterval,
    failCount: ctx.keepalivedVrrp.failCount,
    successCount: ctx.keepalivedVrrp.successCount,
    groupName: lb.vrrp_group.vrrp_group_name,
    interface: intf,
    routerId: self.vrrp_id,
    priority: self.vrrp_priority,
    garpRefresh: ctx.keepalivedVrrp.garpRefreshInterval,
    garpRefreshRepeat: ctx.keepalivedVrrp.garpRefreshCount,
    advertInt: lb.vrrp_group.advert_int,
    authType: lb.vrrp_group.vrrp_auth_type,
    authPass: lb.vrrp_group.vrrp_auth_pass,
    sourceIp: self.vrrp_ip,
    peers: lb.amphorae.filter((a) => a.status === 'ALLOCATED' && a.vrrp_ip !== null && a.vrrp_ip !== self.vrrp_ip).map((a) => a.vrrp_ip),
    includedVips: vips.filter((v) => v.family === selfFamily).map((v) => v.address),
    excludedVips: vips.filter((v) => v.family !== selfFamily).map((v) => v.address),
    routes,
    rules: vips.map((v) => `from ${v.address}/${v.family === 6 ? 128 : 32} table 1 priority 100`),
  });
  // Octavia's file ends with the closing brace, without a final newline.
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}
