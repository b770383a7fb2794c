import { crossCheck } from './cross-check.ts';
import { cipherProblem, isLvsProtocol, monitorTypesFor, redirectUrlProblem } from './rules.ts';
import { ALPN_PROTOCOLS, DEFAULT_ALPN, DEFAULT_TLS_VERSIONS, type Amphora, CLIENT_AUTH_MODES, type HealthMonitor, type HostRoute, HTTP_METHODS, INSERT_HEADERS, L7_ACTIONS, L7_COMPARE_TYPES, L7_RULE_TYPES, type L7Policy, type L7Rule, LB_ALGORITHMS, type Listener, LISTENER_PROTOCOLS, type LoadBalancer, MAX_L7_RULES_PER_POLICY, MAX_TIMEOUT_MS, type Member, MONITOR_TYPES, OWASP_SUITE_B_CIPHERS, type PemSecret, PERSISTENCE_TYPES, type Pool, POOL_PROTOCOLS, type PoolProtocol, PROVISIONING_STATUSES, type ProvisioningStatus, type SessionPersistence, type Subnet, TLS_VERSIONS, type TlsContainer, TOPOLOGIES, type ValidationOptions, type ValidationResult, type Vip, type VrrpGroup } from './types.ts';
import { MAX_REPORTED_ERRORS, MODEL_LIMITS } from './limits.ts';
import { Checker, type FieldError, join, type JsonObject } from './validation-kit.ts';
import { ipFamily, isNetmaskLike, parseNetwork } from '../util/ip.ts';

/**
 * Validation of an uploaded model: every field checked with its path, Octavia's API defaults
 * filled in, then the constraints between objects (cross-check.ts).
 */

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
  const shown = errors.slice(0, MAX_REPORTED_ERRORS).map((e) => `${e.path}: ${e.reason}`);
  if (errors.length > MAX_REPORTED_ERRORS) shown.push(`and ${errors.length - MAX_REPORTED_ERRORS} more`);
  return shown.join('; ');
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
    .array(obj.additional_vips, join(path, 'additional_vips'), MODEL_LIMITS.additional_vips)
    .map((v, i) => {
      const at = join(join(path, 'additional_vips'), i);
      const o = check.object(v, at);
      return o ? readVip(check, o, at) : undefined;
    })
    .filter((v): v is Vip => v !== undefined);
  const amphorae = check
    .array(obj.amphorae, join(path, 'amphorae'), MODEL_LIMITS.amphorae)
    .map((a, i) => readAmphora(check, a, join(join(path, 'amphorae'), i)))
    .filter((a): a is Amphora => a !== undefined);
  const vrrpGroup = obj.vrrp_group === undefined || obj.vrrp_group === null ? null : readVrrpGroup(check, obj.vrrp_group, join(path, 'vrrp_group'), id);
  const listeners = check
    .array(obj.listeners, join(path, 'listeners'), MODEL_LIMITS.listeners)
    .map((l, i) => readListener(check, l, join(join(path, 'listeners'), i), options))
    .filter((l): l is Listener => l !== undefined);
  const pools = check
    .array(obj.pools, join(path, 'pools'), MODEL_LIMITS.pools)
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
        .array(s.host_routes, join(at, 'host_routes'), MODEL_LIMITS.host_routes)
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
    .array(obj.intermediates, join(path, 'intermediates'), MODEL_LIMITS.intermediates)
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
    .array(obj.allowed_cidrs, join(path, 'allowed_cidrs'), MODEL_LIMITS.allowed_cidrs)
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
    .array(obj.sni_containers, join(path, 'sni_containers'), MODEL_LIMITS.sni_containers)
    .map((c, i) => readTlsContainer(check, c, join(join(path, 'sni_containers'), i)))
    .filter((c): c is TlsContainer => c !== undefined);
  const hstsMaxAge = check.integer(obj, 'hsts_max_age', path, { min: 0, max: 2 ** 31 - 1 }) ?? null;

  const policies = check
    .array(obj.l7policies, join(path, 'l7policies'), MODEL_LIMITS.l7policies)
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
  const rulesRaw = check.array(obj.rules, join(path, 'rules'), MAX_L7_RULES_PER_POLICY);
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
    .array(obj.members, join(path, 'members'), MODEL_LIMITS.members)
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
