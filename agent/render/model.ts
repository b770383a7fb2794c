import { createHash } from 'node:crypto';
import { ipFamily, isNetmaskLike, parseNetwork } from './ip.ts';
import { Checker, isObject, join, type FieldError, type JsonObject } from './validation-kit.ts';

/**
 * The declarative load-balancer model: one JSON document per load balancer, field names as in
 * the Octavia v2 API (config-rendering.md §1). `validateModel` checks everything the renderers
 * print (so that no value can break out of its config line), fills Octavia's API defaults and
 * returns the normalized model, or every error with its field path.
 */

export type { FieldError } from './validation-kit.ts';

export const LISTENER_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'] as const;
export const POOL_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'] as const;
export const LB_ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'] as const;
export const PERSISTENCE_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const;
export const MONITOR_TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'] as const;
export const L7_ACTIONS = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const;
export const L7_RULE_TYPES = [
  'HOST_NAME',
  'PATH',
  'FILE_TYPE',
  'HEADER',
  'COOKIE',
  'SSL_CONN_HAS_CERT',
  'SSL_VERIFY_RESULT',
  'SSL_DN_FIELD',
] as const;
export const L7_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const;
export const TLS_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const ALPN_PROTOCOLS = ['h2', 'http/1.1', 'http/1.0'] as const;
export const CLIENT_AUTH_MODES = ['NONE', 'OPTIONAL', 'MANDATORY'] as const;
export const TOPOLOGIES = ['SINGLE', 'ACTIVE_STANDBY'] as const;
export const PROVISIONING_STATUSES = ['ACTIVE', 'PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE', 'DELETED', 'ERROR'] as const;
export const INSERT_HEADERS = [
  'X-Forwarded-For',
  'X-Forwarded-Port',
  'X-Forwarded-Proto',
  'X-SSL-Client-Verify',
  'X-SSL-Client-Has-Cert',
  'X-SSL-Client-DN',
  'X-SSL-Client-CN',
  'X-SSL-Issuer',
  'X-SSL-Client-SHA1',
  'X-SSL-Client-Not-Before',
  'X-SSL-Client-Not-After',
] as const;

/** `CIPHERS_OWASP_SUITE_B`: the operator default for listener and pool ciphers. */
export const OWASP_SUITE_B_CIPHERS =
  'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:' +
  'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:' +
  'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:' +
  'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305';
export const DEFAULT_TLS_VERSIONS: TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];
export const DEFAULT_ALPN: AlpnProtocol[] = ['h2', 'http/1.1', 'http/1.0'];
export const MAX_TIMEOUT_MS = 24 * 24 * 60 * 60 * 1000;
export const MAX_L7_RULES_PER_POLICY = 50;

/** The whole string is one OpenSSL cipher list: no space, no control character, nothing else. */
export const VALID_CIPHERS = /^[A-Za-z0-9\-+!:@=_.]+$/;
/** Octavia's `INVALID_URL_CHARS_RE`: C0 controls, space, DEL and C1 controls. */
export const INVALID_URL_CHARS = /[\u0000-\u0020\u007f-\u009f]/;

export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];
export type PoolProtocol = (typeof POOL_PROTOCOLS)[number];
export type LbAlgorithm = (typeof LB_ALGORITHMS)[number];
export type PersistenceType = (typeof PERSISTENCE_TYPES)[number];
export type MonitorType = (typeof MONITOR_TYPES)[number];
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type L7Action = (typeof L7_ACTIONS)[number];
export type L7RuleType = (typeof L7_RULE_TYPES)[number];
export type L7CompareType = (typeof L7_COMPARE_TYPES)[number];
export type TlsVersion = (typeof TLS_VERSIONS)[number];
export type AlpnProtocol = (typeof ALPN_PROTOCOLS)[number];
export type ClientAuthentication = (typeof CLIENT_AUTH_MODES)[number];
export type Topology = (typeof TOPOLOGIES)[number];
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number];

/** Inline certificate + key (+ chain): the agent writes it as `<sha1(certificate)>.pem`. */
export interface TlsMaterial {
  certificate: string;
  private_key: string;
  intermediates: string[];
}
/** A file already in the load balancer's certificate folder (uploaded through the certificate API). */
export interface FileReference {
  file: string;
}
export type TlsContainer = TlsMaterial | FileReference;
/** CA bundles and CRLs: inline PEM text or a file reference. */
export type PemSecret = string | FileReference;

