/**
 * After each benchmark run: does the destination hold what the source holds? One LIST-STATUS per account.
 * Folder names differ between contenders (our copier maps special-use folders, mbsync copies names), so the
 * check compares the total and the multiset of non-empty folder sizes, which catches a missing folder, a
 * partial folder and duplicates alike.
 */
import { ImapFlow } from 'imapflow';

export interface FolderCount {
  path: string;
  messages: number;
}

export async function folderCounts(host: string, port: number, user: string, password: string): Promise<FolderCount[]> {
  const client = new ImapFlow({ host, port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
  await client.connect();
  try {
    const folders = await client.list({ statusQuery: { messages: true } });
    return folders
      .filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'))
      .map((f) => ({ path: f.path, messages: f.status?.messages ?? 0 }));
  } finally {
    await client.logout().catch(() => undefined);
  }
}

export interface Verification {
  ok: boolean;
  expected: number;
  found: number;
  detail: string;
  folders: FolderCount[];
}

export function compareCounts(expected: number[], found: FolderCount[]): Omit<Verification, 'folders'> {
  const want = expected.filter((n) => n > 0).sort((a, b) => a - b);
  const have = found.map((f) => f.messages).filter((n) => n > 0).sort((a, b) => a - b);
  const expectedTotal = want.reduce((a, b) => a + b, 0);
  const foundTotal = have.reduce((a, b) => a + b, 0);
  const same = want.length === have.length && want.every((n, i) => n === have[i]);
  return {
    ok: same && expectedTotal === foundTotal,
    expected: expectedTotal,
    found: foundTotal,
    detail: same ? 'every folder complete' : `folder sizes ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`,
  };
}

export async function verifyDestination(
  host: string,
  port: number,
  user: string,
  password: string,
  expected: number[],
): Promise<Verification> {
  const folders = await folderCounts(host, port, user, password);
  return { ...compareCounts(expected, folders), folders };
}
