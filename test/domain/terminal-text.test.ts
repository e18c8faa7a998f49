import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/domain/terminal-text.js';

/** Any control character but newline and tab. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('terminalSafe', () => {
  it('leaves printable text, accents, emoji, newlines and tabs alone', () => {
    const text = 'INBOX.Éléments envoyés\tПочта 📬 [2J]\nsecond line ~!@#$%^&*()';
    expect(terminalSafe(text)).toBe(text);
  });

  it('removes CSI sequences whole: clear screen, cursor moves, colours, private modes', () => {
    expect(terminalSafe('a\x1b[2Jb')).toBe('ab');
    expect(terminalSafe('\x1b[1;31mred\x1b[0m')).toBe('red');
    expect(terminalSafe('x\x1b[3Ay\x1b[?25lz\x1b[K')).toBe('xyz');
    expect(terminalSafe('cut short \x1b[12')).toBe('cut short ');
  });

  it('removes OSC and the other string sequences up to BEL or ST: titles, clipboard, hyperlinks', () => {
    expect(terminalSafe('a\x1b]0;pwned\x07b')).toBe('ab');
    expect(terminalSafe('a\x1b]52;c;ZWNobyBoaQ==\x1b\\b')).toBe('ab');
    expect(terminalSafe('\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\')).toBe('click');
    expect(terminalSafe('a\x1bPq#0;2;0;0;0\x1b\\b\x1b_apc\x1b\\c\x1b^pm\x07d\x1bXsos\x1b\\e')).toBe('abcde');
    // Unterminated: gone up to the end of its line, the next line stays.
    expect(terminalSafe('a\x1b]0;title\nnext')).toBe('a\nnext');
    expect(terminalSafe('a\x1b]0;title')).toBe('a');
  });

  it('removes two-character escapes: reset, save/restore cursor, charset switches', () => {
    expect(terminalSafe('a\x1bcb\x1b7c\x1b8d\x1b(0e\x1b(Bf\x1b')).toBe('abcdef');
  });

  it('removes the 8-bit C1 forms and every C1 control', () => {
    expect(terminalSafe('a\u009b2Jb')).toBe('ab');
    expect(terminalSafe('a\u009d0;title\u009cb')).toBe('ab');
    expect(terminalSafe('a\u0085b\u0080c\u0099d\u008d')).toBe('abcd');
  });

  it('removes C0 controls but newline and tab, and DEL', () => {
    expect(terminalSafe('ok\rFAKE\x08\x08\x07\x00\x0b\x0c\x7f!\n\tend')).toBe('okFAKE!\n\tend');
    let all = '';
    for (let code = 0; code <= 0x9f; code++) all += String.fromCharCode(code);
    const safe = terminalSafe(all);
    expect(safe).not.toMatch(CONTROL);
    expect(safe).toContain('\n');
    expect(safe).toContain('\t');
  });
});
