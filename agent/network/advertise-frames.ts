import { isIP } from 'node:net';
import { ipToBigInt } from '../util/ip.ts';

/**
 * The bytes of the two address advertisements (§9.2, §9.3), built exactly as the reference
 * sends them.
 */

export const BROADCAST_MAC = Buffer.alloc(6, 0xff);
/** ff02::1, all nodes on the link. */
export const ALL_NODES = Buffer.from('ff020000000000000000000000000001', 'hex');

export function macBytes(mac: string): Buffer {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/u.test(mac)) throw new Error(`invalid MAC address: ${mac}`);
  return Buffer.from(mac.replaceAll(':', ''), 'hex');
}

/** 4 or 16 network-order bytes of an IPv4 or IPv6 address. */
export function addressBytes(address: string): Buffer {
  const family = isIP(address);
  if (family === 0) throw new Error(`invalid IP address: ${address}`);
  const size = family === 4 ? 4 : 16;
  const hex = ipToBigInt(address).toString(16).padStart(size * 2, '0');
  return Buffer.from(hex, 'hex');
}

/**
 * Gratuitous ARP: a broadcast ARP request whose sender and target IP are both the address,
 * 42 bytes (the NIC pads it to the Ethernet minimum).
 */
export function garpFrame(mac: string, ipv4: string): Buffer {
  const source = macBytes(mac);
  const ip = addressBytes(ipv4);
  if (ip.length !== 4) throw new Error(`not an IPv4 address: ${ipv4}`);
  const frame = Buffer.alloc(42);
  BROADCAST_MAC.copy(frame, 0);
  source.copy(frame, 6);
  frame.writeUInt16BE(0x0806, 12); // ARP
  frame.writeUInt16BE(1, 14); // hardware: Ethernet
  frame.writeUInt16BE(0x0800, 16); // protocol: IPv4
  frame.writeUInt8(6, 18);
  frame.writeUInt8(4, 19);
  frame.writeUInt16BE(1, 20); // request
  source.copy(frame, 22);
  ip.copy(frame, 28);
  BROADCAST_MAC.copy(frame, 32);
  ip.copy(frame, 38);
  return frame;
}

/**
 * Unsolicited neighbour advertisement, ICMPv6 part (32 bytes): Router and Override flags, the
 * target address and its link-layer address option. The checksum is left 0: the kernel computes
 * it on ICMPv6 raw sockets.
 */
export function neighborAdvertisement(mac: string, ipv6: string): Buffer {
  const target = addressBytes(ipv6);
  if (target.length !== 16) throw new Error(`not an IPv6 address: ${ipv6}`);
  const message = Buffer.alloc(32);
  message.writeUInt8(136, 0); // Neighbor Advertisement
  message.writeUInt8(0, 1);
  message.writeUInt32BE(0xa0000000, 4); // Router | Override
  target.copy(message, 8);
  message.writeUInt8(2, 24); // option: target link-layer address
  message.writeUInt8(1, 25); // length in units of 8 bytes
  macBytes(mac).copy(message, 26);
  return message;
}
