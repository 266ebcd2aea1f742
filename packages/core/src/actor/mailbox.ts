/**
 * An actor's mailbox: a growable ring buffer. push and shift are O(1) and allocate nothing;
 * the array doubles when full and never shrinks (a mailbox that was once busy stays ready).
 */
export class Mailbox<T> {
  private slots: (T | undefined)[]
  private mask: number
  private head = 0
  private size = 0

  constructor(initialCapacity = 16) {
    let capacity = 8
    while (capacity < initialCapacity) capacity *= 2
    this.slots = new Array<T | undefined>(capacity).fill(undefined)
    this.mask = capacity - 1
  }

  get length(): number {
    return this.size
  }

  push(item: T): void {
    if (this.size === this.slots.length) this.grow()
    this.slots[(this.head + this.size) & this.mask] = item
    this.size++
  }

  /** The oldest item; only call when `length > 0`. */
  shift(): T {
    const item = this.slots[this.head] as T
    // Release the slot so a consumed message can be collected while the queue lives on.
    this.slots[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.size--
    return item
  }

  /** The item `index` places from the head, without removing it. */
  peek(index = 0): T | undefined {
    return index < this.size ? this.slots[(this.head + index) & this.mask] : undefined
  }

  /** A copy of the queued items, oldest first, leaving them queued. */
  toArray(): T[] {
    const items = new Array<T>(this.size)
    for (let i = 0; i < this.size; i++) items[i] = this.slots[(this.head + i) & this.mask] as T
    return items
  }

  /** Removes and returns up to `max` items from the head, oldest first. */
  take(max: number): T[] {
    const count = Math.min(max, this.size)
    const items = new Array<T>(count)
    for (let i = 0; i < count; i++) items[i] = this.shift()
    return items
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    return this.take(this.size)
  }

  private grow(): void {
    const capacity = this.slots.length * 2
    const slots = new Array<T | undefined>(capacity).fill(undefined)
    for (let i = 0; i < this.size; i++) slots[i] = this.slots[(this.head + i) & this.mask]
    this.slots = slots
    this.mask = capacity - 1
    this.head = 0
  }
}
