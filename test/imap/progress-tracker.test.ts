import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../src/imap/progress-tracker.js';
import type { CopyProgress } from '../../src/domain/copy-report.js';

describe('ProgressTracker', () => {
  it('reports at a bounded rate, with phase changes always, and computes rate and ETA', () => {
    let now = 0;
    const events: CopyProgress[] = [];
    const tracker = new ProgressTracker((progress) => events.push(progress), 250, () => now);
    tracker.setTotals(100, 10_000);
    tracker.enter('copying');
    for (let i = 0; i < 50; i++) {
      now += 20;
      tracker.add(1, 100, 'INBOX');
    }
    // 1 s of adds every 20 ms: the phase change plus about one event per 250 ms.
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.length).toBeLessThanOrEqual(6);
    const last = tracker.snapshot();
    expect(last).toMatchObject({ phase: 'copying', folder: 'INBOX', messagesDone: 50, messagesTotal: 100, bytesDone: 5000, bytesTotal: 10_000 });
    expect(last.rate).toBe(5000);
    expect(last.etaSeconds).toBe(1);
    tracker.enter('done');
    expect(events.at(-1)?.phase).toBe('done');
  });

  it('never lets a failing listener break the copy', () => {
    const tracker = new ProgressTracker(() => {
      throw new Error('listener bug');
    });
    expect(() => tracker.enter('scanning')).not.toThrow();
  });
});
