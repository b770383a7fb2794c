import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * Ports handed out below the kernel's ephemeral range (32768-60999 here): a port the kernel
 * picked for `listen(0)` and released is soon given again to the next `listen(0)` or outgoing
 * connection of the many tests running side by side, while a random port of this range is
 * taken by nothing but another pick of this helper (about one chance in 12,000).
 */
const FIRST = 20_000;
const LAST = 32_000;

/** A loopback port nobody listens on right now, random in [20000, 32000). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = randomInt(FIRST, LAST);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
}
