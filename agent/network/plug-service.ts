import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../context.ts';
import { appError, frameworkError } from '../domain/refusal.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { runCommand } from '../util/run-command.ts';
import { bringDown, bringUp, type ApplyTarget } from './interface-apply.ts';
import {
  LO_FILE,
  parseInterfaceFile,
  portInterfaceFile,
  serializeInterfaceFile,
  vipInterfaceFile,
  type InterfaceFile,
} from './interface-file.ts';
import { findLinkByMac, ip, ipOrThrow, listLinks } from './iproute.ts';
import { namespaceExists } from './interface-lookup.ts';
import { forgetPlugged, readRegistry, recordPlugged } from './plugged-registry.ts';
import { parseNetworkPlug, parseVipPlug, PlugRequestError, reportedVips, type NetworkPlugRequest } from './plug-request.ts';
import { errorMessage } from '../util/errors.ts';

/** Written into sysfs when a NIC has not appeared yet, as the reference pokes the PCI bus. */
const PCI_RESCAN = '/sys/bus/pci/rescan';
/** What Octavia's image and netns unit set inside the namespace, plus non-local binds for a BACKUP. */
const NAMESPACE_SYSCTLS = [
  'net.ipv4.ip_forward=1',
  'net.ipv6.conf.all.forwarding=1',
  'net.ipv4.ip_nonlocal_bind=1',
  'net.ipv6.ip_nonlocal_bind=1',
  'net.ipv4.vs.conntrack=1',
  'net.ipv4.vs.expire_nodest_conn=1',
  'net.ipv4.vs.expire_quiescent_template=1',
];

export type Advertiser = (objectId: string, addresses: string[]) => Promise<void>;

/**
 * `POST /plug/vip/{vip}` and `POST /plug/network`: find the hot-plugged NIC by MAC, describe it
 * in its interface file, record it, move it into the namespace under its amphora name and bring
 * it up. Each plug is whole or nothing: on failure the link goes back where it was, and the
 * file and registry line it wrote are undone. Plugs are serialized.
 */
export class PlugService {
  readonly #context: AgentContext;
  readonly #advertise: Advertiser | undefined;

  constructor(context: AgentContext, advertise?: Advertiser) {
    this.#context = context;
    this.#advertise = advertise;
  }

