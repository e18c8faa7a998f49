import { describe, expect, it } from 'vitest';
import { BodyArena } from '../../src/imap/body-arena.js';

const body = (size: number, fill: number) => Buffer.alloc(size, fill);

/** A body that found no room: same bytes, in memory of its own (the source may be reused right after). */
function expectOwnCopy(slot: { bytes: Buffer }, source: Buffer): void {
  expect(slot.bytes.equals(source)).toBe(true);
  expect(slot.bytes.buffer).not.toBe(source.buffer);
  source.fill(0xee);
  expect(slot.bytes.equals(source)).toBe(false);
}

describe('BodyArena', () => {
  it('copies bodies into one reused block and keeps their bytes exact', () => {
    const arena = new BodyArena(100);
    const a = arena.copy(body(40, 1));
    const b = arena.copy(body(40, 2));
    expect(a.bytes.equals(body(40, 1))).toBe(true);
    expect(b.bytes.equals(body(40, 2))).toBe(true);
    expect(a.bytes.buffer).toBe(b.bytes.buffer);
    expect(arena.inUse).toBe(80);
  });

  it('copies a body into memory of its own when there is no room, without blocking', () => {
    const arena = new BodyArena(100);
    const big = body(150, 3);
    expectOwnCopy(arena.copy(big), big);
    const first = arena.copy(body(60, 1));
    const source = body(60, 2);
    const overflow = arena.copy(source);
    expect(overflow.bytes.buffer).not.toBe(first.bytes.buffer);
    expectOwnCopy(overflow, source);
  });

  it('reuses space only once every older slot is released, and wraps around', () => {
    const arena = new BodyArena(100);
    const a = arena.copy(body(40, 1));
    const b = arena.copy(body(40, 2));
    b.release();
    // a is still live: b's space stays taken, and nothing else fits after it.
    const c = arena.copy(body(30, 3));
    expect(c.bytes.buffer).not.toBe(a.bytes.buffer);
    a.release();
    expect(arena.inUse).toBe(0);
    const d = arena.copy(body(70, 4));
    expect(d.bytes.byteOffset - a.bytes.byteOffset).toBe(0);
    const e = arena.copy(body(30, 5));
    expect(e.bytes.buffer).toBe(d.bytes.buffer);
    d.release();
    // Wrapped: e sits at 70..100, so the next slot starts at 0 and must not reach e.
    const f = arena.copy(body(60, 6));
    expect(f.bytes.buffer).toBe(d.bytes.buffer);
    const g = arena.copy(body(20, 7));
    expect(g.bytes.buffer).not.toBe(d.bytes.buffer);
    expect(e.bytes.equals(body(30, 5))).toBe(true);
    expect(f.bytes.equals(body(60, 6))).toBe(true);
  });

  it('release is idempotent and reset forgets every slot', () => {
    const arena = new BodyArena(100);
    const a = arena.copy(body(50, 1));
    a.release();
    a.release();
    expect(arena.inUse).toBe(0);
    const b = arena.copy(body(50, 2));
    arena.copy(body(50, 3));
    arena.reset();
    b.release();
    expect(arena.inUse).toBe(0);
    expect(arena.copy(body(100, 4)).bytes.buffer).toBe(b.bytes.buffer);
  });
});
