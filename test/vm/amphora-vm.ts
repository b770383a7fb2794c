/**
 * One amphora VM under qemu (TCG), kept closed: qemu runs as a dedicated system user whose
 * traffic an nftables rule rejects everywhere but loopback, so a guest connection through
 * user-mode networking (each one a socket of the qemu process) can only reach this host's
 * loopback. The guest's 10.0.x.2 is that loopback.
 *
 * Also: a QMP client (NIC hot-plug, host forwards), a qemu-guest-agent client (commands in the
 * guest without sshd) and the guest's journal for failure reports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QEMU_USER = 'amphora-qemu';

function must(file: string, args: string[], input?: string): string {
  const result = spawnSync(file, args, { encoding: 'utf8', input, timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.stderr || result.error}`);
  return result.stdout;
}

/** The dedicated user, created once; its uid and gid. */
export function qemuUser(): { uid: number; gid: number } {
  if (spawnSync('id', ['-u', QEMU_USER]).status !== 0) {
    must('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', QEMU_USER]);
  }
  return { uid: Number(must('id', ['-u', QEMU_USER]).trim()), gid: Number(must('id', ['-g', QEMU_USER]).trim()) };
}

/** Loads the reject rule for the qemu user's traffic; returns its removal. */
export function closeGuestNetwork(uid: number): () => void {
  const table = `amphora_vm_${randomBytes(3).toString('hex')}`;
  must('nft', ['-f', '-'], [
    `table inet ${table} {`,
    '  chain output {',
    '    type filter hook output priority 0; policy accept;',
    `    meta skuid ${uid} ip daddr != 127.0.0.0/8 counter reject`,
    `    meta skuid ${uid} ip6 daddr != ::1 counter reject`,
    '  }',
    '}',
  ].join('\n'));
  return () => {
    spawnSync('nft', ['delete', 'table', 'inet', table]);
  };
}

/** Newline-delimited JSON over a Unix socket (QMP and qemu-guest-agent both speak it). */
class JsonSocket {
  readonly #socket: Socket;
  #buffer = '';
  readonly #waiting: ((message: Record<string, unknown>) => void)[] = [];
  readonly #queued: Record<string, unknown>[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (let end = this.#buffer.indexOf('\n'); end >= 0; end = this.#buffer.indexOf('\n')) {
        const line = this.#buffer.slice(0, end).replace(/^\xff/u, '').trim();
        this.#buffer = this.#buffer.slice(end + 1);
        if (!line) continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        if ('event' in message) continue;
        const waiter = this.#waiting.shift();
        if (waiter) waiter(message);
        else this.#queued.push(message);
      }
    });
    socket.on('error', () => undefined);
  }

  static open(path: string): Promise<JsonSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect(path, () => resolve(new JsonSocket(socket)));
      socket.once('error', reject);
    });
  }

  next(timeoutMs: number): Promise<Record<string, unknown>> {
    const queued = this.#queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(done), 1);
        reject(new Error('no answer on the socket'));
      }, timeoutMs);
      const done = (message: Record<string, unknown>) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.#waiting.push(done);
    });
  }

  send(message: unknown): void {
    this.#socket.write(`${JSON.stringify(message)}\n`);
  }

  close(): void {
    this.#socket.destroy();
  }
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface VmOptions {
  image: string;
  kernel: string;
  initrd: string;
  /** Folder laid out as a Nova config drive (openstack/latest/meta_data.json ...). */
  configDrive: string;
  /** Host loopback port forwarded to the guest's agent port 9443 on eth0. */
  agentPort: number;
  memoryMiB?: number;
}

export class AmphoraVm {
  readonly directory: string;
  readonly serialLog: string;
  readonly #options: VmOptions;
  #qemu: ChildProcess | undefined;
  #qemuOutput = '';
  #qmp: JsonSocket | undefined;
  #reopen: (() => void) | undefined;

  private constructor(directory: string, options: VmOptions) {
    this.directory = directory;
    this.serialLog = join(directory, 'serial.log');
    this.#options = options;
  }

