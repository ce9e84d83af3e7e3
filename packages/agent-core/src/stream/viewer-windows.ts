/**
 * Per-viewer flow-control windows: the sequence numbers each viewer has been sent and not yet
 * acknowledged. Acks are cumulative.
 */
export class ViewerWindows {
  readonly #size: number;
  readonly #inFlight = new Map<string, bigint[]>();

  constructor(size: number) {
    this.#size = size;
  }

  get size(): number {
    return this.#inFlight.size;
  }

  add(viewerId: string): void {
    if (!this.#inFlight.has(viewerId)) this.#inFlight.set(viewerId, []);
  }

  remove(viewerId: string): void {
    this.#inFlight.delete(viewerId);
  }

  has(viewerId: string): boolean {
    return this.#inFlight.has(viewerId);
  }

  /** Frames `viewerId` has in flight. */
  inFlight(viewerId: string): number {
    return this.#inFlight.get(viewerId)?.length ?? 0;
  }

  /** Records that frame `sequence` went to `viewerId`, or to every viewer when it is ''. */
  sent(viewerId: string, sequence: bigint): void {
    if (viewerId === '') {
      for (const list of this.#inFlight.values()) list.push(sequence);
    } else {
      this.#inFlight.get(viewerId)?.push(sequence);
    }
  }

  ack(viewerId: string, sequence: bigint): void {
    const list = this.#inFlight.get(viewerId);
    if (list === undefined) return;
    let drop = 0;
    while (drop < list.length && (list[drop] as bigint) <= sequence) drop++;
    list.splice(0, drop);
  }

  reset(viewerId: string): void {
    const list = this.#inFlight.get(viewerId);
    if (list !== undefined) list.length = 0;
  }

  resetAll(): void {
    for (const list of this.#inFlight.values()) list.length = 0;
  }

  clear(): void {
    this.#inFlight.clear();
  }

  /** Whether at least one viewer has room for another frame. */
  anyRoom(): boolean {
    for (const list of this.#inFlight.values()) if (list.length < this.#size) return true;
    return false;
  }
}
