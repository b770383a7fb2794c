/** Result of a process-control step; `output` is what the reference would put in `details`. */
export interface ProcessOutcome {
  ok: boolean;
  output: string;
}

/**
 * How the haproxy of one load balancer is run. Two implementations: `systemd` (units rendered
 * as the reference does, driven with systemctl) and `direct` (the agent spawns and supervises
 * haproxy itself). Callers hold the LB's lock (`lb:<id>`) around every call taking an id.
 */
export interface HaproxyProcessManager {
  readonly kind: 'systemd' | 'direct';
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

/**
 * How the keepalived of one UDP/SCTP (LVS) listener is run: `systemd` (the reference's
 * `octavia-keepalivedlvs-<id>.service`) or `direct` (spawned and supervised by the agent).
 * Callers hold the listener's lock (`lb:<id>`) around every call taking an id.
 */
export interface LvsProcessManager {
  readonly kind: 'systemd' | 'direct';
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
