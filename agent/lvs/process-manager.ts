import type { ProcessManagerKind, ProcessOutcome } from '../daemons/types.ts';

/**
 * How the keepalived of one UDP/SCTP (LVS) listener is run: `systemd` (the reference's
 * `octavia-keepalivedlvs-<id>.service`) or `direct` (spawned and supervised by the agent).
 * Callers hold the listener's lock (`lb:<id>`) around every call taking an id.
 */
export interface LvsProcessManager {
  readonly kind: ProcessManagerKind;
  /** After a validated upload: unit written and enabled, or supervisor entry recorded. */
  prepare(listenerId: string): Promise<ProcessOutcome>;
  start(listenerId: string): Promise<ProcessOutcome>;
  /** keepalived's reload keeps member states stale, so a reload is a full restart (§3.7.2). */
  restart(listenerId: string): Promise<ProcessOutcome>;
  stop(listenerId: string): Promise<ProcessOutcome>;
  /** The listener is being deleted (already stopped): disable and forget its unit or entry. */
  remove(listenerId: string): Promise<ProcessOutcome>;
  isRunning(listenerId: string): Promise<boolean>;
  /** At agent start: take over the listeners found on disk. */
  adopt(listenerIds: readonly string[]): Promise<void>;
  /** At agent exit: stop supervising. keepalived keeps running. */
  shutdown(): Promise<void>;
}
