import { createRequire } from 'node:module';
import { constants as osConstants, endianness } from 'node:os';
import { nodeFs } from '../util/builtins.ts';

const { closeSync, openSync } = nodeFs;

/**
 * The few libc calls Node lacks for address advertisements: raw packet and ICMPv6 sockets, and
 * entering a network namespace. Bound through koffi (an FFI whose prebuilt binaries ship inside
 * its npm packages), loaded on first use so an agent that never advertises never maps it.
 *
 * Namespaces: `setns(CLONE_NEWNET)` moves only the calling thread, and a socket keeps the
 * namespace it was created in. `inNetworkNamespace` switches the JavaScript thread, runs a
 * synchronous callback (no other JavaScript can run meanwhile) and switches back before
 * returning, so no helper process is needed.
 */

const AF_PACKET = 17;
const AF_INET6 = 10;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_IPV6 = 41;
const IPPROTO_ICMPV6 = 58;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const MSG_DONTWAIT = 0x40;
const CLONE_NEWNET = 0x40000000;
const ETH_P_ALL = 0x0003;

const NETNS_RUN_DIR = '/var/run/netns';

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Buffer, length: number): number;
  send(fd: number, data: Buffer, length: number, flags: number): number;
  sendto(fd: number, data: Buffer, length: number, flags: number, address: Buffer, addressLength: number): number;
  recv(fd: number, data: Buffer, length: number, flags: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  close(fd: number): number;
  setns(fd: number, type: number): number;
  errno(): number;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  // koffi is CommonJS; createRequire keeps this module synchronous.
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  libc = {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
    send: lib.func('intptr_t send(int fd, const void *buf, uintptr_t len, int flags)'),
    sendto: lib.func('intptr_t sendto(int fd, const void *buf, uintptr_t len, int flags, const void *addr, uint32_t alen)'),
    recv: lib.func('intptr_t recv(int fd, void *buf, uintptr_t len, int flags)'),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    close: lib.func('int close(int fd)'),
    setns: lib.func('int setns(int fd, int nstype)'),
    errno: () => koffi.errno(),
  } as Libc;
  return libc;
}

const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, code]) => [code, name]));

/** An Error for a failed libc call, named like Node's own (`EADDRNOTAVAIL: bind`). */
function systemError(call: string): Error & { code: string } {
  const errno = loadLibc().errno();
  const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  return Object.assign(new Error(`${code}: ${call} failed`), { code });
}

function check(result: number, call: string): number {
  if (result < 0) throw systemError(call);
  return result;
}

const littleEndian = endianness() === 'LE';
function writeHost16(buffer: Buffer, value: number, offset: number): void {
  if (littleEndian) buffer.writeUInt16LE(value, offset);
  else buffer.writeUInt16BE(value, offset);
}
function writeHost32(buffer: Buffer, value: number, offset: number): void {
  if (littleEndian) buffer.writeInt32LE(value, offset);
  else buffer.writeInt32BE(value, offset);
}
function hostInt(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  writeHost32(buffer, value, 0);
  return buffer;
}

/** Named iproute2 namespaces only: a plain name, never a path. */
export function isNamespaceName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,64}$/u.test(name) && name !== '.' && name !== '..';
}

export function namespacePath(name: string): string {
  return `${NETNS_RUN_DIR}/${name}`;
}

/**
 * Runs `work` with the calling thread inside the named network namespace (empty name: where it
 * already is). Sockets created by `work` stay in that namespace after it returns.
 */
export function inNetworkNamespace<T>(namespace: string, work: () => T): T {
  if (!namespace) return work();
  if (!isNamespaceName(namespace)) throw new Error(`invalid network namespace name: ${namespace}`);
  const c = loadLibc();
  const target = openSync(namespacePath(namespace), 'r');
  let original: number;
  try {
    original = openSync('/proc/thread-self/ns/net', 'r');
  } catch (error) {
    closeSync(target);
    throw error;
  }
  try {
    check(c.setns(target, CLONE_NEWNET), 'setns');
    try {
      return work();
    } finally {
      if (c.setns(original, CLONE_NEWNET) !== 0) {
        // Every later socket of the agent would open in the wrong namespace: stop, the service
        // manager restarts the agent.
        process.stderr.write(`fatal: cannot return to the agent's network namespace: ${systemError('setns').message}\n`);
        process.abort();
      }
    }
  } finally {
    closeSync(original);
    closeSync(target);
  }
}

/** A raw socket's file descriptor, closed with `closeSocket`. */
export type SocketFd = number;

export function closeSocket(fd: SocketFd): void {
  loadLibc().close(fd);
}

/** sockaddr_ll for (interface index, ethertype), as AF_PACKET binds take it. */
function linkAddress(ifindex: number, ethertype: number): Buffer {
  const address = Buffer.alloc(20);
  writeHost16(address, AF_PACKET, 0);
  address.writeUInt16BE(ethertype, 2);
  writeHost32(address, ifindex, 4);
  return address;
}

