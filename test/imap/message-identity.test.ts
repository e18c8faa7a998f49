import { describe, expect, it } from 'vitest';
import { headerBlock, messageIdentity, normaliseMessageId, parseHeaderFields } from '../../src/imap/message-identity.js';
import { diffByIdentity } from '../../src/imap/identity-diff.js';
import { toSequenceSet } from '../../src/imap/uid-set.js';
import { FlagPolicy, sameFlags } from '../../src/imap/flag-policy.js';

describe('message identity', () => {
  it('uses the Message-ID, normalised', () => {
    expect(normaliseMessageId('  <Abc.123@Example.COM> (comment)')).toBe('abc.123@example.com');
    expect(messageIdentity('Message-ID:\r\n <abc@x.org>\r\nSubject: a\r\n\r\n')).toBe(messageIdentity('message-id: <ABC@x.org>\r\n\r\n'));
  });

  it('hashes the stable header fields when there is no Message-ID, and nothing a server reports', () => {
    const headers = 'Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nFrom: a@x.org\r\nSubject: draft\r\n\r\n';
    expect(messageIdentity(headers)).toMatch(/^hash:/);
    expect(messageIdentity(headers)).toBe(messageIdentity(headers));
    expect(messageIdentity(headers)).not.toBe(messageIdentity(headers.replace('draft', 'other')));
    expect(messageIdentity(headers)).not.toBe(messageIdentity(headers.replace('10:00:00', '10:00:01')));
    expect(messageIdentity('Message-ID: \r\n' + headers)).toBe(messageIdentity(headers));
    // Folding and spacing are the sender's (or a server's re-encoding), not the message's.
    expect(messageIdentity(headers.replace('Subject: draft', 'Subject:   draft'))).toBe(messageIdentity(headers));
  });

  it('gives the same identity from a whole message as from its HEADER.FIELDS', () => {
    const raw = Buffer.from('Received: x\r\nFrom: a@x.org\r\nSubject: no id\r\n folded\r\nX-Other: 1\r\n\r\nFrom: body line\r\n');
    const fields = 'From: a@x.org\r\nSubject: no id\r\n folded\r\n\r\n';
    expect(headerBlock(raw).toString()).toBe('Received: x\r\nFrom: a@x.org\r\nSubject: no id\r\n folded\r\nX-Other: 1\r\n');
    expect(messageIdentity(headerBlock(raw))).toBe(messageIdentity(fields));
    expect(headerBlock(Buffer.from('Subject: lf only\n\nbody')).toString()).toBe('Subject: lf only\n');
  });

  it('unfolds headers', () => {
    expect(parseHeaderFields('Subject: a\r\n b\r\nFrom: x\r\n').get('subject')).toBe('a b');
  });
});

describe('diffByIdentity', () => {
  it('compares as multisets, so two identical messages stay two', () => {
    const source = [{ uid: 1, identity: 'a' }, { uid: 2, identity: 'a' }, { uid: 3, identity: 'b' }, { uid: 4, identity: 'c' }];
    const destination = [{ uid: 10, identity: 'a' }, { uid: 11, identity: 'c' }, { uid: 12, identity: 'z' }];
    const diff = diffByIdentity(source, destination);
    expect(diff.missing.map((m) => m.uid)).toEqual([2, 3]);
    expect(diff.matched.map((m) => [m.source.uid, m.destination.uid])).toEqual([[1, 10], [4, 11]]);
  });
});

describe('helpers', () => {
  it('compresses UIDs into a sequence set', () => {
    expect(toSequenceSet([5, 1, 2, 3, 7, 9, 10, 11])).toBe('1:3,5,7,9:11');
    expect(toSequenceSet([])).toBe('');
  });

  it('keeps the flags the destination accepts, never \\Recent', () => {
    expect(new FlagPolicy(['\\Seen', '\\Flagged', '\\*']).filter(['\\Recent', '\\seen', 'Work', '\\Flagged'])).toEqual(['Work', '\\Flagged', '\\Seen']);
    expect(new FlagPolicy(['\\Seen']).filter(['\\Seen', 'Work', '\\Deleted'])).toEqual(['\\Seen']);
    expect(new FlagPolicy(undefined).filter(['$Label1', '\\Answered'])).toEqual(['$Label1', '\\Answered']);
    expect(sameFlags(['\\Seen', '\\Recent'], ['\\seen'])).toBe(true);
  });
});
