/**
 * Bounds on what one model may ask for, checked before the work they would cost: a list
 * longer than its bound is refused without looking at its entries, and the haproxy.cfg a
 * model would render is estimated before anything is rendered. Each bound sits well above
 * what an Octavia load balancer is used with (an amphora has one or two amphorae, the
 * heartbeat carries up to about 10,000 members).
 */
export const MODEL_LIMITS = {
  amphorae: 16,
  additional_vips: 64,
  host_routes: 128,
  listeners: 1000,
  pools: 1000,
  members: 10_000,
  l7policies: 500,
  allowed_cidrs: 1000,
  sni_containers: 500,
  intermediates: 16,
} as const;

/**
 * Octavia renders a listener's pools inside that listener, so a pool used by many listeners is
 * rendered once per listener: the server lines of the whole file are bounded, not only the
 * members of each pool.
 */
export const MAX_RENDERED_SERVER_LINES = 100_000;
/** The rendered haproxy.cfg itself, checked after rendering. */
export const MAX_RENDERED_CONFIG_BYTES = 32 * 1024 * 1024;
/** Field errors reported for one model; the rest are counted. */
export const MAX_REPORTED_ERRORS = 100;
