import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../core/priority-queue';

describe('the priority queue', () => {
  it('pops every number it was given, smallest first, growing past its first capacity', () => {
    const heap = new MinHeap(4);
    const given = Array.from({ length: 200 }, (_, index) => (index * 7919) % 211);
    for (const value of given) heap.push(value);
    expect(heap.size).toBe(200);
    const popped: number[] = [];
    for (let value = heap.pop(); value !== undefined; value = heap.pop()) popped.push(value);
    expect(popped).toEqual([...given].sort((a, b) => a - b));
    expect(heap.size).toBe(0);
  });

  it('is empty after clear and takes new numbers', () => {
    const heap = new MinHeap();
    heap.push(5);
    heap.push(3);
    heap.clear();
    expect(heap.pop()).toBeUndefined();
    heap.push(9);
    heap.push(2);
    expect([heap.pop(), heap.pop(), heap.pop()]).toEqual([2, 9, undefined]);
  });
});