/** sockaddr_in6 with the address bytes and scope (interface index for link-local scopes). */
function inet6Address(address: Buffer, scopeId: number): Buffer {
  const sockaddr = Buffer.alloc(28);
  writeHost16(sockaddr, AF_INET6, 0);
  address.copy(sockaddr, 8);
  writeHost32(sockaddr, scopeId, 24);
  return sockaddr;
}

/**
 * Sends one complete Ethernet frame out of interface `ifindex` (AF_PACKET/SOCK_RAW). The socket
 * is bound with protocol 0, so it never queues received frames.
 */
export function sendEthernetFrame(ifindex: number, frame: Buffer): void {
  const c = loadLibc();
  const fd = check(c.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), 'socket(AF_PACKET)');
  try {
    const address = linkAddress(ifindex, 0);
    check(c.bind(fd, address, address.length), 'bind(AF_PACKET)');
    check(c.send(fd, frame, frame.length, 0), 'send');
  } finally {
    c.close(fd);
  }
}

/**
 * Sends an ICMPv6 message from `source` to `destination` through interface `ifindex` with hop
 * limit 255 (RFC 4861 messages). The kernel fills in the checksum. The egress interface is
 * pinned with IPV6_MULTICAST_IF and the scope id, whatever the namespace's routes say.
 */
export function sendIcmpv6(ifindex: number, source: Buffer, destination: Buffer, message: Buffer): void {
  const c = loadLibc();
  const fd = check(c.socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6), 'socket(AF_INET6, SOCK_RAW)');
  try {
    const hops = hostInt(255);
    check(c.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops, hops.length), 'setsockopt(IPV6_MULTICAST_HOPS)');
    const egress = hostInt(ifindex);
    check(c.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, egress, egress.length), 'setsockopt(IPV6_MULTICAST_IF)');
    const linkLocal = source[0] === 0xfe && (source[1]! & 0xc0) === 0x80;
    const from = inet6Address(source, linkLocal ? ifindex : 0);
    check(c.bind(fd, from, from.length), 'bind');
    const to = inet6Address(destination, ifindex);
    check(c.sendto(fd, message, message.length, 0, to, to.length), 'sendto');
  } finally {
    c.close(fd);
  }
}

/**
 * A packet socket receiving every frame of interface `ifindex` (for observing the wire, e.g. in
 * tests). Read with `receiveFrame`, close with `closeSocket`.
 */
export function openCaptureSocket(ifindex: number): SocketFd {
  const c = loadLibc();
  const protocol = ((ETH_P_ALL & 0xff) << 8) | (ETH_P_ALL >> 8); // htons
  const fd = check(c.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, protocol), 'socket(AF_PACKET)');
  try {
    const size = hostInt(1 << 20);
    c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, size.length);
    const address = linkAddress(ifindex, ETH_P_ALL);
    check(c.bind(fd, address, address.length), 'bind(AF_PACKET)');
    return fd;
  } catch (error) {
    c.close(fd);
    throw error;
  }
}

/** One queued frame, or undefined when none is waiting (never blocks). */
export function receiveFrame(fd: SocketFd): Buffer | undefined {
  const c = loadLibc();
  const buffer = Buffer.alloc(65536);
  const length = c.recv(fd, buffer, buffer.length, MSG_DONTWAIT);
  if (length < 0) {
    const error = systemError('recv');
    if (error.code === 'EAGAIN' || error.code === 'EWOULDBLOCK') return undefined;
    throw error;
  }
  return buffer.subarray(0, length);
}

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SO_REUSEADDR = 2;

/**
 * A non-blocking IPv4 TCP socket created in network namespace `namespace` (empty: the calling
 * thread's), bound to `bindTo` with SO_REUSEADDR when given. Node adopts it by descriptor
 * (`server.listen({ fd })`, `new net.Socket({ fd })`), and it keeps its namespace.
 */
export function openTcpSocketIn(namespace: string, bindTo?: { address: string; port: number }): SocketFd {
  return inNetworkNamespace(namespace, () => {
    const c = loadLibc();
    const fd = check(c.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket(AF_INET, SOCK_STREAM)');
    try {
      if (bindTo) {
        const one = hostInt(1);
        check(c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, one.length), 'setsockopt(SO_REUSEADDR)');
        const octets = bindTo.address.split('.').map(Number);
        const sockaddr = Buffer.alloc(16);
        writeHost16(sockaddr, AF_INET, 0);
        sockaddr.writeUInt16BE(bindTo.port, 2);
        Buffer.from(octets).copy(sockaddr, 4);
        check(c.bind(fd, sockaddr, sockaddr.length), `bind(${bindTo.address}:${bindTo.port})`);
      }
      return fd;
    } catch (error) {
      c.close(fd);
      throw error;
    }
  });
}
