/** Result of a process-control step; `output` is what the reference would put in `details`. */
export interface ProcessOutcome {
  ok: boolean;
  output: string;
  /**
   * Failed, but the daemon was told to load its new configuration and may still do so (a
   * reload whose new worker was late): the new configuration must stay the one on disk.
   */
  signalled?: boolean;
}

/** `systemd`: units as the reference writes them; `direct`: the agent runs and supervises the daemon. */
export type ProcessManagerKind = 'systemd' | 'direct';
