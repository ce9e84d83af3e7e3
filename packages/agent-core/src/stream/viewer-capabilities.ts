/**
 * The capability flags each viewer announced, and whether a feature may be used: only while
 * every viewer has its flag, so a viewer that knows only the baseline still sees an exact screen.
 */
export class ViewerCapabilities {
  /** Undefined for a viewer added without flags: it takes everything. */
  readonly #flags = new Map<string, ReadonlySet<string> | undefined>();

  set(viewerId: string, flags: readonly string[] | undefined): void {
    this.#flags.set(viewerId, flags === undefined ? undefined : new Set(flags));
  }

  delete(viewerId: string): void {
    this.#flags.delete(viewerId);
  }

  /** True when every viewer announced `flag` (or takes everything). */
  everyViewerHas(flag: string): boolean {
    for (const flags of this.#flags.values()) if (flags !== undefined && !flags.has(flag)) return false;
    return true;
  }
}