export interface HostRoute {
  destination: string;
  nexthop: string;
}
export interface Subnet {
  cidr: string;
  gateway_ip: string | null;
  host_routes: HostRoute[];
}
export interface Vip {
  ip_address: string;
  subnet: Subnet | null;
}
export interface Amphora {
  id: string;
  status: string;
  role: string | null;
  vrrp_ip: string | null;
  vrrp_interface: string | null;
  vrrp_id: number;
  vrrp_priority: number | null;
}
export interface VrrpGroup {
  vrrp_group_name: string;
  vrrp_auth_type: 'PASS' | 'AH';
  vrrp_auth_pass: string;
  advert_int: number;
}
export interface SessionPersistence {
  type: PersistenceType;
  cookie_name: string | null;
  persistence_timeout: number | null;
  persistence_granularity: string | null;
}
export interface HealthMonitor {
  id: string;
  name: string;
  type: MonitorType;
  delay: number;
  timeout: number;
  max_retries: number;
  max_retries_down: number;
  http_method: HttpMethod | null;
  url_path: string | null;
  expected_codes: string | null;
  http_version: 1.0 | 1.1 | null;
  domain_name: string | null;
  admin_state_up: boolean;
  provisioning_status: ProvisioningStatus | null;
}
export interface Member {
  id: string;
  name: string;
  address: string;
  protocol_port: number;
  weight: number;
  backup: boolean;
  admin_state_up: boolean;
  monitor_address: string | null;
  monitor_port: number | null;
  provisioning_status: ProvisioningStatus | null;
}
export interface Pool {
  id: string;
  name: string;
  description: string;
  protocol: PoolProtocol;
  lb_algorithm: LbAlgorithm;
  admin_state_up: boolean;
  session_persistence: SessionPersistence | null;
  healthmonitor: HealthMonitor | null;
  members: Member[];
  tls_enabled: boolean;
  tls_container: TlsContainer | null;
  ca_tls_container: PemSecret | null;
  crl_container: PemSecret | null;
  tls_ciphers: string | null;
  tls_versions: TlsVersion[] | null;
  alpn_protocols: AlpnProtocol[] | null;
  provisioning_status: ProvisioningStatus | null;
}
export interface L7Rule {
  id: string;
  type: L7RuleType;
  compare_type: L7CompareType;
  key: string | null;
  value: string;
  invert: boolean;
  admin_state_up: boolean;
  provisioning_status: ProvisioningStatus | null;
}
export interface L7Policy {
  id: string;
  name: string;
  position: number;
  action: L7Action;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
  admin_state_up: boolean;
  rules: L7Rule[];
  provisioning_status: ProvisioningStatus | null;
}
export interface Listener {
  id: string;
  name: string;
  description: string;
  protocol: ListenerProtocol;
  protocol_port: number;
  admin_state_up: boolean;
  connection_limit: number;
  default_pool_id: string | null;
  insert_headers: Record<string, string>;
  timeout_client_data: number;
  timeout_member_connect: number;
  timeout_member_data: number;
  timeout_tcp_inspect: number;
  allowed_cidrs: string[];
  default_tls_container: TlsContainer | null;
  sni_containers: TlsContainer[];
  client_authentication: ClientAuthentication;
  client_ca_tls_container: PemSecret | null;
  client_crl_container: PemSecret | null;
  tls_ciphers: string | null;
  tls_versions: TlsVersion[] | null;
  alpn_protocols: AlpnProtocol[] | null;
  hsts_max_age: number | null;
  hsts_include_subdomains: boolean;
  hsts_preload: boolean;
  l7policies: L7Policy[];
  provisioning_status: ProvisioningStatus | null;
}
export interface LoadBalancer {
  id: string;
  name: string;
  description: string;
  project_id: string;
  admin_state_up: boolean;
  topology: Topology;
  vip: Vip;
  additional_vips: Vip[];
  amphorae: Amphora[];
  vrrp_group: VrrpGroup | null;
  listeners: Listener[];
  pools: Pool[];
}
export interface LoadBalancerModel {
  loadbalancer: LoadBalancer;
}

export interface ValidationOptions {
  /** Operator `tls_cipher_prohibit_list` (colon separated); empty by default. */
  cipherProhibitList?: string;
  defaultListenerCiphers?: string;
  defaultPoolCiphers?: string;
}

export type ValidationResult =
  | { ok: true; model: LoadBalancerModel; warnings: string[] }
  | { ok: false; errors: FieldError[] };

// ---------------------------------------------------------------------------------------------
// Field patterns. Each one keeps a printed value to a single, unambiguous config token.

/** Ids name frontends, backends, servers, files: `[A-Za-z0-9_-]`, never `:` (backend separator). */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const ID_REASON = 'must be 1-64 characters from A-Z a-z 0-9 _ -';
/** Interface names as the kernel allows them, restricted to safe characters. */
const INTERFACE_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;
/** RFC 3986 path (+ query) characters, without `#` (a comment in haproxy and keepalived) or quotes. */
const URL_PATH_PATTERN = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;
const DOMAIN_NAME_PATTERN = /^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$/;
const EXPECTED_CODES_PATTERN = /^(\d{3}(\s*,\s*\d{3})*)$|^(\d{3}-\d{3})$/;
/** HTTP token characters (RFC 7230) minus `#` and `'`, which haproxy would read as comment / quote. */
const HEADER_NAME_PATTERN = /^[A-Za-z0-9!$%&*+.^_`|~-]+$/;
const DN_FIELD_PATTERN = /^[a-zA-Z][A-Za-z0-9-]*$/;
/** Cookie names: Octavia's forbidden set plus `#` and `'` (comment / quote in haproxy). */
const COOKIE_NAME_FORBIDDEN = /[\u0000-\u0020"#'(),/:-@[-\]{}\u007f-\uffff]/;
const HEADER_VALUE_PATTERN = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~\\]+$/;
const QUOTED_HEADER_VALUE_PATTERN = /^"[A-Za-z0-9 !"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~\\]*"$/;
const COOKIE_VALUE_PATTERN = /^[A-Za-z0-9!#$%&'()*+\-./:<=>?@[\]^_`{|}~]+$/;
const VRRP_PASS_PATTERN = /^[A-Za-z0-9]{1,8}$/;
const PEM_PATTERN = /^-----BEGIN [A-Z0-9 ]+-----[\s\S]*-----END [A-Z0-9 ]+-----\s*$/;
const CERT_FILE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,250}\.pem$/;

const LISTENER_POOL_PROTOCOLS: Record<ListenerProtocol, readonly PoolProtocol[]> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

export function isLvsProtocol(protocol: string): protocol is 'UDP' | 'SCTP' {
  return protocol === 'UDP' || protocol === 'SCTP';
}

export function monitorTypesFor(poolProtocol: PoolProtocol): readonly MonitorType[] {
  return isLvsProtocol(poolProtocol) ? ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'] : ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO'];
}

/** The Python-compatible cipher check plus the operator prohibit list; returns a reason or null. */
export function cipherProblem(value: string, prohibitList = ''): string | null {
  if (!VALID_CIPHERS.test(value)) {
    return 'has invalid characters: only letters, digits and - + ! : @ = _ . are allowed';
  }
  const prohibited = new Set(prohibitList.split(':').filter((c) => c !== ''));
  const rejected = value.split(':').filter((c) => prohibited.has(c));
  if (rejected.length > 0) return `contains prohibited ciphers: ${rejected.join(', ')}`;
  return null;
}

