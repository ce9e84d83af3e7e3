/** Time source; tests inject a settable one to cross expiry boundaries. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
