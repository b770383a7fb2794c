import type { FieldError } from './validation-kit.ts';

/**
 * The declarative load-balancer model: one JSON document per load balancer, field names as in
 * the Octavia v2 API (config-rendering.md §1). validation.ts checks everything the renderers
 * print (so that no value can break out of its config line), fills Octavia's API defaults and
 * returns the normalized model, or every error with its field path.
 */
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
