import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { processesMentioning } from './haproxy-fixtures.ts';

/**
 * This kernel has no IPVS (`modprobe ip_vs` fails, /proc/net/ip_vs is absent): keepalived can
 * check and load an LVS config with `virtual_server` blocks but its checker exits at once when
 * it cannot program them. Tests that run keepalived use what the controller renders for a
 * listener without virtual servers (disabled, or without a pool): keepalived then runs its
 * parent process alone, which is enough to observe the lifecycle.
 */
export const KERNEL_HAS_IPVS = existsSync('/proc/net/ip_vs');

/** The config Octavia renders for a disabled UDP listener, in `namespace`. */
export function disabledLvsConfig(lbId: string, listenerId: string, namespace: string): string {
  return [`# Configuration for Loadbalancer ${lbId}`, `# Listener ${listenerId} is disabled`, '', `net_namespace ${namespace}`, ''].join('\n');
}

/** A UDP virtual server with one checked member (valid for keepalived, not runnable without IPVS). */
export function udpVirtualServerConfig(lbId: string, listenerId: string, namespace: string, checkScript: string): string {
  return [
    `# Configuration for Loadbalancer ${lbId}`,
    `# Configuration for Listener ${listenerId}`,
    '',
    `net_namespace ${namespace}`,
    '',
    'virtual_server_group ipv4-group {',
    '    127.0.0.1 5353',
    '}',
    '',
    'virtual_server group ipv4-group {',
    '    lb_algo wrr',
    '    lb_kind NAT',
    '    protocol UDP',
    '    delay_loop 5',
    '    delay_before_retry 5',
    '    retry 3',
    '',
    '    # Configuration for Pool 2c1b1b4e-8f39-4a2e-9f5e-1c2d3e4f5a6b',
    '    # Configuration for Member 7d6c5b4a-3e2f-4a1b-8c9d-0e1f2a3b4c5d',
    '    real_server 127.0.0.2 5353 {',
    '        weight 1',
    '        MISC_CHECK {',
    `            misc_path "${checkScript} 127.0.0.2 5353"`,
    '            misc_timeout 3',
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}

/** SIGKILL every keepalived whose command line mentions `directory` (test cleanup). */
export async function killKeepalivedUnder(directory: string): Promise<void> {
  for (const pid of await processesMentioning(directory)) {
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.split('\0')[0]?.endsWith('keepalived')) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
