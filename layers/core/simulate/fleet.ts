/**
 * A fleet as cohorts of instances launched in the same minute, oldest first. An instance
 * serves once its cohort is ready (launch + warm-up at launch time); a lower desired count
 * removes the newest instances first, so warming ones go before serving ones.
 */
interface Cohort {
  launchedAt: number;
  readyAt: number;
  count: number;
}

export interface FleetState {
  inService: number;
  warming: number;
}

export class Fleet {
  private readonly cohorts: Cohort[];
  private size: number;
  // No cohort launched more than this long ago can still be warming: the scan stops there.
  private longestWarmup: number;

  constructor(
    initialInService: number,
    private warmupMinutes: number,
  ) {
    this.size = Math.max(0, Math.trunc(initialInService));
    this.cohorts = this.size > 0 ? [{ launchedAt: -Infinity, readyAt: -Infinity, count: this.size }] : [];
    this.longestWarmup = warmupMinutes;
  }

  get total(): number {
    return this.size;
  }

  setWarmup(minutes: number): void {
    this.warmupMinutes = minutes;
    this.longestWarmup = Math.max(this.longestWarmup, minutes);
  }

  /** Launches or removes instances so the fleet has `desired` at minute t. */
  scaleTo(t: number, desired: number): void {
    if (desired > this.size) {
      this.cohorts.push({ launchedAt: t, readyAt: t + this.warmupMinutes, count: desired - this.size });
    } else {
      let drop = this.size - desired;
      while (drop > 0) {
        const newest = this.cohorts[this.cohorts.length - 1];
        const take = Math.min(drop, newest.count);
        newest.count -= take;
        drop -= take;
        if (newest.count === 0) this.cohorts.pop();
      }
    }
    this.size = desired;
  }

  /** Loses `count` instances at minute t, serving ones first (oldest first), then warming ones. */
  fail(t: number, count: number): number {
    let lost = 0;
    for (const serving of [true, false]) {
      for (const c of this.cohorts) {
        if (lost === count) break;
        if (c.readyAt <= t !== serving) continue;
        const take = Math.min(count - lost, c.count);
        c.count -= take;
        lost += take;
      }
    }
    for (let i = this.cohorts.length - 1; i >= 0; i--)
      if (this.cohorts[i].count === 0) this.cohorts.splice(i, 1);
    this.size -= lost;
    return lost;
  }

  state(t: number): FleetState {
    let warming = 0;
    for (let i = this.cohorts.length - 1; i >= 0; i--) {
      const c = this.cohorts[i];
      if (c.launchedAt + this.longestWarmup <= t) break;
      if (c.readyAt > t) warming += c.count;
    }
    return { inService: this.size - warming, warming };
  }
}
