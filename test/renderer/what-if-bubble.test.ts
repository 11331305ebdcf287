import { describe, expect, it } from 'vitest';
import { placeBubble } from '../../renderer/canvas/WhatIfBubbles';

const pane = { width: 880, height: 800 };
const size = { width: 260, height: 70 };

function overlaps(a: { x: number; y: number }, b: { x: number; y: number; width: number; height: number }) {
  return a.x < b.x + b.width && a.x + size.width > b.x && a.y < b.y + b.height && a.y + size.height > b.y;
}

describe('the what-if bubble', () => {
  it('sits right of its entrypoint when there is room', () => {
    const anchor = { x: 100, y: 300, width: 140, height: 40 };
    expect(placeBubble(anchor, size, pane, [])).toEqual({ x: 250, y: 285 });
  });

  it('near the right edge, goes where it covers no other entrypoint instead of over its label', () => {
    // Tealeaf's top row: the portal's entrypoint near the pane's right edge, the captured-traffic
    // entrypoint to its left; the bubble once went left, over the captured-traffic label.
    const portal = { x: 680, y: 90, width: 140, height: 40 };
    const captured = { x: 330, y: 90, width: 150, height: 40 };
    const at = placeBubble(portal, size, pane, [captured]);
    expect(overlaps(at, captured)).toBe(false);
    expect(overlaps(at, portal)).toBe(false);
    expect(at.x).toBeGreaterThanOrEqual(8);
    expect(at.x + size.width).toBeLessThanOrEqual(pane.width - 8);
  });

  it('stays inside the pane whatever it covers', () => {
    const anchor = { x: 840, y: 780, width: 140, height: 40 };
    const at = placeBubble(anchor, size, pane, []);
    expect(at.x + size.width).toBeLessThanOrEqual(pane.width - 8);
    expect(at.y + size.height).toBeLessThanOrEqual(pane.height - 8);
  });
});
