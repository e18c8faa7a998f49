/**
 * Text from servers and users (folder names, subjects, display names, addresses, IMAP and OVH error messages)
 * ends up on a terminal. A hostile server could put escape sequences in it that clear the screen, rewrite
 * earlier lines, change the window title, write the clipboard (OSC 52) or make links (OSC 8). What comes out of
 * `terminalSafe` holds no control character but newline and tab:
 *
 * - ESC sequences go whole: CSI (`ESC [` ... final byte), the string ones (OSC `ESC ]`, DCS `ESC P`, SOS `ESC X`,
 *   PM `ESC ^`, APC `ESC _`, up to BEL, ST or the end of the line) and two-character escapes (`ESC c`, `ESC ( B`);
 *   their 8-bit C1 forms (U+009B CSI, U+009D OSC, ...) likewise;
 * - every other C0 control (U+0000-U+001F but \n and \t: CR, backspace, BEL...), DEL and the C1 controls
 *   (U+0080-U+009F).
 *
 * Printable text, including any non-ASCII letter, is left as it was.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, '');
}

const UNSAFE = new RegExp(
  [
    // CSI: parameters, intermediates, then a final byte (missing when the text was cut short).
    String.raw`(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?`,
    // OSC, DCS, SOS, PM, APC: a string up to BEL or ST. Left unterminated, it stops at the line's end here.
    String.raw`(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x9c\n]*?(?:\x07|\x1b\\|\x9c|(?=\n)|$)`,
    // Any other escape: intermediates, then one final byte.
    String.raw`\x1b[\x20-\x2f]*[\x30-\x7e]?`,
    // Lone controls: C0 but tab and newline, DEL, C1.
    String.raw`[\x00-\x08\x0b-\x1f\x7f-\x9f]`,
  ].join('|'),
  'g',
);
