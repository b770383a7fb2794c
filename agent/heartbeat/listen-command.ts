import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { decryptDatagram, inflatePayload, isEncryptedDatagram, MAX_INFLATED_BYTES, verifySigned } from './envelope.ts';
import { errorMessage } from '../util/errors.ts';
import { nodeFs, nodeUtil } from '../util/builtins.ts';

const { readFileSync } = nodeFs;
const { parseArgs } = nodeUtil;

const USAGE = `usage: amphora-agent heartbeat-listen --port P (--key K | --key-file F) [options]

Receives heartbeats on UDP, verifies and decodes them, and prints one JSON line per datagram.
Signed (Octavia) and encrypted datagrams are both understood.

  --port P          UDP port to listen on (0: any free port)
  --bind ADDR       address to listen on (default ::, or 0.0.0.0 without IPv6)
  --key K           heartbeat key; repeat to accept several (e.g. during a key rotation)
  --key-file F      read the key from a file (keeps it out of the process list)
  --encrypted       accept only encrypted datagrams
  --count N         exit after N valid heartbeats
  --timeout S       exit after S seconds
  --help            show this text
`;

export interface ListenIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborting stops the listener (the command also stops on SIGINT and SIGTERM). */
  signal?: AbortSignal;
}

interface ListenOptions {
  port: number;
  bind: string | undefined;
  keys: string[];
  encryptedOnly: boolean;
  count: number | undefined;
  timeoutMs: number | undefined;
}

/** Operator tool: is the key right, does the path work, what does the amphora report? */
export async function runHeartbeatListen(
  argv: string[],
  io: ListenIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let options: ListenOptions;
  try {
    const parsed = parseListenArgs(argv);
    if (parsed === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    io.stderr.write(`heartbeat-listen: ${errorMessage(error)}\n${USAGE}`);
    return 2;
  }

  const socket = await bind(options.bind, options.port).catch((error: Error) => error);
  if (socket instanceof Error) {
    io.stderr.write(`heartbeat-listen: cannot listen: ${socket.message}\n`);
    return 1;
  }
  const address = socket.address();
  io.stderr.write(`listening on ${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}\n`);

  return new Promise<number>((resolve) => {
    let valid = 0;
    const finish = () => {
      clearTimeout(timer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      io.signal?.removeEventListener('abort', finish);
      socket.close();
      resolve(0);
    };
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(finish, options.timeoutMs);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    io.signal?.addEventListener('abort', finish);
    socket.on('message', (datagram: Buffer, remote: RemoteInfo) => {
      const line = describeDatagram(datagram, remote, options);
      io.stdout.write(`${line.text}\n`);
      if (line.valid) valid += 1;
      if (options.count !== undefined && valid >= options.count) finish();
    });
  });
}

function parseListenArgs(argv: string[]): ListenOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      bind: { type: 'string' },
      key: { type: 'string', multiple: true },
      'key-file': { type: 'string' },
      encrypted: { type: 'boolean', default: false },
      count: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const port = Number(values.port);
  if (values.port === undefined || !/^\d{1,5}$/u.test(values.port) || port > 65535) throw new Error('--port must be 0-65535');
  const keys = [...(values.key ?? [])];
  if (values['key-file'] !== undefined) keys.push(readFileSync(values['key-file'], 'utf8').replace(/\r?\n$/u, ''));
  if (keys.length === 0) throw new Error('--key or --key-file is required');
  if (values.bind !== undefined && isIP(values.bind) === 0) throw new Error('--bind must be an IP address');
  const positive = (text: string | undefined, name: string) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
    return value;
  };
  const timeout = positive(values.timeout, '--timeout');
  return {
    port,
    bind: values.bind,
    keys,
    encryptedOnly: values.encrypted ?? false,
    count: positive(values.count, '--count'),
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
  };
}

async function bind(address: string | undefined, port: number): Promise<Socket> {
  const attempt = (host: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
      socket.once('error', (error) => {
        socket.close();
        reject(error);
      });
      socket.bind(port, host, () => resolve(socket));
    });
  if (address !== undefined) return attempt(address);
  return attempt('::').catch(() => attempt('0.0.0.0'));
}

/** One output line: the decoded message (its JSON kept verbatim), or why the datagram was refused. */
export function describeDatagram(
  datagram: Buffer,
  remote: Pick<RemoteInfo, 'address' | 'port'>,
  options: Pick<ListenOptions, 'keys' | 'encryptedOnly'>,
): { valid: boolean; text: string } {
  const head = `{"from": ${JSON.stringify(`${remote.address}:${remote.port}`)}, "bytes": ${datagram.length}`;
  const refuse = (reason: string) => ({ valid: false, text: `${head}, "error": ${JSON.stringify(reason)}}` });
  const encrypted = isEncryptedDatagram(datagram);
  if (options.encryptedOnly && !encrypted) return refuse('not encrypted (--encrypted was given)');
  for (const [index, key] of options.keys.entries()) {
    const payload = encrypted ? decryptDatagram(datagram, key) : verifySigned(datagram, key);
    if (!payload) continue;
    let json: string;
    try {
      json = inflatePayload(payload);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return refuse(`authentic, but it inflates beyond ${MAX_INFLATED_BYTES} bytes`);
      return refuse('authentic, but the payload is not zlib-compressed JSON');
    }
    try {
      JSON.parse(json);
    } catch {
      return refuse('authentic, but the payload is not zlib-compressed JSON');
    }
    // Line breaks in valid JSON are whitespace between tokens: one datagram stays one line.
    const oneLine = json.replace(/[\r\n]+/gu, ' ');
    const form = encrypted ? 'encrypted' : 'signed';
    return { valid: true, text: `${head}, "form": "${form}", "key": ${index + 1}, "message": ${oneLine}}` };
  }
  return refuse(encrypted ? 'cannot decrypt with the given key(s)' : 'signature does not match the given key(s)');
}
