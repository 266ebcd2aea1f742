/**
 * The fetched bytes one partition feed holds against its subscription's budget: from the moment
 * a fetch returns until its records are taken. A batch whose records were all emitted is let go
 * at once when nobody acknowledges (records count as taken when emitted), else when its last
 * emitted record is acknowledged. Deliveries are numbered per feed, so an acknowledgement is a
 * comparison of numbers, never of BigInt offsets.
 */

/** The subscription's side of the budget. */
export interface ByteBudget {
  readonly acknowledging: boolean
  markAcknowledging(): void
  hold(bytes: number): void
  release(bytes: number): void
}

export class HeldBytes {
  /** The offset of the last acknowledged record. */
  acknowledgedOffset: bigint | undefined = undefined
  /** The delivery number of the last acknowledged record; -1 before the first. */
  acknowledgedSequence = -1
  private total = 0
  private readonly waiting: { readonly lastSequence: number; readonly bytes: number }[] = []

  constructor(private readonly budget: ByteBudget) {}

  hold(bytes: number): void {
    this.total += bytes
    this.budget.hold(bytes)
  }

  release(bytes: number): void {
    this.total -= bytes
    this.budget.release(bytes)
  }

  /** A batch is emitted; `lastSequence` is its last record's delivery number (-1: none emitted). */
  batchEmitted(bytes: number, lastSequence: number): void {
    if (lastSequence < 0 || !this.budget.acknowledging || lastSequence <= this.acknowledgedSequence) this.release(bytes)
    else this.waiting.push({ lastSequence, bytes })
  }

  /** Deliveries up to `sequence` are done: the batches they finish are let go. */
  acknowledge(sequence: number, offset: bigint): void {
    if (!this.budget.acknowledging) this.budget.markAcknowledging()
    if (sequence <= this.acknowledgedSequence) return
    this.acknowledgedSequence = sequence
    this.acknowledgedOffset = offset
    const waiting = this.waiting
    while (waiting.length > 0 && waiting[0].lastSequence <= sequence) this.release(waiting.shift()!.bytes)
  }

  releaseAll(): void {
    this.waiting.length = 0
    if (this.total !== 0) this.release(this.total)
  }
}
