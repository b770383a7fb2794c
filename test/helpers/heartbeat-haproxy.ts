import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { startStandIn } from './stand-in-process.ts';
import { queryStatsSocket } from '../../agent/haproxy/stats-socket.ts';
import { freePort } from './free-port.ts';

export interface HaproxyLb {
  frontendPort: number;
  /** Stops haproxy and starts a fresh process (counters start again from zero). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface HaproxyLbOptions {
  basePath: string;
  lbId: string;
  listenerId: string;
  poolId: string;
  members: { id: string; port: number }[];
}


/**
 * A real haproxy laid out as the agent keeps it: B/<lb>/haproxy.cfg, B/<lb>/<lb>.pid,
 * B/<lb>.sock; one TCP frontend named by the listener id (TCP mode: its byte counters are the
 * bytes on the wire), one backend `pool_id:listener_id` with HTTP health checks every 200 ms, and the internal prometheus proxy the heartbeat must ignore.
 */
export async function startHaproxyLb(options: HaproxyLbOptions): Promise<HaproxyLb> {
  const lbDir = join(options.basePath, options.lbId);
  await mkdir(lbDir, { recursive: true });
  const socketPath = join(options.basePath, `${options.lbId}.sock`);
  const pidPath = join(lbDir, `${options.lbId}.pid`);
  const frontendPort = await freePort();
  const prometheusPort = await freePort();
  const config = `global
    maxconn 4000
    stats socket ${socketPath} mode 0666 level user

defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend ${options.listenerId}
    mode tcp
    bind 127.0.0.1:${frontendPort}
    maxconn 1000
    default_backend ${options.poolId}:${options.listenerId}

backend ${options.poolId}:${options.listenerId}
    mode tcp
    balance roundrobin
    option httpchk GET /
${options.members.map((member) => `    server ${member.id} 127.0.0.1:${member.port} weight 1 check inter 200 fall 2 rise 1`).join('\n')}

frontend prometheus-exporter-internal-endpoint
    mode http
    bind 127.0.0.1:${prometheusPort}
    default_backend prometheus-exporter-internal

backend prometheus-exporter-internal
    mode http
    http-request use-service prometheus-exporter
`;
  const configPath = join(lbDir, 'haproxy.cfg');
  await writeFile(configPath, config);

  let child: ChildProcess | undefined;
  const start = async () => {
    await rm(socketPath, { force: true });
    const current = spawn('haproxy', ['-db', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    current.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child = current;
    await writeFile(pidPath, `${current.pid}\n`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (current.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
      const answer = await queryStatsSocket(socketPath, 'show stat -1 -1 -1', 500).catch(() => '');
      // Ready when every server finished its first health check.
      if (answer.includes('FRONTEND') && options.members.every((member) => new RegExp(`,${member.id},[^\\n]*,UP,`, 'u').test(answer))) return;
      if (Date.now() > deadline) throw new Error(`haproxy not ready: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stopChild = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    frontendPort,
    async restart() {
      await stopChild();
      await start();
    },
    async stop() {
      await stopChild();
    },
  };
}

export interface SilentHaproxy {
  /** Connections the stats socket accepted (and never answered). */
  queried(): number;
  close(): Promise<void>;
}

/**
 * A running haproxy as the agent sees it (B/<lb>/haproxy.cfg, a live process carrying that path
 * in its command line, the pid file) whose stats socket accepts connections and never answers.
 */
export async function startSilentHaproxy(basePath: string, lbId: string, configText = 'global\n'): Promise<SilentHaproxy> {
  const configPath = join(basePath, lbId, 'haproxy.cfg');
  await mkdir(join(basePath, lbId), { recursive: true });
  await writeFile(configPath, configText);
  const standIn = startStandIn('haproxy', '-f', configPath);
  await writeFile(join(basePath, lbId, `${lbId}.pid`), `${standIn.pid}\n`);
  const held: Socket[] = [];
  const stuck = createTcpServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => stuck.listen(join(basePath, `${lbId}.sock`), resolve));
  return {
    queried: () => held.length,
    async close() {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => stuck.close(resolve));
      standIn.kill();
    },
  };
}
