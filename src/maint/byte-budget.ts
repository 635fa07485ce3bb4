/**
 * A bound on bytes held at once (reads in memory that are not written yet): `acquire` waits,
 * first come first served, until the bytes fit. One request larger than the whole bound is let
 * through when nothing else is held, so it cannot wait forever.
 */
export class ByteBudget {
  private held = 0;
  private readonly waiting: Array<{ bytes: number; go: () => void }> = [];

  constructor(private readonly limit: number) {}

  /** Bytes held now. */
  get inUse(): number {
    return this.held;
  }

  /** Waits until `bytes` fit, then holds them. */
  async acquire(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.held += bytes;
      return;
    }
    await new Promise<void>((go) => this.waiting.push({ bytes, go }));
  }

  /** Gives back `bytes` held by {@link acquire}. */
  release(bytes: number): void {
    this.held -= bytes;
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.held += next.bytes;
      next.go();
    }
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.limit;
  }
}
