import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';
import { isHaproxyRunning, listLoadBalancers } from '../haproxy/layout.ts';
import { listLvsListeners } from '../lvs/layout.ts';
import { ensureDirectory, writeFileIfChanged } from '../util/atomic-file.ts';
import { projectRoot } from '../util/project-root.ts';
import { vrrpPaths } from './paths.ts';

/** What happens to `lbId` when the check script is refreshed (§A.5); `delete` is the LB going away. */
export type CheckScriptAction = 'start' | 'reload' | 'stop' | 'delete';

/** The installed `haproxy-vrrp-check` of this package: keepalived's PATH need not contain it. */
export function haproxyVrrpCheckCommand(): string {
  return join(projectRoot(), 'dist', 'agent', 'cli', 'haproxy-vrrp-check.js');
}

/** `B/vrrp/check_script.sh` (§A.4): every file of check_scripts/ with bash, exit codes summed. */
export function renderCheckScript(checkScriptsDir: string): string {
  return [
    '#!/bin/bash',
    '',
    '# Every file of the folder is one check; none at all is not an error.',
    'shopt -s nullglob',
    '',
    'status=0',
    `for file in ${checkScriptsDir}/*`,
    'do',
    '  echo "Running check script: " $file',
    '  bash $file',
    '  status=$(( $status + $? ))',
    'done',
    'exit $status',
    '',
  ].join('\n');
}

/**
 * `check_scripts/lvs_udp_check.sh` (§A.4): fails while an LVS listener's keepalived is down.
 * Under systemd it asks systemctl as the reference does; the direct process manager has no
 * units, so the pid in each listener's pid file must be alive.
 */
export function renderLvsCheckScript(lvsDir: string, processManager: 'systemd' | 'direct'): string {
  const probe = processManager === 'systemd' ? 'systemctl status $(basename $file .pid) > /dev/null' : 'kill -0 "$(head -n 1 $file)" 2> /dev/null';
  return [
    '#!/bin/bash',
    '',
    'shopt -s nullglob',
    '',
    'status=0',
    `for file in ${lvsDir}/*`,
    'do',
    '  file_ext=${file#*.}',
    '  case $file_ext in',
    '      pid) echo "Check keepalived pid file: " $file;;',
    '      *) continue;;',
    '  esac',
    `  ${probe}`,
    '  status=$(( $status + $? ))',
    'done',
    'exit $status',
    '',
  ].join('\n');
}

/**
 * The haproxy part of the VRRP health check, decided from what is on disk:
 * - no load balancer and no LVS listener (a fresh LB before its first listener): `exit 0`, so
 *   VRRP elects a MASTER and the VIP answers (the reference writes `exit 1` and faults both
 *   amphorae until a listener arrives);
 * - no load balancer but LVS listeners: no haproxy check (the LVS check covers them);
 * - load balancers, none of them meant to run: `exit 1` (the reference's empty
 *   `haproxy-vrrp-check ; exit $?` passes with every haproxy stopped, quirk V3);
 * - else `haproxy-vrrp-check <socket>...; exit $?` over the ones meant to run.
 * "Meant to run": `lbId` unless the action stops or deletes it; any other LB whose haproxy is
 * running now (a stopped one would fail the check for an LB nobody asked to serve).
 */
export async function haproxyCheckScriptText(paths: AgentPaths, lbId: string | undefined, action: CheckScriptAction): Promise<string | undefined> {
  const lbs = (await listLoadBalancers(paths)).filter((id) => !(id === lbId && action === 'delete'));
  if (lbs.length === 0) return (await listLvsListeners(paths)).length === 0 ? 'exit 0' : undefined;
  const serving: string[] = [];
  for (const id of lbs) {
    const wanted = id === lbId ? action === 'start' || action === 'reload' : await isHaproxyRunning(paths, id);
    if (wanted) serving.push(id);
  }
  if (serving.length === 0) return 'exit 1';
  return `${haproxyVrrpCheckCommand()} ${serving.map((id) => paths.statsSocket(id)).join(' ')}; exit $?`;
}

/** Refreshes `check_scripts/haproxy_check_script.sh` (§A.5), atomically. */
export async function updateHaproxyCheckScript(paths: AgentPaths, lbId: string | undefined, action: CheckScriptAction): Promise<void> {
  const files = vrrpPaths(paths);
  await ensureDirectory(files.checkScriptsDir);
  const text = await haproxyCheckScriptText(paths, lbId, action);
  if (text === undefined) {
    await unlink(files.haproxyCheckScript).catch(() => undefined);
    return;
  }
  await writeFileIfChanged(files.haproxyCheckScript, text, 0o644);
}

/** `check_script.sh`, rewritten when its text differs (the reference writes it once, quirk V1). */
export async function ensureCheckScript(paths: AgentPaths): Promise<void> {
  const files = vrrpPaths(paths);
  await ensureDirectory(files.checkScriptsDir);
  await writeFileIfChanged(files.checkScript, renderCheckScript(files.checkScriptsDir), 0o755);
}

/** `check_scripts/lvs_udp_check.sh` for the process manager in use (§A.7 LVS upload). */
export async function ensureLvsCheckScript(paths: AgentPaths, processManager: 'systemd' | 'direct'): Promise<void> {
  const files = vrrpPaths(paths);
  await ensureDirectory(files.checkScriptsDir);
  // 0700, not the reference's 0100: bash reads the file, so it needs the read bit (quirk V4).
  await writeFileIfChanged(files.lvsCheckScript, renderLvsCheckScript(paths.lvsDir, processManager), 0o700);
}
