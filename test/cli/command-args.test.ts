import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommandArgs } from '../../src/cli/command-args.js';

const USAGE = 'usage: migrate-mailbox thing [--count N]\n';
const options = { count: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } as const;

describe('parseCommandArgs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('returns the parsed values', () => {
    const parsed = parseCommandArgs('thing', USAGE, { args: ['--count', '3'], strict: true, options });
    expect(typeof parsed).toBe('object');
    expect(typeof parsed === 'object' && parsed.values.count).toBe('3');
  });

  it('answers a bad argument with one line naming the command, then the usage, and exit code 2', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(parseCommandArgs('thing', USAGE, { args: ['--nope'], strict: true, options })).toBe(2);
    const text = stderr.mock.calls.map((call) => String(call[0])).join('');
    expect(text).toMatch(/^migrate-mailbox thing: .*--nope.*\n\nusage: migrate-mailbox thing/);
  });

  it('prints the usage on stdout for --help and exit code 0', () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(parseCommandArgs('thing', USAGE, { args: ['-h'], strict: true, options })).toBe(0);
    expect(stdout).toHaveBeenCalledWith(USAGE);
  });
});
