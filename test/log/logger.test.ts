import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

describe('createLogger', () => {
  it('writes one JSON object per event with secrets redacted', () => {
    const { stream, lines } = capture();
    const logger = createLogger('info', stream);
    logger.info({ from: { user: 'john@d.ovh', password: 'hunter2' }, token: 'xoxb-1', auth: { pass: 'p' } }, 'copy started');
    logger.debug('not at info level');
    const events = lines();
    expect(events).toHaveLength(1);
    expect(events[0].msg).toBe('copy started');
    expect(events[0].from).toEqual({ user: 'john@d.ovh', password: '[redacted]' });
    expect(events[0].token).toBe('[redacted]');
    expect(events[0].auth).toEqual({ pass: '[redacted]' });
    expect(JSON.stringify(events)).not.toContain('hunter2');
  });
});