  /** Boots a throwaway overlay of the image as the qemu user behind the reject rule. */
  static async boot(options: VmOptions): Promise<AmphoraVm> {
    const { uid, gid } = qemuUser();
    const directory = await mkdtemp(join(tmpdir(), 'amphora-vm-'));
    const vm = new AmphoraVm(directory, options);
    vm.#reopen = closeGuestNetwork(uid);
    try {
      const drive = join(directory, 'config-drive');
      await cp(options.configDrive, drive, { recursive: true });
      must('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', options.image, join(directory, 'disk.qcow2')]);
      for (const file of [directory, join(directory, 'disk.qcow2')]) await chown(file, uid, gid);
      must('chown', ['-R', `${uid}:${gid}`, drive]);
      await chmod(directory, 0o750);
      vm.#start(uid, gid);
      vm.#qmp = await vm.#openQmp();
      return vm;
    } catch (error) {
      await vm.destroy();
      throw error;
    }
  }

  #start(uid: number, gid: number): void {
    const options = this.#options;
    const args = [
      '-name', 'amphora-test',
      '-machine', 'pc', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', String(options.memoryMiB ?? 1536),
      '-nodefaults', '-display', 'none', '-vga', 'none',
      '-kernel', options.kernel, '-initrd', options.initrd,
      '-append', 'root=/dev/vda rw console=ttyS0 net.ifnames=0 panic=-1',
      '-drive', `file=${join(this.directory, 'disk.qcow2')},if=none,id=disk,format=qcow2,cache=unsafe`,
      '-device', 'virtio-blk-pci,drive=disk',
      '-netdev', `user,id=mgmt,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:${options.agentPort}-10.0.2.15:9443`,
      '-device', 'virtio-net-pci,netdev=mgmt,mac=52:54:00:a0:00:01',
      '-fsdev', `local,id=config,path=${join(this.directory, 'config-drive')},security_model=none,readonly=on`,
      '-device', 'virtio-9p-pci,fsdev=config,mount_tag=config-2',
      '-chardev', `socket,id=qga,path=${join(this.directory, 'qga.sock')},server=on,wait=off`,
      '-device', 'virtio-serial-pci', '-device', 'virtserialport,chardev=qga,name=org.qemu.guest_agent.0',
      '-qmp', `unix:${join(this.directory, 'qmp.sock')},server=on,wait=off`,
      '-serial', `file:${this.serialLog}`,
      '-object', 'rng-random,id=rng,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng',
    ];
    this.#qemu = spawn('qemu-system-x86_64', args, { uid, gid, cwd: this.directory, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#qemu.stdout!.on('data', (chunk: Buffer) => (this.#qemuOutput += chunk.toString()));
    this.#qemu.stderr!.on('data', (chunk: Buffer) => (this.#qemuOutput += chunk.toString()));
  }

  async #openQmp(): Promise<JsonSocket> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.#qemu?.exitCode !== null && this.#qemu?.exitCode !== undefined) throw new Error(`qemu exited: ${this.#qemuOutput}`);
      try {
        const socket = await JsonSocket.open(join(this.directory, 'qmp.sock'));
        await socket.next(10_000); // greeting
        socket.send({ execute: 'qmp_capabilities' });
        await socket.next(10_000);
        return socket;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** One QMP command; its "return", or an error with qemu's message. */
  async qmp(execute: string, args?: Record<string, unknown>): Promise<unknown> {
    this.#qmp!.send(args ? { execute, arguments: args } : { execute });
    const answer = await this.#qmp!.next(30_000);
    if ('error' in answer) throw new Error(`QMP ${execute}: ${JSON.stringify(answer.error)}`);
    return answer.return;
  }

  async monitor(commandLine: string): Promise<string> {
    return (await this.qmp('human-monitor-command', { 'command-line': commandLine })) as string;
  }

  /** Runs a shell command in the guest through qemu-guest-agent. */
  async exec(command: string, timeoutMs = 60_000): Promise<ExecResult> {
    const agent = await JsonSocket.open(join(this.directory, 'qga.sock'));
    try {
      const id = Math.floor(Math.random() * 1e9);
      agent.send({ execute: 'guest-sync', arguments: { id } });
      for (;;) {
        const answer = await agent.next(timeoutMs);
        if (answer.return === id) break;
      }
      agent.send({ execute: 'guest-exec', arguments: { path: '/bin/sh', arg: ['-c', command], 'capture-output': true } });
      const started = await agent.next(timeoutMs);
      if ('error' in started) throw new Error(`guest-exec: ${JSON.stringify(started.error)}`);
      const pid = (started.return as { pid: number }).pid;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        agent.send({ execute: 'guest-exec-status', arguments: { pid } });
        const status = (await agent.next(timeoutMs)).return as { exited: boolean; exitcode?: number; 'out-data'?: string; 'err-data'?: string };
        if (status.exited) {
          const decode = (data?: string) => (data ? Buffer.from(data, 'base64').toString('utf8') : '');
          return { exitCode: status.exitcode ?? -1, output: decode(status['out-data']) + decode(status['err-data']) };
        }
        if (Date.now() > deadline) throw new Error(`guest command timed out: ${command}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      agent.close();
    }
  }

  /** The guest's journal of this boot, or the serial console when the guest agent cannot answer. */
  async journal(lines = 300): Promise<string> {
    try {
      return (await this.exec(`journalctl -b --no-pager -o short-monotonic -n ${lines}`, 30_000)).output;
    } catch (error) {
      const serial = await readFile(this.serialLog, 'utf8').catch(() => '');
      return `(guest agent: ${(error as Error).message}; serial console follows)\n${serial.split('\n').slice(-lines).join('\n')}`;
    }
  }

  get running(): boolean {
    return this.#qemu !== undefined && this.#qemu.exitCode === null && this.#qemu.signalCode === null;
  }

  async destroy(): Promise<void> {
    this.#qmp?.close();
    if (this.#qemu && this.running) {
      this.#qemu.kill('SIGKILL');
      await new Promise((resolve) => this.#qemu!.once('exit', resolve));
    }
    this.#reopen?.();
    // AMPHORA_VM_KEEP=1 keeps the serial log and disk overlay for a post-mortem.
    if (process.env.AMPHORA_VM_KEEP === '1') console.error(`VM files kept in ${this.directory}`);
    else await rm(this.directory, { recursive: true, force: true });
  }
}

/** A Nova-style config drive: meta_data.json listing personality files and their contents. */
export async function writeConfigDrive(directory: string, files: Record<string, string>): Promise<void> {
  await mkdir(join(directory, 'openstack', 'latest'), { recursive: true });
  await mkdir(join(directory, 'openstack', 'content'), { recursive: true });
  const entries = Object.entries(files).map(([path, content], index) => ({ path, content, contentPath: `/content/${String(index).padStart(4, '0')}` }));
  for (const entry of entries) await writeFile(join(directory, 'openstack', entry.contentPath), entry.content);
  const meta = {
    uuid: '9b8f1d2e-4c3a-4e5f-8a7b-6c5d4e3f2a1b',
    hostname: 'amphora',
    files: entries.map((entry) => ({ path: entry.path, content_path: entry.contentPath })),
  };
  await writeFile(join(directory, 'openstack', 'latest', 'meta_data.json'), JSON.stringify(meta));
}
