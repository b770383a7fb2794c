import { join } from 'node:path';
import type { AgentPaths } from '../config/paths.ts';

/** Files of the VRRP keepalived (vrrp-lvs.md §A.1), all under `B/vrrp/`. */
export interface VrrpPaths {
  dir: string;
  config: string;
  /** keepalived's main pid (`-p`), read by the heartbeat gate and `start` → `reload`. */
  pidFile: string;
  /**
   * The VRRP and checker children's pids (`-r`, `-c`). Without them keepalived uses
   * /run/vrrp.pid and /run/keepalived_checkers.pid, so a second amphora on the same host would
   * refuse to start ("daemon is already running").
   */
  vrrpPidFile: string;
  checkPidFile: string;
  /** The `vrrp_script` Octavia's config names: runs every file of `checkScriptsDir`. */
  checkScript: string;
  checkScriptsDir: string;
  haproxyCheckScript: string;
  lvsCheckScript: string;
  /** Direct process manager: keepalived was started and not stopped (start it again at boot). */
  wanted: string;
}

export function vrrpPaths(paths: AgentPaths): VrrpPaths {
  const dir = paths.vrrpDir;
  const checkScriptsDir = join(dir, 'check_scripts');
  return {
    dir,
    config: join(dir, 'octavia-keepalived.conf'),
    pidFile: join(dir, 'octavia-keepalived.pid'),
    vrrpPidFile: join(dir, 'octavia-keepalived.vrrp.pid'),
    checkPidFile: join(dir, 'octavia-keepalived.check.pid'),
    checkScript: join(dir, 'check_script.sh'),
    checkScriptsDir,
    haproxyCheckScript: join(checkScriptsDir, 'haproxy_check_script.sh'),
    lvsCheckScript: join(checkScriptsDir, 'lvs_udp_check.sh'),
    wanted: join(dir, 'octavia-keepalived.wanted'),
  };
}