  get #namespace(): string {
    return this.#context.config.current.amphora_agent.network_namespace;
  }

  #target(): ApplyTarget {
    return { namespace: this.#namespace, nftablesRules: this.#context.paths.nftablesRules };
  }

  #requireNamespace(): string {
    const namespace = this.#namespace;
    if (!namespace) throw appError(500, 'Error plugging network', 'network plugging needs [amphora_agent] network_namespace');
    return namespace;
  }

  /** Creates the namespace with `lo` up and the amphora's sysctls, as the netns unit does at boot. */
  async ensureNamespace(): Promise<void> {
    const namespace = this.#requireNamespace();
    if (namespaceExists(namespace)) return;
    await ipOrThrow('', ['netns', 'add', namespace]);
    await ip(namespace, ['link', 'set', 'dev', 'lo', 'up']);
    await runCommand('sysctl', ['-q', '-w', ...NAMESPACE_SYSCTLS], { namespace });
  }

  /** The reference writes `lo`'s file at every start; `up all` then brings it up in the namespace. */
  async writeLoFile(): Promise<void> {
    await mkdir(this.#context.paths.networkDir, { recursive: true });
    await writeFileAtomic(join(this.#context.paths.networkDir, 'lo.json'), serializeInterfaceFile(LO_FILE), { mode: 0o644, preserveMode: false });
  }

  plugVip(vip: string, body: unknown): Promise<Reply> {
    const request = this.#parse(() => parseVipPlug(vip, body));
    return this.#context.locks.run('network', async () => {
      await this.ensureNamespace();
      if (await findLinkByMac(this.#namespace, request.mac)) return jsonReply(409, { message: 'Interface already exists' });
      const link = await this.#rootLinkOrRescan(request.mac);
      const file = vipInterfaceFile({
        name: 'eth1',
        mtu: request.mtu,
        vips: request.vips,
        vrrp: request.vrrp,
        fixedIps: [],
        activeStandby: this.#activeStandby(),
        isSriov: request.isSriov,
      });
      await this.#plugNew(link, request.mac, file, 'Error plugging VIP');
      return jsonReply(202, { message: 'OK', details: `VIPs plugged on interface eth1: ${reportedVips(request.vips)}` });
    });
  }

  plugNetwork(body: unknown): Promise<Reply> {
    const request = this.#parse(() => parseNetworkPlug(body));
    return this.#context.locks.run('network', async () => {
      await this.ensureNamespace();
      const existing = await findLinkByMac(this.#namespace, request.mac);
      if (existing) return this.#replugExisting(existing.ifname, request);
      const link = await this.#rootLinkOrRescan(request.mac);
      const name = await this.#nextMemberName();
      await this.#plugNew(link, request.mac, portInterfaceFile({ name, mtu: request.mtu, fixedIps: request.fixedIps, isSriov: request.isSriov }), 'Error plugging network');
      await this.#advertiseFixedIps(request);
      return jsonReply(202, { message: 'OK', details: `Plugged on interface ${name}` });
    });
  }

  /** The MAC is already inside: its file is rewritten (a subnet added to the port) and applied. */
  async #replugExisting(name: string, request: NetworkPlugRequest): Promise<Reply> {
    const file = request.vipNet
      ? vipInterfaceFile({
          name,
          mtu: request.mtu,
          vips: request.vipNet.vips,
          vrrp: request.vipNet.vrrp,
          fixedIps: request.fixedIps,
          activeStandby: this.#activeStandby(),
          isSriov: request.isSriov === true,
        })
      : portInterfaceFile({ name, mtu: request.mtu, fixedIps: request.fixedIps, isSriov: request.isSriov });
    const path = this.#filePath(name);
    const previous = await readFile(path, 'utf8').catch(() => undefined);
    await this.#writeFile(file);
    try {
      this.#logRouteWarnings(file.name, await bringUp(file, this.#target()));
    } catch (error) {
      // Back to the description that was in force, re-applied as far as it goes.
      await restoreFile(path, previous);
      if (previous !== undefined) await bringUp(parseInterfaceFile(previous, path), this.#target()).catch(() => undefined);
      throw appError(500, request.vipNet ? 'Error plugging vip' : 'Error plugging network', errorMessage(error));
    }
    await this.#advertiseFixedIps(request);
    return jsonReply(202, { message: 'OK', details: `Updated existing interface ${name}` });
  }

  async #plugNew(link: string, mac: string, file: InterfaceFile, failure: string): Promise<void> {
    const namespace = this.#namespace;
    const path = this.#filePath(file.name);
    const previous = await readFile(path, 'utf8').catch(() => undefined);
    await this.#writeFile(file);
    let recorded = false;
    let moved = false;
    try {
      recorded = await recordPlugged(this.#context.paths.pluggedInterfaces, mac, file.name);
      await ipOrThrow('', ['link', 'set', 'dev', link, 'netns', namespace, 'name', file.name]);
      moved = true;
      this.#logRouteWarnings(file.name, await bringUp(file, this.#target()));
    } catch (error) {
      // Whole or nothing: the NIC goes back under its old name, file and registry as they were.
      if (moved) {
        await bringDown(file, this.#target()).catch(() => undefined);
        await ip(namespace, ['link', 'set', 'dev', file.name, 'netns', String(process.pid), 'name', link]);
      }
      if (recorded) await forgetPlugged(this.#context.paths.pluggedInterfaces, mac).catch(() => undefined);
      await restoreFile(path, previous);
      this.#context.logger.error({ mac, name: file.name, err: errorMessage(error) }, 'plug failed; undone');
      throw appError(500, failure, errorMessage(error));
    }
  }

  async #rootLinkOrRescan(mac: string): Promise<string> {
    const link = await findLinkByMac('', mac);
    if (link) return link.ifname;
    const rescan = await stat(PCI_RESCAN).catch(() => undefined);
    if (rescan?.isFile()) await writeFile(PCI_RESCAN, '1').catch(() => undefined);
    throw appError(404, '', 'No suitable network interface found');
  }

  /** Lowest ethN, N >= 2, not present in the namespace. */
  async #nextMemberName(): Promise<string> {
    const names = new Set((await listLinks(this.#namespace)).map((link) => link.ifname));
    for (let index = 2; ; index += 1) if (!names.has(`eth${index}`)) return `eth${index}`;
  }

  #filePath(name: string): string {
    return join(this.#context.paths.networkDir, `${name}.json`);
  }

  async #writeFile(file: InterfaceFile): Promise<void> {
    await mkdir(this.#context.paths.networkDir, { recursive: true });
    await writeFileAtomic(this.#filePath(file.name), serializeInterfaceFile(file), { mode: 0o644, preserveMode: false });
  }

  #activeStandby(): boolean {
    return this.#context.config.current.controller_worker.loadbalancer_topology === 'ACTIVE_STANDBY';
  }

  async #advertiseFixedIps(request: NetworkPlugRequest): Promise<void> {
    const addresses = request.fixedIps.map((fixed) => fixed.ipAddress);
    if (addresses.length > 0) await this.#advertise?.('plug-network', addresses);
  }

  #parse<T>(parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof PlugRequestError)) throw error;
      const body = error.body;
      if ('description' in body) throw frameworkError(400, body.description);
      throw appError(400, body.message, body.details);
    }
  }

  /**
   * The boot path of the direct process manager (the netns unit's steps under systemd): the
   * namespace with its sysctls, every registered NIC moved back in under its name, then every
   * interface file applied. One bad file or missing NIC does not stop the others.
   */
  async restoreAtStart(): Promise<void> {
    const namespace = this.#namespace;
    await this.writeLoFile();
    if (!namespace) return;
    const registry = await readRegistry(this.#context.paths.pluggedInterfaces);
    const files = await this.#interfaceFiles();
    if (registry.length === 0 && files.length <= 1) return;
    await this.#context.locks.run('network', async () => {
      await this.ensureNamespace();
      const rootLinks = await listLinks('');
      for (const entry of registry) {
        const link = rootLinks.find((candidate) => candidate.address?.toLowerCase() === entry.mac);
        if (!link) continue;
        const moved = await ip('', ['link', 'set', 'dev', link.ifname, 'netns', namespace, 'name', entry.name]);
        if (moved.exitCode !== 0) this.#context.logger.warn({ mac: entry.mac, output: moved.output }, 'cannot move a plugged NIC back into the namespace');
      }
      const errors = await applyAll(files, this.#target(), 'up', (warning) => this.#context.logger.warn({ warning }, 'route not applied'));
      for (const error of errors) this.#context.logger.warn({ err: error }, 'interface not restored');
      if (files.length > 0) this.#context.logger.info({ interfaces: files.map((file) => file.name) }, 'network namespace restored');
    });
  }

  #logRouteWarnings(name: string, warnings: string[]): void {
    for (const warning of warnings) this.#context.logger.warn({ interface: name, warning }, 'route not applied');
  }

  async #interfaceFiles(): Promise<InterfaceFile[]> {
    return readInterfaceFiles(this.#context.paths.networkDir, (path, error) =>
      this.#context.logger.warn({ path, err: errorMessage(error) }, 'interface file ignored'),
    );
  }
}

