/**
 * The project's one priority queue: a binary min-heap of non-negative whole numbers (indexes into
 * some ordered list), in a typed array that grows when full and is reused after `clear`. The
 * availability evaluator pops nodes in dependency order with it, the roll-out order ready items.
 */
export class MinHeap {
  private values: Int32Array;
  private count = 0;

  /** `capacity` is a hint: the heap grows past it. */
  constructor(capacity = 16) {
    this.values = new Int32Array(Math.max(16, capacity));
  }

  /** How many numbers the heap holds. */
  get size(): number {
    return this.count;
  }

  /** Empties the heap, keeping its memory. */
  clear(): void {
    this.count = 0;
  }

  /** Adds `value`. */
  push(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Int32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    const values = this.values;
    let i = this.count++;
    values[i] = value;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (values[parent]! <= value) break;
      values[i] = values[parent]!;
      values[parent] = value;
      i = parent;
    }
  }

  /** Removes and returns the smallest number, or undefined when the heap is empty. */
  pop(): number | undefined {
    if (this.count === 0) return undefined;
    const values = this.values;
    const top = values[0]!;
    const last = values[--this.count]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.count) break;
      const right = left + 1;
      const child = right < this.count && values[right]! < values[left]! ? right : left;
      if (values[child]! >= last) break;
      values[i] = values[child]!;
      i = child;
    }
    if (this.count > 0) values[i] = last;
    return top;
  }
}
