import { join } from 'node:path';
import type Handlebars from 'handlebars';
import { handlebars } from '../util/handlebars-loader.ts';
import { templatesDir } from '../util/project-root.ts';
import { nodeFs } from '../util/builtins.ts';

const { readFileSync } = nodeFs;

/**
 * systemd units of the reference (§4.9.1, §4.9.4), rendered from templates/systemd/. Every
 * value interpolated here is an agent path, a validated id or a peer name (Base64 alphabet),
 * so no escaping is applied (the reference's HTML escaping is the wrong one for unit files).
 */
function load(name: string): Handlebars.TemplateDelegate {
  const source = readFileSync(join(templatesDir(), 'systemd', name), 'utf8');
  return handlebars().compile(source, { noEscape: true, strict: true });
}

let haproxyTemplate: Handlebars.TemplateDelegate | undefined;
let netnsTemplate: Handlebars.TemplateDelegate | undefined;

export interface HaproxyUnitValues {
  haproxyCommand: string;
  haproxyConfig: string;
  userGroupConfig: string;
  pidFile: string;
  peerName: string;
  /**
   * Agent-owned global section bounding old workers (agent/haproxy/worker-limits.ts), passed
   * after the user-group include; absent, the unit is the reference's byte for byte.
   */
  limitsConfig?: string;
  /** Empty: haproxy runs in the default namespace. */
  namespace: string;
  version: { major: number; minor: number };
}

/** Jinja drops the template's final newline; so do we, to stay byte-identical. */
function withoutFinalNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

export function renderHaproxyUnit(values: HaproxyUnitValues): string {
  haproxyTemplate ??= load('haproxy.service.hbs');
  return withoutFinalNewline(
    haproxyTemplate({
      haproxyCommand: values.haproxyCommand,
      haproxyConfig: values.haproxyConfig,
      userGroupConfig: values.userGroupConfig,
      pidFile: values.pidFile,
      peerName: values.peerName,
      limitsConfig: values.limitsConfig ?? '',
      namespacePrefix: values.namespace ? `/sbin/ip netns exec ${values.namespace} ` : '',
      // haproxy before 1.8 had no -Ws and ran under its systemd wrapper.
      systemdWrapper: values.version.major < 2 && values.version.minor < 8,
    }),
  );
}

export function renderNetnsUnit(values: { namespace: string; pluggedInterfaces: string }): string {
  netnsTemplate ??= load('amphora-netns.service.hbs');
  return withoutFinalNewline(netnsTemplate(values));
}

export function haproxyUnitName(lbId: string): string {
  return `haproxy-${lbId}.service`;
}

export const NETNS_UNIT_NAME = 'amphora-netns.service';

let keepalivedLvsTemplate: Handlebars.TemplateDelegate | undefined;

export interface KeepalivedLvsUnitValues {
  keepalivedCommand: string;
  logFacility: number;
  configFile: string;
  pidFile: string;
  vrrpPidFile: string;
  checkPidFile: string;
  /** Empty: keepalived runs in the default namespace. */
  namespace: string;
}

/** `octavia-keepalivedlvs-<id>.service` (§4.9.3), byte-identical to the reference's. */
export function renderKeepalivedLvsUnit(values: KeepalivedLvsUnitValues): string {
  keepalivedLvsTemplate ??= load('keepalived-lvs.service.hbs');
  return withoutFinalNewline(
    keepalivedLvsTemplate({
      ...values,
      namespacePrefix: values.namespace ? `/sbin/ip netns exec ${values.namespace} ` : '',
    }),
  );
}

export function keepalivedLvsUnitName(listenerId: string): string {
  return `octavia-keepalivedlvs-${listenerId}.service`;
}