/** Checks a redirect URL / prefix (upstream fix of 2026 plus haproxy-specific hardening). */
export function redirectUrlProblem(value: string): string | null {
  if (INVALID_URL_CHARS.test(value)) return 'must not contain spaces or control characters';
  // `#` would start an haproxy comment and silently drop the `if <acl>` condition; quotes and
  // backslashes would be interpreted by haproxy's line parser.
  if (/[#"'\\]/.test(value)) return 'must not contain #, quotes or backslashes';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use the http or https scheme';
  if (url.hostname === '') return 'must have a host';
  return null;
}

/** Octavia's `expand_expected_codes`, returned in ascending order. */
export function expandExpectedCodes(codes: string): number[] {
  const result = new Set<number>();
  for (const part of codes.split(/,\s*/)) {
    const range = /^(\d{3})-(\d{3})$/.exec(part.trim());
    if (range?.[1] && range[2]) {
      for (let code = Number(range[1]); code <= Number(range[2]); code++) result.add(code);
    } else if (/^\d{3}$/.test(part.trim())) {
      result.add(Number(part.trim()));
    }
  }
  return [...result].sort((a, b) => a - b);
}

export function isFileReference(value: unknown): value is FileReference {
  return isObject(value) && typeof value.file === 'string';
}

/** File name of a TLS container or secret inside the load balancer's certificate folder. */
export function secretFileName(secret: TlsContainer | PemSecret): string {
  if (typeof secret === 'string') return `${sha1Hex(secret)}.pem`;
  if (isFileReference(secret)) return secret.file;
  return `${sha1Hex(secret.certificate)}.pem`;
}

export function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------

export function validateModel(input: unknown, options: ValidationOptions = {}): ValidationResult {
  const check = new Checker();
  const warnings: string[] = [];
  const root = check.object(input, '');
  if (!root) return { ok: false, errors: check.errors };
  check.noUnknownKeys(root, '', ['loadbalancer']);
  const lbObj = check.object(root.loadbalancer, 'loadbalancer');
  if (!lbObj) return { ok: false, errors: check.errors };
  const lb = readLoadBalancer(check, lbObj, 'loadbalancer', options);
  if (lb) crossCheck(check, lb, warnings, options);
  if (check.errors.length > 0 || !lb) return { ok: false, errors: check.errors };
  return { ok: true, model: { loadbalancer: lb }, warnings };
}

/** Throws a readable error (all field errors on one line each) when the model is invalid. */
export function formatErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.reason}`).join('; ');
}

function readId(check: Checker, obj: JsonObject, key: string, path: string, required = true): string | undefined {
  const value = check.string(obj, key, path, { required, max: 64, pattern: ID_PATTERN, patternReason: ID_REASON });
  if (value !== undefined && /prometheus/i.test(value)) {
    // The stats readers skip every proxy whose name contains this word.
    check.fail(join(path, key), 'must not contain the word "prometheus"');
    return undefined;
  }
  return value;
}

function readName(check: Checker, obj: JsonObject, key: string, path: string): string {
  return check.string(obj, key, path, { max: 255 }) ?? '';
}

function readIp(check: Checker, obj: JsonObject, key: string, path: string, required: boolean): string | undefined {
  const value = check.string(obj, key, path, { required, max: 45 });
  if (value === undefined) return undefined;
  if (ipFamily(value) === 0) {
    check.fail(join(path, key), 'must be an IPv4 or IPv6 address');
    return undefined;
  }
  return value;
}

function readStatus(check: Checker, obj: JsonObject, path: string): ProvisioningStatus | null {
  return check.choice(obj, 'provisioning_status', path, PROVISIONING_STATUSES) ?? null;
}

function readLoadBalancer(check: Checker, obj: JsonObject, path: string, options: ValidationOptions): LoadBalancer | undefined {
  check.noUnknownKeys(obj, path, [
    'id',
    'name',
    'description',
    'project_id',
    'admin_state_up',
    'topology',
    'vip',
    'vip_address',
    'additional_vips',
    'amphorae',
    'vrrp_group',
    'listeners',
    'pools',
    'provisioning_status',
    'operating_status',
  ]);
  const id = readId(check, obj, 'id', path);
  const projectId =
    check.string(obj, 'project_id', path, { max: 64, pattern: /^[A-Za-z0-9_-]*$/, patternReason: 'must use only A-Z a-z 0-9 _ -' }) ??
    '';
  let vip: Vip | undefined;
  if (obj.vip === undefined && typeof obj.vip_address === 'string') {
    // Shorthand accepted from clients that only know the address.
    const ip = readIp(check, obj, 'vip_address', path, true);
    if (ip) vip = { ip_address: ip, subnet: null };
  } else {
    const vipObj = check.object(obj.vip, join(path, 'vip'));
    if (vipObj) vip = readVip(check, vipObj, join(path, 'vip'));
  }
  const additionalVips = check
    .array(obj.additional_vips, join(path, 'additional_vips'))
    .map((v, i) => {
      const at = join(join(path, 'additional_vips'), i);
      const o = check.object(v, at);
      return o ? readVip(check, o, at) : undefined;
    })
    .filter((v): v is Vip => v !== undefined);
  const amphorae = check
    .array(obj.amphorae, join(path, 'amphorae'))
    .map((a, i) => readAmphora(check, a, join(join(path, 'amphorae'), i)))
    .filter((a): a is Amphora => a !== undefined);
  const vrrpGroup = obj.vrrp_group === undefined || obj.vrrp_group === null ? null : readVrrpGroup(check, obj.vrrp_group, join(path, 'vrrp_group'), id);
  const listeners = check
    .array(obj.listeners, join(path, 'listeners'))
    .map((l, i) => readListener(check, l, join(join(path, 'listeners'), i), options))
    .filter((l): l is Listener => l !== undefined);
  const pools = check
    .array(obj.pools, join(path, 'pools'))
    .map((p, i) => readPool(check, p, join(join(path, 'pools'), i), options))
    .filter((p): p is Pool => p !== undefined);
  if (id === undefined || vip === undefined) return undefined;
  return {
    id,
    name: readName(check, obj, 'name', path),
    description: readName(check, obj, 'description', path),
    project_id: projectId,
    admin_state_up: check.boolean(obj, 'admin_state_up', path, true),
    topology: check.choice(obj, 'topology', path, TOPOLOGIES) ?? 'SINGLE',
    vip,
    additional_vips: additionalVips,
    amphorae,
    vrrp_group: vrrpGroup ?? null,
    listeners,
    pools,
  };
}

function readVip(check: Checker, obj: JsonObject, path: string): Vip | undefined {
  check.noUnknownKeys(obj, path, ['ip_address', 'subnet', 'subnet_id', 'port_id']);
  const ip = readIp(check, obj, 'ip_address', path, true);
  let subnet: Subnet | null = null;
  if (obj.subnet !== undefined && obj.subnet !== null) {
    const at = join(path, 'subnet');
    const s = check.object(obj.subnet, at);
    if (s) {
      check.noUnknownKeys(s, at, ['cidr', 'gateway_ip', 'host_routes', 'id']);
      const cidr = check.string(s, 'cidr', at, { required: true, max: 64 });
      if (cidr !== undefined) {
        const parsed = parseNetwork(cidr);
        if (typeof parsed === 'string') check.fail(join(at, 'cidr'), parsed);
      }
      const gateway = readIp(check, s, 'gateway_ip', at, false) ?? null;
      const routes = check
        .array(s.host_routes, join(at, 'host_routes'))
        .map((r, i) => {
          const rat = join(join(at, 'host_routes'), i);
          const ro = check.object(r, rat);
          if (!ro) return undefined;
          const destination = check.string(ro, 'destination', rat, { required: true, max: 64 });
          if (destination !== undefined && typeof parseNetwork(destination) === 'string') {
            check.fail(join(rat, 'destination'), 'must be a network CIDR');
          }
          const nexthop = readIp(check, ro, 'nexthop', rat, true);
          return destination && nexthop ? { destination, nexthop } : undefined;
        })
        .filter((r): r is HostRoute => r !== undefined);
      if (cidr !== undefined) subnet = { cidr, gateway_ip: gateway, host_routes: routes };
    }
  }
  return ip === undefined ? undefined : { ip_address: ip, subnet };
}

function readAmphora(check: Checker, value: unknown, path: string): Amphora | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  const id = readId(check, obj, 'id', path);
  const vrrpInterface =
    check.string(obj, 'vrrp_interface', path, { max: 15, pattern: INTERFACE_PATTERN, patternReason: 'must be an interface name' }) ??
    null;
  const amphora: Amphora = {
    id: id ?? '',
    status: check.string(obj, 'status', path, { max: 32, pattern: /^[A-Z_]+$/, patternReason: 'must be an amphora status' }) ?? 'ALLOCATED',
    role: check.choice(obj, 'role', path, ['MASTER', 'BACKUP', 'STANDALONE']) ?? null,
    vrrp_ip: readIp(check, obj, 'vrrp_ip', path, false) ?? null,
    vrrp_interface: vrrpInterface,
    vrrp_id: check.integer(obj, 'vrrp_id', path, { min: 1, max: 255 }) ?? 1,
    vrrp_priority: check.integer(obj, 'vrrp_priority', path, { min: 1, max: 254 }) ?? null,
  };
  return id === undefined ? undefined : amphora;
}

function readVrrpGroup(check: Checker, value: unknown, path: string, lbId: string | undefined): VrrpGroup | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  return {
    vrrp_group_name:
      check.string(obj, 'vrrp_group_name', path, { max: 64, pattern: /^[A-Za-z0-9_-]+$/, patternReason: ID_REASON }) ??
      (lbId ?? '').replaceAll('-', ''),
    vrrp_auth_type: check.choice(obj, 'vrrp_auth_type', path, ['PASS', 'AH'] as const) ?? 'PASS',
    vrrp_auth_pass:
      check.string(obj, 'vrrp_auth_pass', path, {
        required: true,
        max: 8,
        pattern: VRRP_PASS_PATTERN,
        patternReason: 'must be 1-8 letters or digits',
      }) ?? '',
    advert_int: check.integer(obj, 'advert_int', path, { min: 1, max: 255 }) ?? 1,
  };
}

function readTlsContainer(check: Checker, value: unknown, path: string): TlsContainer | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  if ('file' in obj) {
    check.noUnknownKeys(obj, path, ['file']);
    const file = check.string(obj, 'file', path, { required: true, pattern: CERT_FILE_PATTERN, patternReason: 'must be a file name like <name>.pem' });
    return file === undefined ? undefined : { file };
  }
  check.noUnknownKeys(obj, path, ['certificate', 'private_key', 'intermediates']);
  const certificate = readPem(check, obj.certificate, join(path, 'certificate'), true);
  const privateKey = readPem(check, obj.private_key, join(path, 'private_key'), true);
  const intermediates = check
    .array(obj.intermediates, join(path, 'intermediates'))
    .map((p, i) => readPem(check, p, join(join(path, 'intermediates'), i), true))
    .filter((p): p is string => p !== undefined);
  if (certificate === undefined || privateKey === undefined) return undefined;
  return { certificate, private_key: privateKey, intermediates };
}

function readPem(check: Checker, value: unknown, path: string, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) check.fail(path, 'is required');
    return undefined;
  }
  if (typeof value !== 'string' || !PEM_PATTERN.test(value) || value.length > 1_000_000) {
    check.fail(path, 'must be PEM text (-----BEGIN ...-----)');
    return undefined;
  }
  return value;
}

function readSecret(check: Checker, obj: JsonObject, key: string, path: string): PemSecret | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  const at = join(path, key);
  if (typeof value === 'string') return readPem(check, value, at, true) ?? null;
  const o = check.object(value, at);
  if (!o) return null;
  check.noUnknownKeys(o, at, ['file']);
  return check.string(o, 'file', at, { required: true, pattern: CERT_FILE_PATTERN, patternReason: 'must be a file name like <name>.pem' }) !== undefined
    ? { file: o.file as string }
    : null;
}

function readEnumList<T extends string>(
  check: Checker,
  obj: JsonObject,
  key: string,
  path: string,
  allowed: readonly T[],
  fallback: T[] | null,
): T[] | null {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (value === null) return null;
  const at = join(path, key);
  if (!Array.isArray(value) || value.length === 0) {
    check.fail(at, `must be a non-empty array of ${allowed.join(', ')}`);
    return fallback;
  }
  const result: T[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string' && (allowed as readonly string[]).includes(item)) {
      if (!result.includes(item as T)) result.push(item as T);
    } else {
      check.fail(join(at, i), `must be one of ${allowed.join(', ')}`);
    }
  });
  return result;
}

function readCiphers(check: Checker, obj: JsonObject, path: string, fallback: string | null, options: ValidationOptions): string | null {
  const value = obj.tls_ciphers;
  if (value === undefined) return fallback;
  if (value === null) return null;
  const at = join(path, 'tls_ciphers');
  if (typeof value !== 'string') {
    check.fail(at, 'must be a string');
    return null;
  }
  const problem = cipherProblem(value, options.cipherProhibitList);
  if (problem) {
    check.fail(at, problem);
    return null;
  }
  if (value.length > 2048) check.fail(at, 'must be at most 2048 characters');
  return value;
}

function readTimeout(check: Checker, obj: JsonObject, key: string, path: string, fallback: number): number {
  // 0 and null mean "the operator default" (Octavia's Python truthiness), except tcp_inspect.
  const value = check.integer(obj, key, path, { min: 0, max: MAX_TIMEOUT_MS });
  return value === undefined ? fallback : value;
}

function readListener(check: Checker, value: unknown, path: string, options: ValidationOptions): Listener | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  check.noUnknownKeys(obj, path, [
    'id', 'name', 'description', 'protocol', 'protocol_port', 'admin_state_up', 'connection_limit', 'default_pool_id',
    'insert_headers', 'timeout_client_data', 'timeout_member_connect', 'timeout_member_data', 'timeout_tcp_inspect',
    'allowed_cidrs', 'default_tls_container', 'sni_containers', 'client_authentication', 'client_ca_tls_container',
    'client_crl_container', 'tls_ciphers', 'tls_versions', 'alpn_protocols', 'hsts_max_age', 'hsts_include_subdomains',
    'hsts_preload', 'l7policies', 'provisioning_status', 'operating_status', 'peer_port',
  ]);
  const id = readId(check, obj, 'id', path);
  const protocol = check.choice(obj, 'protocol', path, LISTENER_PROTOCOLS, { required: true });
  const port = check.integer(obj, 'protocol_port', path, { min: 1, max: 65535 }, { required: true });
  const terminated = protocol === 'TERMINATED_HTTPS';

  const headers: Record<string, string> = {};
  if (obj.insert_headers !== undefined && obj.insert_headers !== null) {
    const at = join(path, 'insert_headers');
    const h = check.object(obj.insert_headers, at);
    for (const [key, v] of Object.entries(h ?? {})) {
      if (!(INSERT_HEADERS as readonly string[]).includes(key)) {
        check.fail(join(at, key), `is not a supported header (${INSERT_HEADERS.join(', ')})`);
      } else if (typeof v !== 'string' && typeof v !== 'boolean') {
        check.fail(join(at, key), 'must be "true" or "false"');
      } else {
        const text = String(v);
        if (check.checkText(text, join(at, key), { max: 16 }) !== undefined) headers[key] = text;
      }
    }
  }
  const allowedCidrs = check
    .array(obj.allowed_cidrs, join(path, 'allowed_cidrs'))
    .map((c, i) => {
      const at = join(join(path, 'allowed_cidrs'), i);
      if (typeof c !== 'string' || typeof parseNetwork(c) === 'string') {
        check.fail(at, 'must be a network CIDR');
        return undefined;
      }
      return c;
    })
    .filter((c): c is string => c !== undefined);

  const defaultTls =
    obj.default_tls_container === undefined || obj.default_tls_container === null
      ? null
      : (readTlsContainer(check, obj.default_tls_container, join(path, 'default_tls_container')) ?? null);
  const sni = check
    .array(obj.sni_containers, join(path, 'sni_containers'))
    .map((c, i) => readTlsContainer(check, c, join(join(path, 'sni_containers'), i)))
    .filter((c): c is TlsContainer => c !== undefined);
  const hstsMaxAge = check.integer(obj, 'hsts_max_age', path, { min: 0, max: 2 ** 31 - 1 }) ?? null;

  const policies = check
    .array(obj.l7policies, join(path, 'l7policies'))
    .map((p, i) => readPolicy(check, p, join(join(path, 'l7policies'), i), i + 1))
    .filter((p): p is L7Policy => p !== undefined);
  // Render order is position order; equal positions keep their list order.
  policies.sort((a, b) => a.position - b.position);

  if (id === undefined || protocol === undefined || port === undefined) return undefined;
  return {
    id,
    name: readName(check, obj, 'name', path),
    description: readName(check, obj, 'description', path),
    protocol,
    protocol_port: port,
    admin_state_up: check.boolean(obj, 'admin_state_up', path, true),
    connection_limit: check.integer(obj, 'connection_limit', path, { min: -1, max: 2 ** 31 - 1 }) ?? -1,
    default_pool_id: readId(check, obj, 'default_pool_id', path, false) ?? null,
    insert_headers: headers,
    timeout_client_data: readTimeout(check, obj, 'timeout_client_data', path, 50000),
    timeout_member_connect: readTimeout(check, obj, 'timeout_member_connect', path, 5000),
    timeout_member_data: readTimeout(check, obj, 'timeout_member_data', path, 50000),
    timeout_tcp_inspect: readTimeout(check, obj, 'timeout_tcp_inspect', path, 0),
    allowed_cidrs: allowedCidrs,
    default_tls_container: defaultTls,
    sni_containers: sni,
    client_authentication: check.choice(obj, 'client_authentication', path, CLIENT_AUTH_MODES) ?? 'NONE',
    client_ca_tls_container: readSecret(check, obj, 'client_ca_tls_container', path),
    client_crl_container: readSecret(check, obj, 'client_crl_container', path),
    tls_ciphers: readCiphers(check, obj, path, terminated ? (options.defaultListenerCiphers ?? OWASP_SUITE_B_CIPHERS) : null, options),
    tls_versions: readEnumList(check, obj, 'tls_versions', path, TLS_VERSIONS, terminated ? [...DEFAULT_TLS_VERSIONS] : null),
    alpn_protocols: readEnumList(check, obj, 'alpn_protocols', path, ALPN_PROTOCOLS, terminated ? [...DEFAULT_ALPN] : null),
    hsts_max_age: hstsMaxAge,
    hsts_include_subdomains: check.boolean(obj, 'hsts_include_subdomains', path, false),
    hsts_preload: check.boolean(obj, 'hsts_preload', path, false),
    l7policies: policies,
    provisioning_status: readStatus(check, obj, path),
  };
}

function readPolicy(check: Checker, value: unknown, path: string, defaultPosition: number): L7Policy | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  check.noUnknownKeys(obj, path, [
    'id', 'name', 'description', 'position', 'action', 'redirect_pool_id', 'redirect_url', 'redirect_prefix',
    'redirect_http_code', 'admin_state_up', 'rules', 'provisioning_status', 'operating_status',
  ]);
  const id = readId(check, obj, 'id', path);
  const action = check.choice(obj, 'action', path, L7_ACTIONS, { required: true });
  const url = check.string(obj, 'redirect_url', path, { max: 2000 }) ?? null;
  const prefix = check.string(obj, 'redirect_prefix', path, { max: 2000 }) ?? null;
  for (const [key, v] of [['redirect_url', url], ['redirect_prefix', prefix]] as const) {
    if (v === null) continue;
    const problem = redirectUrlProblem(v);
    if (problem) check.fail(join(path, key), problem);
  }
  // Raw control characters are refused by check.string before reaching the URL checks; report
  // the same clear reason for spaces or C1 characters that check.string lets through.
  const code = obj.redirect_http_code;
  let httpCode: number | null = null;
  if (code !== undefined && code !== null) {
    if (typeof code !== 'number' || ![301, 302, 303, 307, 308].includes(code)) {
      check.fail(join(path, 'redirect_http_code'), 'must be one of 301, 302, 303, 307, 308');
    } else {
      httpCode = code;
    }
  }
  const redirectPoolId = readId(check, obj, 'redirect_pool_id', path, false) ?? null;
  if (action === 'REDIRECT_TO_URL') {
    if (url === null) check.fail(join(path, 'redirect_url'), 'is required for REDIRECT_TO_URL');
    httpCode ??= 302;
  }
  if (action === 'REDIRECT_PREFIX') {
    if (prefix === null) check.fail(join(path, 'redirect_prefix'), 'is required for REDIRECT_PREFIX');
    httpCode ??= 302;
  }
  if (action === 'REDIRECT_TO_POOL' && redirectPoolId === null) {
    check.fail(join(path, 'redirect_pool_id'), 'is required for REDIRECT_TO_POOL');
  }
  const rulesRaw = check.array(obj.rules, join(path, 'rules'));
  if (rulesRaw.length > MAX_L7_RULES_PER_POLICY) check.fail(join(path, 'rules'), `must hold at most ${MAX_L7_RULES_PER_POLICY} rules`);
  const rules = rulesRaw
    .map((r, i) => readRule(check, r, join(join(path, 'rules'), i)))
    .filter((r): r is L7Rule => r !== undefined);
  const position = check.integer(obj, 'position', path, { min: 1, max: 2147483647 }) ?? defaultPosition;
  if (id === undefined || action === undefined) return undefined;
  return {
    id,
    name: readName(check, obj, 'name', path),
    position,
    action,
    redirect_pool_id: action === 'REDIRECT_TO_POOL' ? redirectPoolId : null,
    redirect_url: action === 'REDIRECT_TO_URL' ? url : null,
    redirect_prefix: action === 'REDIRECT_PREFIX' ? prefix : null,
    redirect_http_code: action === 'REDIRECT_TO_URL' || action === 'REDIRECT_PREFIX' ? httpCode : null,
    admin_state_up: check.boolean(obj, 'admin_state_up', path, true),
    rules,
    provisioning_status: readStatus(check, obj, path),
  };
}

function regexProblem(value: string): string | null {
  try {
    new RegExp(value);
    return null;
  } catch {
    return 'must be a valid regular expression';
  }
}

function headerValueProblem(value: string): string | null {
  if (HEADER_VALUE_PATTERN.test(value) || QUOTED_HEADER_VALUE_PATTERN.test(value)) return null;
  return 'must be printable ASCII without spaces, or a double-quoted string';
}

function readRule(check: Checker, value: unknown, path: string): L7Rule | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  check.noUnknownKeys(obj, path, [
    'id', 'type', 'compare_type', 'key', 'value', 'invert', 'admin_state_up', 'provisioning_status', 'operating_status',
  ]);
  const id = readId(check, obj, 'id', path);
  const type = check.choice(obj, 'type', path, L7_RULE_TYPES, { required: true });
  const compare = check.choice(obj, 'compare_type', path, L7_COMPARE_TYPES, { required: true });
  const key = check.string(obj, 'key', path, { max: 255 }) ?? null;
  const ruleValue = check.string(obj, 'value', path, { required: true, max: 255 });
  if (type === undefined || compare === undefined || ruleValue === undefined || id === undefined) return undefined;
  const valueAt = join(path, 'value');
  const keyAt = join(path, 'key');
  const compareAt = join(path, 'compare_type');
  const problemFor = (problem: string | null, at: string) => {
    if (problem) check.fail(at, problem);
  };
  switch (type) {
    case 'HEADER':
    case 'COOKIE':
      if (key === null) check.fail(keyAt, `is required for ${type} rules`);
      else if (!HEADER_NAME_PATTERN.test(key)) check.fail(keyAt, 'must be an HTTP header token (no #, quotes or spaces)');
      if (compare === 'REGEX') problemFor(regexProblem(ruleValue), valueAt);
      else if (type === 'HEADER') problemFor(headerValueProblem(ruleValue), valueAt);
      else if (!COOKIE_VALUE_PATTERN.test(ruleValue)) check.fail(valueAt, 'must be a cookie value (printable ASCII, no space " ; \\)');
      break;
    case 'HOST_NAME':
    case 'PATH':
      if (key !== null) check.fail(keyAt, `is not used by ${type} rules`);
      problemFor(compare === 'REGEX' ? regexProblem(ruleValue) : headerValueProblem(ruleValue), valueAt);
      break;
    case 'FILE_TYPE':
      if (key !== null) check.fail(keyAt, 'is not used by FILE_TYPE rules');
      if (compare === 'REGEX') problemFor(regexProblem(ruleValue), valueAt);
      else if (compare === 'EQUAL_TO') problemFor(headerValueProblem(ruleValue), valueAt);
      else check.fail(compareAt, 'must be REGEX or EQUAL_TO for FILE_TYPE rules');
      break;
    case 'SSL_CONN_HAS_CERT':
      if (key !== null) check.fail(keyAt, 'is not used by SSL_CONN_HAS_CERT rules');
      if (ruleValue.toLowerCase() !== 'true') check.fail(valueAt, 'must be "true"');
      if (compare !== 'EQUAL_TO') check.fail(compareAt, 'must be EQUAL_TO for SSL_CONN_HAS_CERT rules');
      break;
    case 'SSL_VERIFY_RESULT':
      if (key !== null) check.fail(keyAt, 'is not used by SSL_VERIFY_RESULT rules');
      if (!/^\d+$/.test(ruleValue)) check.fail(valueAt, 'must be a decimal number');
      if (compare !== 'EQUAL_TO') check.fail(compareAt, 'must be EQUAL_TO for SSL_VERIFY_RESULT rules');
      break;
    case 'SSL_DN_FIELD':
      if (key === null || !DN_FIELD_PATTERN.test(key)) check.fail(keyAt, 'must be a distinguished-name field such as CN or OU');
      if (compare === 'REGEX') problemFor(regexProblem(ruleValue), valueAt);
      break;
  }
  return {
    id,
    type,
    compare_type: compare,
    key,
    value: ruleValue,
    invert: check.boolean(obj, 'invert', path, false),
    admin_state_up: check.boolean(obj, 'admin_state_up', path, true),
    provisioning_status: readStatus(check, obj, path),
  };
}

function readPool(check: Checker, value: unknown, path: string, options: ValidationOptions): Pool | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  check.noUnknownKeys(obj, path, [
    'id', 'name', 'description', 'protocol', 'lb_algorithm', 'admin_state_up', 'session_persistence', 'healthmonitor',
    'members', 'tls_enabled', 'tls_container', 'ca_tls_container', 'crl_container', 'tls_ciphers', 'tls_versions',
    'alpn_protocols', 'provisioning_status', 'operating_status',
  ]);
  const id = readId(check, obj, 'id', path);
  const protocol = check.choice(obj, 'protocol', path, POOL_PROTOCOLS, { required: true });
  const algorithm = check.choice(obj, 'lb_algorithm', path, LB_ALGORITHMS, { required: true });
  const tlsEnabled = check.boolean(obj, 'tls_enabled', path, false);
  if (tlsEnabled && protocol && isLvsProtocol(protocol)) check.fail(join(path, 'tls_enabled'), `is not supported for ${protocol} pools`);
  const persistence =
    obj.session_persistence === undefined || obj.session_persistence === null
      ? null
      : (readPersistence(check, obj.session_persistence, join(path, 'session_persistence'), protocol) ?? null);
  const monitor =
    obj.healthmonitor === undefined || obj.healthmonitor === null
      ? null
      : (readMonitor(check, obj.healthmonitor, join(path, 'healthmonitor'), protocol) ?? null);
  const members = check
    .array(obj.members, join(path, 'members'))
    .map((m, i) => readMember(check, m, join(join(path, 'members'), i)))
    .filter((m): m is Member => m !== undefined);
  const seen = new Set<string>();
  members.forEach((m, i) => {
    if (seen.has(m.id)) check.fail(join(join(join(path, 'members'), i), 'id'), 'is used by another member of this pool');
    seen.add(m.id);
  });
  const tlsContainer =
    obj.tls_container === undefined || obj.tls_container === null
      ? null
      : (readTlsContainer(check, obj.tls_container, join(path, 'tls_container')) ?? null);
  if (id === undefined || protocol === undefined || algorithm === undefined) return undefined;
  if (algorithm === 'SOURCE_IP_PORT') {
    check.fail(join(path, 'lb_algorithm'), 'SOURCE_IP_PORT is not supported by the amphora provider');
  }
  return {
    id,
    name: readName(check, obj, 'name', path),
    description: readName(check, obj, 'description', path),
    protocol,
    lb_algorithm: algorithm,
    admin_state_up: check.boolean(obj, 'admin_state_up', path, true),
    session_persistence: persistence,
    healthmonitor: monitor,
    members,
    tls_enabled: tlsEnabled,
    tls_container: tlsContainer,
    ca_tls_container: readSecret(check, obj, 'ca_tls_container', path),
    crl_container: readSecret(check, obj, 'crl_container', path),
    tls_ciphers: readCiphers(check, obj, path, tlsEnabled ? (options.defaultPoolCiphers ?? OWASP_SUITE_B_CIPHERS) : null, options),
    tls_versions: readEnumList(check, obj, 'tls_versions', path, TLS_VERSIONS, tlsEnabled ? [...DEFAULT_TLS_VERSIONS] : null),
    alpn_protocols: readEnumList(check, obj, 'alpn_protocols', path, ALPN_PROTOCOLS, tlsEnabled ? [...DEFAULT_ALPN] : null),
    provisioning_status: readStatus(check, obj, path),
  };
}

function readPersistence(check: Checker, value: unknown, path: string, protocol: PoolProtocol | undefined): SessionPersistence | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  check.noUnknownKeys(obj, path, ['type', 'cookie_name', 'persistence_timeout', 'persistence_granularity']);
  const type = check.choice(obj, 'type', path, PERSISTENCE_TYPES, { required: true });
  const cookie = check.string(obj, 'cookie_name', path, { max: 255 }) ?? null;
  const lvs = protocol !== undefined && isLvsProtocol(protocol);
  if (cookie !== null) {
    if (type !== 'APP_COOKIE') check.fail(join(path, 'cookie_name'), 'can only be set with APP_COOKIE persistence');
    else if (COOKIE_NAME_FORBIDDEN.test(cookie) || cookie === '') check.fail(join(path, 'cookie_name'), 'is not a valid cookie name');
  } else if (type === 'APP_COOKIE') {
    check.fail(join(path, 'cookie_name'), 'is required with APP_COOKIE persistence');
  }
  if (lvs && type !== undefined && type !== 'SOURCE_IP') check.fail(join(path, 'type'), `must be SOURCE_IP for ${protocol} pools`);
  const timeout = check.integer(obj, 'persistence_timeout', path, { min: 0, max: 2 ** 31 - 1 }) ?? null;
  const granularity = check.string(obj, 'persistence_granularity', path, { max: 45 }) ?? null;
  if (granularity !== null && !isNetmaskLike(granularity)) check.fail(join(path, 'persistence_granularity'), 'must be a netmask such as 255.255.255.0');
  if (!lvs && (timeout !== null || granularity !== null)) {
    check.fail(path, 'persistence_timeout and persistence_granularity apply only to UDP and SCTP pools');
  }
  if (type === undefined) return undefined;
  return { type, cookie_name: cookie, persistence_timeout: timeout, persistence_granularity: granularity };
}

function readMonitor(check: Checker, value: unknown, path: string, poolProtocol: PoolProtocol | undefined): HealthMonitor | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  check.noUnknownKeys(obj, path, [
    'id', 'name', 'type', 'delay', 'timeout', 'max_retries', 'max_retries_down', 'http_method', 'url_path',
    'expected_codes', 'http_version', 'domain_name', 'admin_state_up', 'provisioning_status', 'operating_status',
  ]);
  const id = readId(check, obj, 'id', path);
  const type = check.choice(obj, 'type', path, MONITOR_TYPES, { required: true });
  if (type && poolProtocol && !monitorTypesFor(poolProtocol).includes(type)) {
    check.fail(join(path, 'type'), `must be one of ${monitorTypesFor(poolProtocol).join(', ')} for ${poolProtocol} pools`);
  }
  const http = type === 'HTTP' || type === 'HTTPS';
  for (const key of ['http_method', 'url_path', 'expected_codes', 'http_version', 'domain_name'] as const) {
    if (!http && obj[key] !== undefined && obj[key] !== null) check.fail(join(path, key), `is only used by HTTP and HTTPS monitors`);
  }
  const urlPath = check.string(obj, 'url_path', path, {
    max: 2048,
    pattern: URL_PATH_PATTERN,
    patternReason: 'must be a URL path starting with / (no spaces, #, quotes or backslashes)',
  });
  const codes = check.string(obj, 'expected_codes', path, {
    max: 64,
    pattern: EXPECTED_CODES_PATTERN,
    patternReason: 'must be a code (200), a list (200,202) or a range (200-204)',
  });
  let httpVersion: 1.0 | 1.1 | null = null;
  if (obj.http_version !== undefined && obj.http_version !== null) {
    if (obj.http_version === 1 || obj.http_version === 1.0 || obj.http_version === '1.0') httpVersion = 1.0;
    else if (obj.http_version === 1.1 || obj.http_version === '1.1') httpVersion = 1.1;
    else check.fail(join(path, 'http_version'), 'must be 1.0 or 1.1');
  }
  const domain = check.string(obj, 'domain_name', path, { max: 253, pattern: DOMAIN_NAME_PATTERN, patternReason: 'must be a host name' }) ?? null;
  if (domain !== null && httpVersion !== 1.1) check.fail(join(path, 'domain_name'), 'requires http_version 1.1');
  const delay = check.integer(obj, 'delay', path, { min: 0, max: 2 ** 31 - 1 }, { required: true });
  const timeout = check.integer(obj, 'timeout', path, { min: 0, max: 2 ** 31 - 1 }, { required: true });
  const rise = check.integer(obj, 'max_retries', path, { min: 1, max: 10 }, { required: true });
  const fall = check.integer(obj, 'max_retries_down', path, { min: 1, max: 10 }) ?? 3;
  const method = check.choice(obj, 'http_method', path, HTTP_METHODS);
  if (id === undefined || type === undefined || delay === undefined || timeout === undefined || rise === undefined) return undefined;
  return {
    id,
    name: readName(check, obj, 'name', path),
    type,
    delay,
    timeout,
    max_retries: rise,
    max_retries_down: fall,
    http_method: http ? (method ?? 'GET') : null,
    url_path: http ? (urlPath ?? '/') : null,
    expected_codes: http ? (codes ?? '200') : null,
    http_version: httpVersion,
    domain_name: domain,
    admin_state_up: check.boolean(obj, 'admin_state_up', path, true),
    provisioning_status: readStatus(check, obj, path),
  };
}

function readMember(check: Checker, value: unknown, path: string): Member | undefined {
  const obj = check.object(value, path);
  if (!obj) return undefined;
  check.noUnknownKeys(obj, path, [
    'id', 'name', 'address', 'protocol_port', 'weight', 'backup', 'admin_state_up', 'monitor_address', 'monitor_port',
    'subnet_id', 'provisioning_status', 'operating_status',
  ]);
  const id = readId(check, obj, 'id', path);
  const address = readIp(check, obj, 'address', path, true);
  const port = check.integer(obj, 'protocol_port', path, { min: 1, max: 65535 }, { required: true });
  if (id === undefined || address === undefined || port === undefined) return undefined;
  return {
    id,
    name: readName(check, obj, 'name', path),
    address,
    protocol_port: port,
    weight: check.integer(obj, 'weight', path, { min: 0, max: 256 }) ?? 1,
    backup: check.boolean(obj, 'backup', path, false),
    admin_state_up: check.boolean(obj, 'admin_state_up', path, true),
    monitor_address: readIp(check, obj, 'monitor_address', path, false) ?? null,
    monitor_port: check.integer(obj, 'monitor_port', path, { min: 1, max: 65535 }) ?? null,
    provisioning_status: readStatus(check, obj, path),
  };
}

/** Constraints between objects (config-rendering.md §1.5). */
function crossCheck(check: Checker, lb: LoadBalancer, warnings: string[], _options: ValidationOptions): void {
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
  lb.amphorae.forEach((a, i) => {
    if (lb.amphorae.findIndex((o) => o.id === a.id) !== i) check.fail(`${base}.amphorae[${i}].id`, 'duplicates another amphora id');
  });

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
