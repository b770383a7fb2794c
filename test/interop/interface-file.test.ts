/**
 * The interface files this agent writes are byte for byte those Octavia 11's own classes write
 * (python3-octavia), for both topologies, dual stack, host routes, fixed IPs and a member port;
 * and files either side writes are read by this agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  parseInterfaceFile,
  portInterfaceFile,
  serializeInterfaceFile,
  vipInterfaceFile,
  type FixedIp,
  type Vip,
} from '../../agent/network/interface-file.ts';
import { explodedAddress } from '../../agent/network/ip-address.ts';

const vips: Vip[] = [
  { ipAddress: '203.0.113.10', prefixlen: 24, gateway: '203.0.113.1', hostRoutes: [{ destination: '198.51.100.0/24', nexthop: '203.0.113.254' }] },
  { ipAddress: '2001:db8::10', prefixlen: 64, gateway: '2001:db8::1', hostRoutes: [] },
];
const fixedIps: FixedIp[] = [
  { ipAddress: '10.0.0.5', prefixlen: 24, gateway: '10.0.0.1', hostRoutes: [{ destination: '172.16.0.0/16', nexthop: '10.0.0.254' }] },
  { ipAddress: '2001:db8:1::5', prefixlen: 64, gateway: null, hostRoutes: [] },
];

/** The reference's inputs: VIPs as its plug code prepares them (exploded, with their IP version). */
function referenceFiles(topology: 'SINGLE' | 'ACTIVE_STANDBY', memberFixedIps: FixedIp[]): { vip: string; port: string } {
  const asReference = (ips: FixedIp[]) =>
    ips.map((ip) => ({
      ip_address: ip.ipAddress,
      subnet_cidr: `${ip.ipAddress.includes(':') ? '2001:db8:1::' : '10.0.0.0'}/${ip.prefixlen}`,
      gateway: ip.gateway,
      host_routes: ip.hostRoutes,
    }));
  const request = {
    vip: {
      name: 'eth1',
      mtu: 1450,
      vips: vips.map((vip) => ({
        ip_address: explodedAddress(vip.ipAddress),
        ip_version: vip.ipAddress.includes(':') ? 6 : 4,
        prefixlen: vip.prefixlen,
        gateway: vip.gateway,
        host_routes: vip.hostRoutes,
      })),
      vrrp_info: { ip: '203.0.113.4', prefixlen: 24 },
      fixed_ips: asReference(fixedIps),
      topology,
    },
    port: { name: 'eth2', mtu: 1500, fixed_ips: asReference(memberFixedIps) },
  };
  const result = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'interface_file_reference.py')], { input: JSON.stringify(request), encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { vip: string; port: string };
}

for (const topology of ['SINGLE', 'ACTIVE_STANDBY'] as const) {
  test(`VIP and member files are byte for byte Octavia 11's (${topology})`, () => {
    const reference = referenceFiles(topology, fixedIps);
    const vip = vipInterfaceFile({ name: 'eth1', mtu: 1450, vips, vrrp: { ip: '203.0.113.4', prefixlen: 24 }, fixedIps, activeStandby: topology === 'ACTIVE_STANDBY', isSriov: false });
    assert.equal(serializeInterfaceFile(vip), reference.vip);
    assert.equal(serializeInterfaceFile(portInterfaceFile({ name: 'eth2', mtu: 1500, fixedIps, isSriov: false })), reference.port);
    // The reference's files read back as the same interfaces.
    assert.deepEqual(parseInterfaceFile(reference.vip, 'eth1.json').addresses, vip.addresses);
    assert.equal(parseInterfaceFile(reference.vip, 'eth1.json').if_type, topology === 'SINGLE' ? 'vip' : 'backend');
  });
}

test('a member port without fixed IPs (DHCP and SLAAC) is written as the reference writes it', () => {
  const reference = referenceFiles('SINGLE', []);
  assert.equal(serializeInterfaceFile(portInterfaceFile({ name: 'eth2', mtu: 1500, fixedIps: [], isSriov: null })), reference.port);
});
