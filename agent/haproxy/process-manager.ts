import type { ProcessManagerKind, ProcessOutcome } from '../daemons/types.ts';

/**
 * How the haproxy of one load balancer is run. Two implementations: `systemd` (units rendered
 * as the reference does, driven with systemctl) and `direct` (the agent spawns and supervises
 * haproxy itself). Callers hold the LB's lock (`lb:<id>`) around every call taking an id.
 */
export interface HaproxyProcessManager {
  readonly kind: ProcessManagerKind;
  /** After a validated upload: unit written and enabled, or supervisor entry recorded. */
  prepare(lbId: string, peerName: string): Promise<ProcessOutcome>;
  start(lbId: string): Promise<ProcessOutcome>;
  /** Reload a running haproxy without dropping its listening sockets. */
  reload(lbId: string): Promise<ProcessOutcome>;
  stop(lbId: string): Promise<ProcessOutcome>;
  /** The LB is being deleted (already stopped): forget its unit or entry. Never fails. */
  remove(lbId: string): Promise<void>;
  isRunning(lbId: string): Promise<boolean>;
  /** At agent start: take over the LBs found on disk. */
  adopt(lbIds: readonly string[]): Promise<void>;
  /** At agent exit: stop supervising. Running haproxy processes are left running. */
  shutdown(): Promise<void>;
}
