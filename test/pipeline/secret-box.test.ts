import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/pipeline/secret-box.js';

const REFUSED = /SECRETS_KEY differs from the one that sealed it, or the value was altered/;

/** Replaces one base64url part of `v1.<iv>.<tag>.<body>` (1 = iv, 2 = tag, 3 = body). */
function withPart(sealed: string, index: number, change: (bytes: Buffer) => Buffer): string {
  const parts = sealed.split('.');
  parts[index] = change(Buffer.from(parts[index]!, 'base64url')).toString('base64url');
  return parts.join('.');
}

describe('SecretBox.open', () => {
  const box = SecretBox.fromText('11'.repeat(32));
  const sealed = box.seal('Destination-P4ss!', 'mig-john@d.fr:destination');

  it('opens what it sealed, with the same purpose', () => {
    expect(box.open(sealed, 'mig-john@d.fr:destination')).toBe('Destination-P4ss!');
    expect(box.open(box.seal(''), '')).toBe('');
  });

  it('refuses a truncated authentication tag, even though GCM would check the shorter tag', () => {
    for (const length of [4, 8, 12, 15]) {
      const truncated = withPart(sealed, 2, (tag) => tag.subarray(0, length));
      expect(() => box.open(truncated, 'mig-john@d.fr:destination')).toThrow(REFUSED);
    }
    // A tag longer than 16 bytes is not one we wrote either.
    expect(() => box.open(withPart(sealed, 2, (tag) => Buffer.concat([tag, Buffer.from([0])])), 'mig-john@d.fr:destination')).toThrow(REFUSED);
  });

  it('refuses an altered body, tag or IV', () => {
    const flip = (bytes: Buffer): Buffer => {
      const copy = Buffer.from(bytes);
      copy[0]! ^= 1;
      return copy;
    };
    for (const part of [1, 2, 3]) expect(() => box.open(withPart(sealed, part, flip), 'mig-john@d.fr:destination')).toThrow(REFUSED);
    expect(() => box.open(withPart(sealed, 1, (iv) => iv.subarray(0, 8)), 'mig-john@d.fr:destination')).toThrow(REFUSED);
  });

  it('refuses a value sealed for another purpose or with another key', () => {
    expect(() => box.open(sealed, 'mig-anne@d.fr:destination')).toThrow(REFUSED);
    expect(() => box.open(sealed)).toThrow(REFUSED);
    expect(() => SecretBox.fromText('22'.repeat(32)).open(sealed, 'mig-john@d.fr:destination')).toThrow(REFUSED);
  });

  it('says when a value is not a sealed secret at all', () => {
    expect(() => box.open('S3cret!')).toThrow('not a sealed secret');
    expect(() => box.open(`${sealed}.more`, 'mig-john@d.fr:destination')).toThrow('not a sealed secret');
  });
});
