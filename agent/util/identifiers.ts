/**
 * Object ids arrive in URL paths and end up in file names and command lines. Octavia sends
 * UUIDs; anything outside this pattern (dots, slashes, spaces, NUL, over 64 characters) is
 * refused before it can touch the disk.
 */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Folders the agent keeps beside the per-LB folders in base_path (and the default
 * base_cert_dir): a load balancer by one of these names would overwrite them, and deleting it
 * would remove every LVS listener or every certificate.
 */
const RESERVED_NAMES = new Set(['lvs', 'vrrp', 'certs']);

export function isSafeId(value: string): boolean {
  return SAFE_ID.test(value) && !RESERVED_NAMES.has(value.toLowerCase());
}

/**
 * The reference accepts any name containing `(\w.)+pem` (unanchored). We keep every name
 * Octavia produces (`<uuid>.pem`, `<sha1>.pem`) and refuse anything that could escape the
 * folder or confuse haproxy's crt-list parser.
 */
/** Up to 255 characters, a file name's limit, as the reference accepts. */
const SAFE_CERT_FILENAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
const REFERENCE_CERT_FILENAME = /(\w.)+pem/u;

export function isSafeCertFilename(value: string): boolean {
  return (
    SAFE_CERT_FILENAME.test(value) &&
    REFERENCE_CERT_FILENAME.test(value) &&
    !value.includes('..')
  );
}
