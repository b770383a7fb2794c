/** Storage faults an operator can act on; the reference answers them with a bare 500. */
const STORAGE_FAULTS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/**
 * Names the storage fault behind an error (following `cause`), e.g.
 * "no space left on device (ENOSPC): /var/lib/octavia/lb/haproxy.cfg", or undefined.
 */
export function describeStorageFault(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth += 1) {
    const { code, path } = current as NodeJS.ErrnoException;
    if (code !== undefined && code in STORAGE_FAULTS) {
      return `${STORAGE_FAULTS[code]} (${code})${path ? `: ${path}` : ''}`;
    }
  }
  return undefined;
}
