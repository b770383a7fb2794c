import { OWASP_SUITE_B_CIPHERS } from '../model/types.ts';

/**
 * Everything the renderers need besides the model (config-rendering.md §1.4): operator options,
 * host facts and haproxy feature flags. Renderers are pure functions of (model, context).
 */
export interface HaproxyFeatures {
  serverStateFile: boolean;
  httpReuse: boolean;
  poolAlpn: boolean;
  prometheus: boolean;
  insecureFork: boolean;
}

export interface MemInfo {
  MemFree: number;
  Buffers: number;
  Cached: number;
}

export interface RenderContext {
  /** This amphora: selects the VRRP self/peers and the haproxy `-L` peer name. */
  thisAmphoraId: string | null;
  features: HaproxyFeatures;
  cpuCount: number | null;
  activeTunedProfiles: string | null;
  meminfo: MemInfo | null;
  basePath: string;
  baseCertDir: string;
  /** `net_namespace` of LVS configs; empty: none (keepalived stays in its own namespace). */
  lvsNamespace: string;
  connectionLogging: boolean;
  userLogFormat: string;
  userLogFacility: number;
  administrativeLogFacility: number;
  logSocket: string;
  defaultConnectionLimit: number;
  stickSize: string;
  defaultListenerCiphers: string;
  defaultPoolCiphers: string;
  keepalivedVrrp: {
    checkInterval: number;
    failCount: number;
    successCount: number;
    garpRefreshInterval: number;
    garpRefreshCount: number;
  };
  /**
   * Hard limit on open files for haproxy, or null when unlimited/unknown. haproxy needs about
   * two descriptors per connection and refuses to start when maxconn does not fit.
   */
  maxOpenFiles: number | null;
}

export const DEFAULT_USER_LOG_FORMAT =
  '{{ project_id }} {{ lb_id }} %f %ci %cp %t %{+Q}r %ST %B %U %[ssl_c_verify] %{+Q}[ssl_c_s_dn] %b %s %Tt %tsc';

/** Feature flags of upstream `build_config` for a haproxy major.minor version. */
export function featuresForVersion(major: number, minor: number): HaproxyFeatures {
  const atLeast = (maj: number, min: number) => major > maj || (major === maj && minor >= min);
  return {
    serverStateFile: atLeast(1, 6),
    httpReuse: atLeast(1, 6),
    poolAlpn: atLeast(1, 9),
    prometheus: major >= 2,
    insecureFork: atLeast(2, 2),
  };
}

export const NO_FEATURES: HaproxyFeatures = {
  serverStateFile: false,
  httpReuse: false,
  poolAlpn: false,
  prometheus: false,
  insecureFork: false,
};

/** Operator defaults with every feature off and no host facts: upstream's golden-test setting. */
export function baseRenderContext(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    thisAmphoraId: null,
    features: { ...NO_FEATURES },
    cpuCount: null,
    activeTunedProfiles: null,
    meminfo: null,
    basePath: '/var/lib/octavia',
    lvsNamespace: 'amphora-haproxy',
    baseCertDir: '/var/lib/octavia/certs',
    connectionLogging: true,
    userLogFormat: DEFAULT_USER_LOG_FORMAT,
    userLogFacility: 0,
    administrativeLogFacility: 1,
    logSocket: '/run/rsyslog/octavia/log',
    defaultConnectionLimit: 50000,
    stickSize: '10k',
    defaultListenerCiphers: OWASP_SUITE_B_CIPHERS,
    defaultPoolCiphers: OWASP_SUITE_B_CIPHERS,
    keepalivedVrrp: { checkInterval: 5, failCount: 2, successCount: 2, garpRefreshInterval: 5, garpRefreshCount: 2 },
    maxOpenFiles: null,
    ...overrides,
  };
}
