/**
 * The addresses of an LVS config's `virtual_server_group` blocks (`<ip> <port>` lines), which
 * are the listener's VIPs, for the address advertisements after a start (§3.7.2 step 5).
 */
export function lvsVipAddresses(configText: string): string[] {
  const addresses: string[] = [];
  let inGroup = false;
  for (const raw of configText.split('\n')) {
    const line = raw.trim();
    if (!inGroup) {
      inGroup = /^virtual_server_group\s+\S+\s*\{$/u.test(line);
      continue;
    }
    if (line === '}') {
      inGroup = false;
      continue;
    }
    const address = /^([0-9A-Fa-f.:]+)\s+\d{1,5}$/u.exec(line)?.[1];
    if (address !== undefined && !addresses.includes(address)) addresses.push(address);
  }
  return addresses;
}