/** Every readable `*.json` file of the folder; a malformed one is reported and skipped (Q8). */
export async function readInterfaceFiles(directory: string, onBadFile: (path: string, error: unknown) => void): Promise<InterfaceFile[]> {
  const names = (await readdir(directory).catch(() => [] as string[])).filter((name) => name.endsWith('.json')).sort();
  const files: InterfaceFile[] = [];
  for (const name of names) {
    const path = join(directory, name);
    try {
      files.push(parseInterfaceFile(await readFile(path, 'utf8'), path));
    } catch (error) {
      onBadFile(path, error);
    }
  }
  return files;
}

/** Applies each file independently; the errors, one per interface that failed. */
export async function applyAll(
  files: readonly InterfaceFile[],
  target: ApplyTarget,
  action: 'up' | 'down',
  onWarning: (warning: string) => void = () => undefined,
): Promise<string[]> {
  const errors: string[] = [];
  for (const file of files) {
    try {
      if (action === 'up') for (const warning of await bringUp(file, target)) onWarning(`${file.name}: ${warning}`);
      else await bringDown(file, target);
    } catch (error) {
      errors.push(`Error on action '${action}' for interface ${file.name}: ${errorMessage(error)}.`);
    }
  }
  return errors;
}

/** An interface file back as it was before a failed plug: its old text, or no file. */
async function restoreFile(path: string, previous: string | undefined): Promise<void> {
  if (previous === undefined) await unlink(path).catch(() => undefined);
  else await writeFileAtomic(path, previous, { mode: 0o644 });
}
