import { join } from 'node:path';
import type { RenderContext } from './context.ts';
import { cipherProblem, expandExpectedCodes, isLvsProtocol, secretFileName } from '../model/rules.ts';
import { INVALID_URL_CHARS, TLS_VERSIONS, type HealthMonitor, type L7CompareType, type L7Policy, type L7Rule, type Listener, type LoadBalancer, type LoadBalancerModel, type Member, type Pool, type TlsVersion } from '../model/types.ts';
import { haproxyPeerName as peerName } from '../haproxy/peer-name.ts';
import { haproxyWord, registerPartial, RenderError, renderTemplate } from './template-engine.ts';

/**
 * Model → haproxy.cfg with the semantics and names of Octavia's combined-listeners template
 * (config-rendering.md §2): frontend = listener id, backend = `<pool_id>:<listener_id>`,
 * server = member id, stats socket `<base_path>/<lb_id>.sock`. This module builds a view of
 * already-formatted, validated tokens; templates/haproxy/*.hbs lays them out.
 */

export interface RenderResult {
  text: string;
  warnings: string[];
}

const HAPROXY_MAX_MAXCONN = 1_000_000;
const VERSION_FLAGS: Record<TlsVersion, string> = {
  SSLv3: ' no-sslv3',
  TLSv1: ' no-tlsv10',
  'TLSv1.1': ' no-tlsv11',
  'TLSv1.2': ' no-tlsv12',
  'TLSv1.3': ' no-tlsv13',
};
const MATCH_FLAGS: Record<L7CompareType, string> = {
  REGEX: '-m reg',
  STARTS_WITH: '-m beg',
  ENDS_WITH: '-m end',
  CONTAINS: '-m sub',
  EQUAL_TO: '-m str',
};
const BALANCE: Record<string, string> = { ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source' };
const X_SSL_HEADERS: Array<[string, string]> = [
  ['X-SSL-Client-Verify', '%[ssl_c_verify]'],
  ['X-SSL-Client-Has-Cert', '%[ssl_c_used]'],
  ['X-SSL-Client-DN', '%{+Q}[ssl_c_s_dn]'],
  ['X-SSL-Client-CN', '%{+Q}[ssl_c_s_dn(cn)]'],
  ['X-SSL-Issuer', '%{+Q}[ssl_c_i_dn]'],
  ['X-SSL-Client-SHA1', '%{+Q}[ssl_c_sha1,hex]'],
  ['X-SSL-Client-Not-Before', '%{+Q}[ssl_c_notbefore]'],
  ['X-SSL-Client-Not-After', '%{+Q}[ssl_c_notafter]'],
];

const live = <T extends { provisioning_status: string | null }>(o: T | null | undefined): o is T =>
  o !== null && o !== undefined && o.provisioning_status !== 'PENDING_DELETE';

/**
 * Octavia sizes the TLS session cache at 40 % of free memory, sized for a 1 GB amphora. On a
 * large host that is tens of millions of entries: haproxy then spends tens of seconds zeroing
 * gigabytes at every check and start. One million entries (a few hundred MB) is the ceiling.
 */
export const MAX_SSL_CACHE_ENTRIES = 1_000_000;

export function isHaproxyListener(listener: Listener): boolean {
  return !isLvsProtocol(listener.protocol);
}

/** The listener's effective connection limit: −1, null and 0 all mean the operator default. */
export function effectiveConnectionLimit(listener: Listener, ctx: RenderContext): number {
  return listener.connection_limit > 0 ? listener.connection_limit : ctx.defaultConnectionLimit;
}

/**
 * Largest maxconn haproxy can honour under the open-file hard limit: two descriptors per
 * connection, plus maxconn/4 splice pipes of two descriptors each (option splice-*), plus some
 * for listeners, servers, checks and logs.
 */
export function maxconnCap(ctx: RenderContext): number | null {
  if (ctx.maxOpenFiles === null) return null;
  const reserve = Math.max(64, Math.floor(ctx.maxOpenFiles / 20));
  return Math.max(1, Math.floor(((ctx.maxOpenFiles - reserve) * 2) / 5));
}

/** Pools behind a listener (§1.6): default pool, then redirect pools of live policies, deduplicated. */
export function listenerPools(listener: Listener, lb: LoadBalancer): Pool[] {
  const byId = new Map(lb.pools.map((p) => [p.id, p]));
  const ids: string[] = [];
  if (listener.default_pool_id !== null) ids.push(listener.default_pool_id);
  for (const policy of listener.l7policies) {
    if (live(policy) && policy.admin_state_up && policy.rules.length > 0 && policy.redirect_pool_id !== null) {
      ids.push(policy.redirect_pool_id);
    }
  }
  const pools: Pool[] = [];
  for (const id of new Set(ids)) {
    const pool = byId.get(id);
    if (live(pool)) pools.push(pool);
  }
  return pools;
}

function activeMonitor(pool: Pool): HealthMonitor | null {
  const hm = pool.healthmonitor;
  return live(hm) && hm.admin_state_up ? hm : null;
}

function versionFlags(versions: TlsVersion[] | null): string {
  if (versions === null) return '';
  return TLS_VERSIONS.filter((v) => !versions.includes(v))
    .map((v) => VERSION_FLAGS[v])
    .join('');
}

function logFormat(listener: Listener, lb: LoadBalancer, ctx: RenderContext): string {
  let format = ctx.userLogFormat.replaceAll('{{ project_id }}', lb.project_id).replaceAll('{{ lb_id }}', lb.id);
  if (listener.protocol !== 'HTTP' && listener.protocol !== 'TERMINATED_HTTPS') {
    for (const httpOnly of ['%{+Q}r', '%r', '%{+Q}ST', '%ST']) format = format.replaceAll(httpOnly, '-');
  }
  return format.replaceAll(' ', '\\ ');
}

class HaproxyView {
  readonly warnings: string[] = [];
  private readonly cap: number | null;
  private readonly lb: LoadBalancer;
  private readonly ctx: RenderContext;
  private readonly certDir: string;

  constructor(model: LoadBalancerModel, ctx: RenderContext) {
    this.lb = model.loadbalancer;
    this.ctx = ctx;
    this.cap = maxconnCap(ctx);
    this.certDir = join(ctx.baseCertDir, this.lb.id);
  }

  private capped(value: number, what: string): number {
    if (this.cap !== null && value > this.cap) {
      this.warnings.push(
        `${what}: maxconn ${value} lowered to ${this.cap} to fit the open-file limit of ${this.ctx.maxOpenFiles}`,
      );
      return this.cap;
    }
    return value;
  }

  private ciphers(value: string | null, fallback: string, what: string): string | null {
    if (value === null) return null;
    if (cipherProblem(value) !== null) {
      this.warnings.push(`${what} has invalid tls_ciphers, using the default cipher list`);
      return fallback;
    }
    return value;
  }

  build(): object {
    const lb = this.lb;
    const ctx = this.ctx;
    const haproxyListeners = lb.listeners.filter(isHaproxyListener);
    const enabled = haproxyListeners.filter((l) => l.admin_state_up);

    const sum = enabled.reduce((acc, l) => acc + effectiveConnectionLimit(l, ctx), 0);
    const globalMaxconn = this.capped(sum > 0 && sum < HAPROXY_MAX_MAXCONN ? sum : HAPROXY_MAX_MAXCONN, 'global');

    let sslCacheSize: number | null = null;
    if (ctx.meminfo && haproxyListeners.some((l) => l.protocol === 'TERMINATED_HTTPS')) {
      const reserve = 32 * globalMaxconn;
      const cacheKb = Math.floor(((ctx.meminfo.MemFree + ctx.meminfo.Buffers + ctx.meminfo.Cached - reserve) * 2) / 5);
      if (cacheKb > 5000) sslCacheSize = Math.min(cacheKb * 4, MAX_SSL_CACHE_ENTRIES);
    }
    const tuned = (ctx.activeTunedProfiles ?? '').split(/\s+/).includes('amphora');
    const cpuThreads = tuned && ctx.cpuCount !== null && ctx.cpuCount > 1 ? ctx.cpuCount - 1 : null;
    const externalCheck = enabled.some((l) =>
      listenerPools(l, lb).some((p) => p.admin_state_up && activeMonitor(p)?.type === 'PING'),
    );
    const peersName = `${lb.id.replaceAll('-', '')}_peers`;
    const peers =
      lb.topology === 'ACTIVE_STANDBY'
        ? {
            name: peersName,
            members: lb.amphorae
              .filter((a) => a.status === 'ALLOCATED')
              .map((a) => {
                if (a.vrrp_ip === null) throw new RenderError(`amphora ${a.id} has no vrrp_ip for the peers section`);
                return { name: peerName(a.id), address: a.vrrp_ip };
              }),
          }
        : null;

    return {
      lbId: lb.id,
      logSocket: ctx.logSocket,
      userLogFacility: ctx.userLogFacility,
      administrativeLogFacility: ctx.administrativeLogFacility,
      statsSocket: join(ctx.basePath, `${lb.id}.sock`),
      serverStateFile: ctx.features.serverStateFile ? join(ctx.basePath, lb.id, 'servers-state') : null,
      globalMaxconn,
      sslCacheSize,
      cpuThreads,
      externalCheck,
      insecureFork: ctx.features.insecureFork,
      connectionLogging: ctx.connectionLogging,
      peers,
      prometheus: ctx.features.prometheus && lb.listeners.some((l) => l.protocol === 'PROMETHEUS'),
      frontends: lb.admin_state_up ? enabled.map((l) => this.frontend(l, peers ? peersName : null)) : [],
    };
  }

  private frontend(listener: Listener, peersName: string | null): object {
    const lb = this.lb;
    const pools = listenerPools(listener, lb);
    const poolIds = new Set(pools.map((p) => p.id));
    const maxconn = this.capped(effectiveConnectionLimit(listener, this.ctx), `listener ${listener.id}`);
    const mode = listener.protocol === 'TCP' || listener.protocol === 'HTTPS' ? 'tcp' : 'http';
    const terminated = listener.protocol === 'TERMINATED_HTTPS';
    let hsts: string | null = null;
    if (terminated && listener.hsts_max_age !== null) {
      hsts = `max-age=${listener.hsts_max_age};`;
      if (listener.hsts_include_subdomains) hsts += ' includeSubDomains;';
      if (listener.hsts_preload) hsts += ' preload;';
    }
    const options = this.bindOptions(listener);
    const binds = [lb.vip, ...lb.additional_vips].map((vip) => `${vip.ip_address}:${listener.protocol_port} ${options}`.trim());
    const defaultPool = listener.default_pool_id !== null && poolIds.has(listener.default_pool_id) ? pools.find((p) => p.id === listener.default_pool_id) : undefined;

    return {
      id: listener.id,
      maxconn,
      httpsRedirect: terminated,
      hsts,
      binds,
      mode,
      // Octavia enforces allowed_cidrs with security groups outside the amphora; without a control
      // plane nothing else would, so haproxy refuses other sources at accept.
      allowedSources: listener.allowed_cidrs.length > 0 ? listener.allowed_cidrs.join(' ') : null,
      policies: listener.l7policies
        .filter((p) => live(p))
        .map((p) => this.policy(p, listener, pools))
        .filter((p) => p !== null),
      defaultBackend: defaultPool?.admin_state_up ? `${defaultPool.id}:${listener.id}` : null,
      timeoutClient: listener.timeout_client_data || this.ctxTimeout('timeout_client_data'),
      tcpInspectDelay: listener.timeout_tcp_inspect || null,
      prometheusBackend: listener.protocol === 'PROMETHEUS' && this.ctx.features.prometheus,
      logFormat: this.ctx.connectionLogging ? logFormat(listener, lb, this.ctx) : null,
      backends: pools.filter((p) => p.admin_state_up).map((p) => this.backend(p, listener, maxconn, mode, peersName)),
    };
  }

  private ctxTimeout(key: 'timeout_client_data' | 'timeout_member_connect' | 'timeout_member_data'): number {
    return { timeout_client_data: 50000, timeout_member_connect: 5000, timeout_member_data: 50000 }[key];
  }

  private bindOptions(listener: Listener): string {
    const certPath = (file: string) => join(this.certDir, file);
    const crt = listener.default_tls_container !== null ? `ssl crt-list ${certPath(`${listener.id}.pem`)}` : '';
    const ca = listener.client_ca_tls_container;
    const verify = { NONE: 'none', OPTIONAL: 'optional', MANDATORY: 'required' }[listener.client_authentication];
    const caOpt = ca !== null ? `ca-file ${certPath(secretFileName(ca))} verify ${verify}` : '';
    const crlOpt = ca !== null && listener.client_crl_container !== null ? `crl-file ${certPath(secretFileName(listener.client_crl_container))}` : '';
    let ciphersOpt = '';
    let versions = '';
    let alpn = '';
    if (listener.protocol === 'TERMINATED_HTTPS' || listener.protocol === 'PROMETHEUS') {
      const ciphers = this.ciphers(listener.tls_ciphers, this.ctx.defaultListenerCiphers, `listener ${listener.id}`);
      ciphersOpt = ciphers !== null ? `ciphers ${ciphers}` : '';
      versions = versionFlags(listener.tls_versions);
      alpn = listener.alpn_protocols !== null ? `alpn ${listener.alpn_protocols.join(',')}` : '';
    }
    // Empty slots keep their separators: the byte layout of Octavia's bind line.
    return `${crt} ${caOpt} ${crlOpt} ${ciphersOpt}${versions} ${alpn}`.trim();
  }

  private policy(policy: L7Policy, listener: Listener, pools: Pool[]): { acls: string[]; action: string | null } | null {
    const rules = policy.rules.filter((r) => live(r) && r.admin_state_up);
    if (!policy.admin_state_up || rules.length === 0) return null;
    const condition = `if ${rules.map((r) => `${r.invert ? '!' : ''}${r.id}`).join(' ')}`;
    const code = policy.redirect_http_code !== null ? ` code ${policy.redirect_http_code}` : '';
    const url = (value: string | null, field: string) => {
      if (value === null || INVALID_URL_CHARS.test(value)) {
        // Octavia would print the word `None` here; a redirect to a bogus location is worse
        // than keeping the running configuration.
        throw new RenderError(`l7policy ${policy.id}: ${field} is missing or contains spaces or control characters`);
      }
      return value;
    };
    let action: string | null = null;
    switch (policy.action) {
      case 'REJECT':
        action = `http-request deny ${condition}`;
        break;
      case 'REDIRECT_TO_URL':
        action = `redirect${code} location ${url(policy.redirect_url, 'redirect_url')} ${condition}`;
        break;
      case 'REDIRECT_PREFIX':
        action = `redirect${code} prefix ${url(policy.redirect_prefix, 'redirect_prefix')} ${condition}`;
        break;
      case 'REDIRECT_TO_POOL': {
        const pool = pools.find((p) => p.id === policy.redirect_pool_id);
        action = pool?.admin_state_up ? `use_backend ${pool.id}:${listener.id} ${condition}` : null;
        break;
      }
    }
    return { acls: rules.map((r) => aclLine(r)), action };
  }

  private backend(pool: Pool, listener: Listener, fullconn: number, listenerMode: string, peersName: string | null): object {
    const proxyProtocol = pool.protocol === 'PROXY' || pool.protocol === 'PROXYV2';
    const mode = proxyProtocol ? listenerMode : pool.protocol === 'HTTP' ? 'http' : 'tcp';
    const peersSuffix = peersName !== null ? ` peers ${peersName}` : '';
    const stick = this.ctx.stickSize;
    const persistence: string[] = [];
    const sp = pool.session_persistence;
    if (sp?.type === 'SOURCE_IP') persistence.push(`stick-table type ipv6 size ${stick}${peersSuffix}`, 'stick on src');
    if (sp?.type === 'APP_COOKIE') {
      persistence.push(
        `stick-table type string len 64 size ${stick}${peersSuffix}`,
        `stick store-response res.cook(${sp.cookie_name})`,
        `stick match req.cook(${sp.cookie_name})`,
      );
    }
    if (sp?.type === 'HTTP_COOKIE') persistence.push('cookie SRV insert indirect nocache');

    const hm = activeMonitor(pool);
    const monitor: string[] = [];
    if (hm) {
      if (this.ctx.features.serverStateFile) monitor.push('load-server-state-from-file global');
      monitor.push(`timeout check ${hm.timeout}s`);
      if (hm.type === 'HTTP' || hm.type === 'HTTPS') {
        const version = hm.http_version !== null ? ` HTTP/${hm.http_version.toFixed(1)}` : '';
        monitor.push(`option httpchk ${hm.http_method ?? 'GET'} ${hm.url_path ?? '/'}${version}`);
        if (hm.http_version === 1.1 && hm.domain_name !== null) monitor.push(`http-check send hdr Host ${hm.domain_name}`);
        monitor.push(`http-check expect rstatus ${expandExpectedCodes(hm.expected_codes ?? '200').join('|')}`);
      }
      if (hm.type === 'PING') {
        monitor.push('option external-check', `external-check command ${join(this.ctx.basePath, 'ping-wrapper.sh')}`);
      }
    }

    const on = (header: string) => (listener.insert_headers[header] ?? '').toLowerCase() === 'true';
    const headers: string[] = [];
    if (pool.protocol === 'HTTP') {
      if (on('X-Forwarded-For')) headers.push('option forwardfor');
      if (on('X-Forwarded-Port')) headers.push('http-request set-header X-Forwarded-Port %[dst_port]');
    }
    if (on('X-Forwarded-Proto')) {
      if (listener.protocol === 'HTTP') headers.push('http-request set-header X-Forwarded-Proto http');
      if (listener.protocol === 'TERMINATED_HTTPS') headers.push('http-request set-header X-Forwarded-Proto https');
    }
    if (listener.protocol === 'TERMINATED_HTTPS') {
      for (const [name, fetch] of X_SSL_HEADERS) if (on(name)) headers.push(`http-request set-header ${name} ${fetch}`);
    }

    return {
      name: `${pool.id}:${listener.id}`,
      mode,
      httpReuse: this.ctx.features.httpReuse && (pool.protocol === 'HTTP' || (proxyProtocol && listenerMode === 'http')),
      balance: BALANCE[pool.lb_algorithm] ?? 'roundrobin',
      persistence,
      monitor,
      headers,
      fullconn,
      timeoutConnect: listener.timeout_member_connect || this.ctxTimeout('timeout_member_connect'),
      timeoutServer: listener.timeout_member_data || this.ctxTimeout('timeout_member_data'),
      servers: pool.members.filter((m) => live(m)).map((m) => this.server(m, pool, listener, hm)),
    };
  }

  private server(member: Member, pool: Pool, listener: Listener, hm: HealthMonitor | null): string {
    const certPath = (file: string) => join(this.certDir, file);
    const tls = pool.tls_enabled;
    const alpn = tls && pool.alpn_protocols !== null && this.ctx.features.poolAlpn ? pool.alpn_protocols.join(',') : null;
    let line = `${member.id} ${member.address}:${member.protocol_port} weight ${member.weight}`;
    if (hm) {
      line += ' check';
      if (hm.type === 'HTTPS') line += ' check-ssl verify none';
      if (alpn !== null) line += ` check-alpn ${alpn}`;
      line += ` inter ${hm.delay}s fall ${hm.max_retries_down} rise ${hm.max_retries}`;
      if (member.monitor_address) line += ` addr ${member.monitor_address}`;
      if (member.monitor_port) line += ` port ${member.monitor_port}`;
    }
    if (pool.session_persistence?.type === 'HTTP_COOKIE') line += ` cookie ${member.id}`;
    if (pool.protocol === 'PROXY') line += ' send-proxy';
    if (pool.protocol === 'PROXYV2') {
      const tlsListener = listener.protocol === 'TERMINATED_HTTPS' || listener.protocol === 'PROMETHEUS';
      line += tlsListener ? ' send-proxy-v2-ssl-cn' : ' send-proxy-v2';
    }
    if (member.backup) line += ' backup';
    if (!member.admin_state_up) line += ' disabled';
    if (tls) {
      line += ' ssl';
      if (pool.tls_container !== null) line += ` crt ${certPath(secretFileName(pool.tls_container))}`;
      const ca = pool.ca_tls_container;
      if (ca !== null) {
        line += ` ca-file ${certPath(secretFileName(ca))}`;
        if (pool.crl_container !== null) line += ` crl-file ${certPath(secretFileName(pool.crl_container))} verify required`;
      } else {
        line += ' verify none';
      }
      line += ' sni ssl_fc_sni';
      const ciphers = this.ciphers(pool.tls_ciphers, this.ctx.defaultPoolCiphers, `pool ${pool.id}`);
      if (ciphers !== null) line += ` ciphers ${ciphers}`;
      line += versionFlags(pool.tls_versions);
      if (alpn !== null) line += ` alpn ${alpn}`;
    }
    return line;
  }
}

/** One `acl` line (without the keyword) for an L7 rule (§2.8), value escaped as one haproxy word. */
export function aclLine(rule: L7Rule): string {
  const flag = MATCH_FLAGS[rule.compare_type];
  const value = haproxyWord(rule.value);
  switch (rule.type) {
    case 'HOST_NAME':
      return `${rule.id} req.hdr(host) -i ${flag} ${value}`;
    case 'PATH':
      return `${rule.id} path ${flag} ${value}`;
    case 'FILE_TYPE':
      // path_end already means "ends with": EQUAL_TO takes no extra match flag.
      return `${rule.id} path_end ${rule.compare_type === 'EQUAL_TO' ? '' : flag} ${value}`;
    case 'HEADER':
      return `${rule.id} req.hdr(${rule.key}) ${flag} ${value}`;
    case 'COOKIE':
      return `${rule.id} req.cook(${rule.key}) ${flag} ${value}`;
    case 'SSL_CONN_HAS_CERT':
      return `${rule.id} ssl_c_used`;
    case 'SSL_VERIFY_RESULT':
      return `${rule.id} ssl_c_verify eq ${value}`;
    case 'SSL_DN_FIELD':
      return `${rule.id} ssl_c_s_dn(${rule.key}) ${flag} ${value}`;
  }
}

registerPartial('haproxy-frontend', 'haproxy/frontend.hbs');
registerPartial('haproxy-backend', 'haproxy/backend.hbs');

/** Renders haproxy.cfg for every TCP-family listener of the load balancer. Pure: no I/O. */
export function renderHaproxy(model: LoadBalancerModel, ctx: RenderContext): RenderResult {
  const view = new HaproxyView(model, ctx);
  const text = renderTemplate('haproxy/haproxy.cfg.hbs', view.build());
  return { text, warnings: view.warnings };
}
