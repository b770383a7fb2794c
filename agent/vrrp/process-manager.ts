import type { ProcessManagerKind, ProcessOutcome } from '../daemons/types.ts';

/**
 * How the amphora's one VRRP keepalived is run: `systemd` (the reference's
 * `octavia-keepalived.service`) or `direct` (spawned and supervised by the agent). Callers
 * hold the lock `lb:vrrp` around every call.
 */
export interface VrrpProcessManager {
  readonly kind: ProcessManagerKind;
  /** After a validated upload: unit written and enabled (systemd); nothing to record (direct). */
  prepare(): Promise<ProcessOutcome>;
  start(): Promise<ProcessOutcome>;
  /** keepalived re-reads its configuration on SIGHUP and keeps its VRRP state. */
  reload(): Promise<ProcessOutcome>;
  stop(): Promise<ProcessOutcome>;
  isRunning(): Promise<boolean>;
  /** At agent start: adopt a running keepalived, or start one that was meant to run. */
  adopt(): Promise<void>;
  /** At agent exit: stop supervising; keepalived keeps running. */
  shutdown(): Promise<void>;
}
