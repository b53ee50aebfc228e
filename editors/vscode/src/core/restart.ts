/** When the server process dies: restart it, unless it keeps dying. */

export interface RestartDecision {
  restart: boolean;
  /** What to tell the user (always something: a crash is never silent). */
  message: string;
}

export class RestartPolicy {
  private readonly crashes: number[] = [];

  constructor(
    private readonly maxRestarts = 5,
    private readonly windowMs = 3 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Record a crash and decide what to do about it. */
  crashed(): RestartDecision {
    const t = this.now();
    this.crashes.push(t);
    while (this.crashes.length > 0 && this.crashes[0] < t - this.windowMs) this.crashes.shift();
    const n = this.crashes.length;
    if (n <= this.maxRestarts) {
      return {
        restart: true,
        message: `The teamlore server stopped unexpectedly; restarting it (${n}/${this.maxRestarts}). See the "teamlore" output for details.`,
      };
    }
    const minutes = Math.round(this.windowMs / 60_000);
    return {
      restart: false,
      message:
        `The teamlore server crashed ${n} times in ${minutes} minutes and will not be restarted. ` +
        `See the "teamlore" output, then run "teamlore: Restart server".`,
    };
  }

  /** A manual restart starts the count afresh. */
  reset(): void {
    this.crashes.length = 0;
  }
}
