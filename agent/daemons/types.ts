/** Result of a process-control step; `output` is what the reference would put in `details`. */
export interface ProcessOutcome {
  ok: boolean;
  output: string;
}

/** `systemd`: units as the reference writes them; `direct`: the agent runs and supervises the daemon. */
export type ProcessManagerKind = 'systemd' | 'direct';
