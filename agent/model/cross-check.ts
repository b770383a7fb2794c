import { MAX_RENDERED_SERVER_LINES } from './limits.ts';
import { LISTENER_POOL_PROTOCOLS } from './rules.ts';
import type { LoadBalancer, ValidationOptions } from './types.ts';
import { Checker } from './validation-kit.ts';
import { ipFamily, parseNetwork } from '../util/ip.ts';

/** Constraints between objects (config-rendering.md §1.5). */
export function crossCheck(check: Checker, lb: LoadBalancer, warnings: string[], _options: ValidationOptions): void {
  const base = 'loadbalancer';
  const poolsById = new Map(lb.pools.map((p) => [p.id, p]));
  const uniqueIds = new Map<string, string>();
  const claim = (id: string, at: string) => {
    const previous = uniqueIds.get(id);
    if (previous !== undefined) check.fail(at, `duplicates the id of ${previous}`);
    else uniqueIds.set(id, at);
  };
  lb.listeners.forEach((l, i) => claim(l.id, `${base}.listeners[${i}].id`));
  lb.pools.forEach((p, i) => claim(p.id, `${base}.pools[${i}].id`));
  const amphoraIds = new Set<string>();
  lb.amphorae.forEach((a, i) => {
    if (amphoraIds.has(a.id)) check.fail(`${base}.amphorae[${i}].id`, 'duplicates another amphora id');
    amphoraIds.add(a.id);
  });
  const serverLines = renderedServerLines(lb);
  if (serverLines > MAX_RENDERED_SERVER_LINES) {
    check.fail(
      `${base}.listeners`,
      `would render ${serverLines} server lines (each listener renders every pool it uses, members included); at most ${MAX_RENDERED_SERVER_LINES}`,
    );
  }

  const portOwners = new Map<string, number>();
  lb.listeners.forEach((listener, i) => {
    const at = `${base}.listeners[${i}]`;
    const l4 = listener.protocol === 'UDP' ? 'udp' : listener.protocol === 'SCTP' ? 'sctp' : 'tcp';
    const key = `${l4}/${listener.protocol_port}`;
    if (portOwners.has(key)) check.fail(`${at}.protocol_port`, `is already used by listeners[${portOwners.get(key)}] (${l4.toUpperCase()})`);
    else portOwners.set(key, i);

    const httpLike = listener.protocol === 'HTTP' || listener.protocol === 'TERMINATED_HTTPS';
    const tlsCapable = listener.protocol === 'TERMINATED_HTTPS' || listener.protocol === 'PROMETHEUS';
    if (listener.default_pool_id !== null) {
      const pool = poolsById.get(listener.default_pool_id);
      if (!pool) check.fail(`${at}.default_pool_id`, 'does not name a pool of this load balancer');
      else if (!LISTENER_POOL_PROTOCOLS[listener.protocol].includes(pool.protocol)) {
        check.fail(
          `${at}.default_pool_id`,
          listener.protocol === 'PROMETHEUS'
            ? 'PROMETHEUS listeners take no pool'
            : `a ${pool.protocol} pool cannot serve a ${listener.protocol} listener (allowed: ${LISTENER_POOL_PROTOCOLS[listener.protocol].join(', ')})`,
        );
      }
    }
    if (Object.keys(listener.insert_headers).length > 0) {
      if (!httpLike) check.fail(`${at}.insert_headers`, 'is only supported by HTTP and TERMINATED_HTTPS listeners');
      else if (listener.protocol === 'HTTP') {
        for (const key of Object.keys(listener.insert_headers)) {
          if (key.startsWith('X-SSL-')) check.fail(`${at}.insert_headers.${key}`, 'requires a TERMINATED_HTTPS listener');
        }
      }
    }
    if (listener.l7policies.length > 0 && !httpLike) check.fail(`${at}.l7policies`, 'are only supported by HTTP and TERMINATED_HTTPS listeners');
    listener.l7policies.forEach((policy, j) => {
      if (policy.redirect_pool_id === null) return;
      const pool = poolsById.get(policy.redirect_pool_id);
      const pat = `${at}.l7policies[${j}].redirect_pool_id`;
      if (!pool) check.fail(pat, 'does not name a pool of this load balancer');
      else if (!LISTENER_POOL_PROTOCOLS[listener.protocol].includes(pool.protocol)) {
        check.fail(pat, `a ${pool.protocol} pool cannot serve a ${listener.protocol} listener`);
      }
    });
    const hasCert = listener.default_tls_container !== null || listener.sni_containers.length > 0;
    if (!tlsCapable) {
      for (const key of ['default_tls_container', 'client_ca_tls_container', 'client_crl_container', 'tls_ciphers', 'tls_versions', 'alpn_protocols', 'hsts_max_age'] as const) {
        if (listener[key] !== null) check.fail(`${at}.${key}`, 'is only supported by TERMINATED_HTTPS (and PROMETHEUS) listeners');
      }
      if (listener.sni_containers.length > 0) check.fail(`${at}.sni_containers`, 'are only supported by TERMINATED_HTTPS listeners');
      if (listener.client_authentication !== 'NONE') check.fail(`${at}.client_authentication`, 'requires a TERMINATED_HTTPS listener');
    } else {
      if (listener.protocol === 'TERMINATED_HTTPS' && listener.default_tls_container === null) {
        // Octavia renders such a listener as plain text on its TLS port; refuse instead.
        check.fail(`${at}.default_tls_container`, 'is required for TERMINATED_HTTPS listeners (SNI certificates alone would serve plain text)');
      }
      if (listener.protocol === 'PROMETHEUS' && listener.sni_containers.length > 0) check.fail(`${at}.sni_containers`, 'are not supported by PROMETHEUS listeners');
      if (listener.protocol === 'PROMETHEUS' && listener.hsts_max_age !== null) check.fail(`${at}.hsts_max_age`, 'is only supported by TERMINATED_HTTPS listeners');
      if (listener.client_authentication !== 'NONE' && listener.client_ca_tls_container === null) {
        check.fail(`${at}.client_ca_tls_container`, `is required with client_authentication ${listener.client_authentication}`);
      }
      if (listener.client_ca_tls_container !== null && !hasCert) check.fail(`${at}.client_ca_tls_container`, 'requires a default certificate');
      if (listener.client_crl_container !== null && listener.client_ca_tls_container === null) {
        check.fail(`${at}.client_crl_container`, 'requires client_ca_tls_container');
      }
    }
    if ((listener.hsts_include_subdomains || listener.hsts_preload) && listener.hsts_max_age === null) {
      check.fail(`${at}.hsts_max_age`, 'is required with hsts_include_subdomains or hsts_preload');
    }
    const vipFamilies = new Set([lb.vip, ...lb.additional_vips].map((v) => ipFamily(v.ip_address)));
    listener.allowed_cidrs.forEach((cidr, k) => {
      const parsed = parseNetwork(cidr);
      if (typeof parsed !== 'string' && !vipFamilies.has(parsed.family)) {
        check.fail(`${at}.allowed_cidrs[${k}]`, `is IPv${parsed.family} but the load balancer has no IPv${parsed.family} VIP`);
      }
    });
    if (listener.connection_limit === 0) warnings.push(`listener ${listener.id}: connection_limit 0 means the default limit, as in Octavia`);
  });

  lb.pools.forEach((pool, i) => {
    const at = `${base}.pools[${i}]`;
    if (pool.crl_container !== null && pool.ca_tls_container === null) check.fail(`${at}.crl_container`, 'requires ca_tls_container');
  });
  if (lb.vrrp_group !== null && lb.topology !== 'ACTIVE_STANDBY') warnings.push('vrrp_group is ignored unless topology is ACTIVE_STANDBY');
}

/** Server lines of the haproxy.cfg: per listener, the members of each pool it uses once. */
export function renderedServerLines(lb: LoadBalancer): number {
  const membersByPool = new Map(lb.pools.map((pool) => [pool.id, pool.members.length]));
  let lines = 0;
  for (const listener of lb.listeners) {
    const used = new Set<string>();
    if (listener.default_pool_id !== null) used.add(listener.default_pool_id);
    for (const policy of listener.l7policies) if (policy.redirect_pool_id !== null) used.add(policy.redirect_pool_id);
    for (const poolId of used) lines += membersByPool.get(poolId) ?? 0;
  }
  return lines;
}
