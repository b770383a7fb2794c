import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../agent/config/load.ts';
import { pathsFor, type AgentPaths } from '../../agent/config/paths.ts';
import type { LvsCommands } from '../../agent/heartbeat/lvs-collector.ts';
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

// --- recorded LVS outputs ------------------------------------------------------------------
// Without IPVS in the kernel (see KERNEL_HAS_IPVS) ipvsadm cannot list and /proc/net/ip_vs is
// absent, so the heartbeat's LVS tests feed these recorded outputs instead of running ipvsadm:
// the only substitute in the heartbeat tests.
export const LISTENER_ID = 'd1c2b3a4-0000-4000-8000-000000000001';
export const EMPTY_LISTENER_ID = 'd1c2b3a4-0000-4000-8000-000000000002';
export const DISABLED_LISTENER_ID = 'd1c2b3a4-0000-4000-8000-000000000003';
export const POOL_ID = 'e5f6a7b8-0000-4000-8000-000000000010';
export const MEMBER_UP = 'f0000000-0000-4000-8000-000000000101';
export const MEMBER_UP_2 = 'f0000000-0000-4000-8000-000000000104';
export const MEMBER_GONE = 'f0000000-0000-4000-8000-000000000102';
export const MEMBER_DISABLED = 'f0000000-0000-4000-8000-000000000103';

export const LVS_CONFIG = `# Configuration for Loadbalancer 3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01
# Configuration for Listener ${LISTENER_ID}

net_namespace amphora-haproxy

virtual_server_group ipv4-group {
    10.0.0.37 7777
}

virtual_server group ipv4-group {
    lb_algo rr
    lb_kind NAT
    protocol UDP


    # Configuration for Pool ${POOL_ID}
    # Configuration for HealthMonitor a0000000-0000-4000-8000-000000000020
    # Configuration for Member ${MEMBER_UP}
    real_server 10.0.0.25 2222 {
        weight 3
        MISC_CHECK {
            misc_path "/var/lib/octavia/lvs/check/udp_check.sh 10.0.0.25 2222"
            misc_timeout 5
        }
    }

    # Configuration for Member ${MEMBER_UP_2}
    real_server 10.0.0.35 3333 {
        weight 2
        MISC_CHECK {
            misc_path "/var/lib/octavia/lvs/check/udp_check.sh 10.0.0.35 3333"
            misc_timeout 5
        }
    }

    # Configuration for Member ${MEMBER_GONE}
    real_server 10.0.0.45 4444 {
        weight 2
        MISC_CHECK {
            misc_path "/var/lib/octavia/lvs/check/udp_check.sh 10.0.0.45 4444"
            misc_timeout 5
        }
    }

    # Member ${MEMBER_DISABLED} is disabled

}

`;

export const LVS_CONFIG_NO_POOL = `# Configuration for Loadbalancer 3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01
# Configuration for Listener ${EMPTY_LISTENER_ID}

net_namespace amphora-haproxy



`;

export const LVS_CONFIG_DISABLED = `# Configuration for Loadbalancer 3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01
# Listener ${DISABLED_LISTENER_ID} is disabled

net_namespace amphora-haproxy

`;

export const IPVSADM_LN = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
UDP  10.0.0.37:7777 rr
  -> 10.0.0.25:2222               Masq    3      0          0
  -> 10.0.0.35:3333               Masq    2      0          0
`;

export const IPVSADM_STATS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
UDP  10.0.0.37:7777                      5     4264        5  6387472     7490
  -> 10.0.0.25:2222                      2     1706        2  2555588     2996
  -> 10.0.0.35:3333                      3     2558        3  3831884     4494
`;

export const PROC_IP_VS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
UDP  0A000025:1E61 rr
  -> 0A000023:0D05      Masq    2      0          0
  -> 0A000019:08AE      Masq    3      0          0
UDP  0A000099:1E61 rr
  -> 0A00002D:115C      Masq    1      0          0
`;

/** Kernel table where 10.0.0.35 was drained (weight 0). */
export const PROC_IP_VS_DRAINED = PROC_IP_VS.replace('0A000023:0D05      Masq    2', '0A000023:0D05      Masq    0');

export const PROC_IP_VS_EMPTY = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
`;

export interface RecordedLvsLayout {
  paths: AgentPaths;
  /** The recorded outputs in place of ipvsadm and /proc/net/ip_vs (no IPVS in this kernel). */
  commands: LvsCommands;
  /** Every command asked for, as `<namespace> ipvsadm <args>` or `<namespace> /proc/net/ip_vs`. */
  calls: string[];
  remove(): Promise<void>;
}

/**
 * base_path with the recorded listeners' keepalived configs: three running (one with a pool,
 * one without, one disabled; our own pid stands for keepalived) and one dead; the checker
 * started after the config was written. `procIpVs` and `ipvsadm` make those reads fail.
 */
export async function recordedLvsLayout(procIpVs: string | Error, ipvsadm: 'ok' | Error = 'ok'): Promise<RecordedLvsLayout> {
  const dir = await mkdtemp(join(tmpdir(), 'lvs-recorded-'));
  const paths = pathsFor(buildConfig(new Map([['haproxy_amphora', new Map([['base_path', [dir]]])]])));
  await mkdir(paths.lvsDir, { recursive: true });
  const write = async (id: string, config: string, running: boolean) => {
    await writeFile(join(paths.lvsDir, `octavia-keepalivedlvs-${id}.conf`), config);
    await writeFile(join(paths.lvsDir, `octavia-keepalivedlvs-${id}.pid`), running ? `${process.pid}\n` : '999999999\n');
  };
  await write(LISTENER_ID, LVS_CONFIG, true);
  await write(EMPTY_LISTENER_ID, LVS_CONFIG_NO_POOL, true);
  await write(DISABLED_LISTENER_ID, LVS_CONFIG_DISABLED, true);
  await write('d1c2b3a4-0000-4000-8000-00000000dead', LVS_CONFIG_NO_POOL, false);
  await writeFile(join(paths.lvsDir, `octavia-keepalivedlvs-${LISTENER_ID}.check.pid`), '1\n');
  const past = new Date(Date.now() - 60_000);
  await utimes(join(paths.lvsDir, `octavia-keepalivedlvs-${LISTENER_ID}.conf`), past, past);
  const calls: string[] = [];
  const commands: LvsCommands = {
    async ipvsadm(args, namespace) {
      calls.push(`${namespace} ipvsadm ${args.join(' ')}`);
      if (ipvsadm instanceof Error) throw ipvsadm;
      return args.includes('--stats') ? IPVSADM_STATS : IPVSADM_LN;
    },
    async readIpVs(namespace) {
      calls.push(`${namespace} /proc/net/ip_vs`);
      if (procIpVs instanceof Error) throw procIpVs;
      return procIpVs;
    },
  };
  return { paths, commands, calls, remove: () => rm(dir, { recursive: true, force: true }) };
}
