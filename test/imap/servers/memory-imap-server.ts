import type { Socket } from 'node:net';
import { decodeMailboxName, encodeMailboxName } from '../../../src/imap/utf7.js';
import { ScriptedImapServer, type ReceivedCommand } from '../append/scripted-imap-server.js';

/**
 * An IMAP server with mailboxes in memory, speaking the dialect of a real server (see dialects.ts): enough of
 * IMAP4rev1 for the copier on either side (CAPABILITY, NAMESPACE, LIST/XLIST/LSUB/STATUS, SELECT/EXAMINE,
 * UID FETCH, UID STORE, APPEND and MULTIAPPEND, CREATE, SUBSCRIBE, GETQUOTAROOT) with the deviations a dialect
 * asks for: estimated sizes, FLAGS after the body, space-padded dates, unsolicited responses inside a FETCH,
 * keywords refused, a size limit, a BYE after some commands. Tests read and seed the mailboxes directly.
 */

export interface MemoryMessage {
  uid: number;
  raw: Buffer;
  flags: string[];
  internalDate: Date;
}

export interface MemoryFolder {
  /** Unicode path, as the account shows it (prefix included). */
  path: string;
  /** LIST attributes besides \HasChildren/\HasNoChildren (e.g. `\Noselect`, `\Sent`). */
  attributes: string[];
  subscribed: boolean;
  uidValidity: number;
  uidNext: number;
  messages: MemoryMessage[];
}

export interface Dialect {
  /** Written as it is on connect. Default: `* OK [CAPABILITY <capabilities>] ready`. */
  greeting?: string;
  /** Capabilities listed by CAPABILITY (and by the greeting's default). */
  capabilities: string;
  /** Text of the login's tagged OK (after the tag and `OK `). Default: `[CAPABILITY ...] logged in`. */
  loginOk?: string;
  delimiter: string;
  /** The untagged NAMESPACE line, when the server has NAMESPACE. */
  namespace?: string;
  /** The folders a new account starts with. */
  folders: Array<{ path: string; attributes?: string[] }>;
  /** Reported as FLAGS and PERMANENTFLAGS by SELECT (e.g. `\Seen \Answered \Flagged \Deleted \Draft \*`). */
  flags: string;
  permanentFlags: string;
  /** When set, SELECT/EXAMINE answer with these untagged lines (placeholders {exists} {uidvalidity} {uidnext}). */
  selectLines?: string[];
  /** The RFC822.SIZE reported for a message (default: its exact length). */
  reportedSize?(message: MemoryMessage, fetchCount: number): number;
  /** The text of an INTERNALDATE (default: `dd-Mon-yyyy hh:mm:ss +0000`). */
  internalDate?(date: Date): string;
  /** Data items of one FETCH response in the order the server writes them (default: as requested). */
  order?(items: string[]): string[];
  /** Untagged lines written before the response of the n-th message (0-based) of a FETCH. */
  unsolicited?(index: number): string[];
  /** Untagged lines answering GETQUOTAROOT (default: none, the command fails). */
  quota?: string[];
  /** LIST attributes reported for a folder (default: its attributes when `listsSpecialUse`, else only \Noselect & co). */
  listsSpecialUse: boolean;
  /** APPEND of a message with a keyword: answer this instead of storing it. */
  keywordRefusal?: string;
  /** Messages over this many bytes are refused (with `sizeRefusal`), at the literal announcement when synchronising. */
  maxMessageBytes?: number;
  sizeRefusal?: string;
  /** Tagged OK texts. */
  fetchOk?: string;
  appendOk?(uidValidity: number, uids: number[]): string;
  /** Any other command: `BAD ...` text. */
  unknownCommand?: string;
}

interface Connection {
  socket: Socket;
  selected?: MemoryFolder;
  readOnly: boolean;
  commands: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function imapDate(date: Date, padDay: ' ' | '0' = '0'): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(date.getUTCDate()).padStart(2, padDay)}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export class MemoryImapServer {
  readonly folders = new Map<string, MemoryFolder>();
  /** Every command after login, as received, per connection order. */
  readonly log: string[] = [];
  /**
   * Once: the next UID FETCH of message bodies stops after this many messages, writes `line` (e.g. Exchange's
   * idle-timeout BYE) and closes the connection.
   */
  cutBodyFetch?: { after: number; line: string };
  /** Called before a command is handled; return true when it was answered (or the connection cut) here. */
  intercept?: (command: ReceivedCommand, socket: Socket, state: { commands: number; connection: number }) => boolean | Promise<boolean>;
  /** Answered FETCH responses per UID FETCH (for reported sizes that change between fetches). */
  private fetchCount = 0;
  private connectionCount = 0;
  private nextUidValidity = 1_700_000_000;

  private constructor(
    readonly dialect: Dialect,
    private readonly scripted: ScriptedImapServer,
  ) {}

  static async start(dialect: Dialect): Promise<MemoryImapServer> {
    let self: MemoryImapServer | undefined;
    const connections = new WeakMap<Socket, Connection>();
    const state = (socket: Socket): Connection => {
      let connection = connections.get(socket);
      if (!connection) {
        connection = { socket, readOnly: true, commands: 0 };
        connections.set(socket, connection);
      }
      return connection;
    };
    const scripted = await ScriptedImapServer.start({
      capabilities: dialect.capabilities,
      greeting: dialect.greeting,
      onConnect: () => void self!.connectionCount++,
      onLogin: (command, socket) => void socket.write(`${command.tag} OK ${dialect.loginOk ?? `[CAPABILITY ${dialect.capabilities}] logged in`}\r\n`),
      onSyncLiteral: (_tag, text, _socket, size) => {
        if (/^APPEND /i.test(text) && dialect.maxMessageBytes !== undefined && size > dialect.maxMessageBytes) return dialect.sizeRefusal ?? 'NO [TOOBIG] Message too large';
        return undefined;
      },
      onCommand: async (command, socket) => {
        const connection = state(socket);
        connection.commands++;
        self!.log.push(command.text);
        if (self!.intercept && (await self!.intercept(command, socket, { commands: connection.commands, connection: self!.connectionCount }))) return;
        self!.handle(command, connection);
      },
    });
    self = new MemoryImapServer(dialect, scripted);
    for (const folder of dialect.folders) self.create(folder.path, folder.attributes ?? []);
    return self;
  }

  get port(): number {
    return this.scripted.port;
  }

  /** Connections accepted so far (logins, reconnections). */
  get connections(): number {
    return this.scripted.connections;
  }

  get received(): ReceivedCommand[] {
    return this.scripted.received;
  }

  create(path: string, attributes: string[] = [], subscribed = true): MemoryFolder {
    const existing = this.folders.get(path);
    if (existing) return existing;
    const folder: MemoryFolder = { path, attributes, subscribed, uidValidity: this.nextUidValidity++, uidNext: 1, messages: [] };
    this.folders.set(path, folder);
    return folder;
  }

  add(path: string, messages: Array<{ raw: Buffer | string; flags?: string[]; internalDate?: Date }>): void {
    const folder = this.folders.get(path) ?? this.create(path);
    for (const message of messages) {
      folder.messages.push({
        uid: folder.uidNext++,
        raw: typeof message.raw === 'string' ? Buffer.from(message.raw) : message.raw,
        flags: message.flags ?? [],
        internalDate: message.internalDate ?? new Date('2024-01-01T10:00:00Z'),
      });
    }
  }

  messages(path: string): MemoryMessage[] {
    return this.folders.get(path)?.messages ?? [];
  }

  async stop(): Promise<void> {
    await this.scripted.stop();
  }

  private handle(command: ReceivedCommand, connection: Connection): void {
    const { socket } = connection;
    const { tag } = command;
    const [verb, ...rest] = tokenize(command.text, command.literals);
    const word = String(verb?.value ?? '').toUpperCase();
    const ok = (text = `${word} completed`) => socket.write(`${tag} OK ${text}\r\n`);
    const no = (text: string) => socket.write(`${tag} ${text}\r\n`);
    switch (word) {
      case 'CAPABILITY':
        socket.write(`* CAPABILITY ${this.dialect.capabilities}\r\n`);
        return void ok();
      case 'NOOP':
      case 'ENABLE':
      case 'ID':
        return void ok();
      case 'NAMESPACE':
        if (!this.dialect.namespace) return void no(this.dialect.unknownCommand ?? 'BAD Unknown command');
        socket.write(`${this.dialect.namespace}\r\n`);
        return void ok();
      case 'LIST':
      case 'XLIST':
      case 'LSUB':
        return void this.list(word, command.text, connection, ok);
      case 'STATUS': {
        const folder = this.folders.get(decodeMailboxName(text(rest[0])));
        if (!folder) return void no('NO Mailbox does not exist');
        socket.write(`* STATUS ${quote(encodeMailboxName(folder.path))} (MESSAGES ${folder.messages.length} UIDNEXT ${folder.uidNext})\r\n`);
        return void ok();
      }
      case 'SELECT':
      case 'EXAMINE': {
        const folder = this.folders.get(inboxCase(decodeMailboxName(text(rest[0]))));
        if (!folder || folder.attributes.some((a) => /^\\noselect$/i.test(a))) return void no('NO Mailbox does not exist');
        connection.selected = folder;
        connection.readOnly = word === 'EXAMINE';
        const lines = this.dialect.selectLines ?? [
          '* FLAGS ({flags})',
          '* OK [PERMANENTFLAGS ({permanent})] Flags permitted.',
          '* {exists} EXISTS',
          '* 0 RECENT',
          '* OK [UIDVALIDITY {uidvalidity}] UIDs valid.',
          '* OK [UIDNEXT {uidnext}] Predicted next UID.',
        ];
        for (const line of lines) {
          socket.write(
            line
              .replace('{flags}', this.dialect.flags)
              .replace('{permanent}', this.dialect.permanentFlags)
              .replace('{exists}', String(folder.messages.length))
              .replace('{uidvalidity}', String(folder.uidValidity))
              .replace('{uidnext}', String(folder.uidNext)) + '\r\n',
          );
        }
        return void ok(`[${connection.readOnly ? 'READ-ONLY' : 'READ-WRITE'}] ${word} completed.`);
      }
      case 'CREATE': {
        const path = decodeMailboxName(text(rest[0]));
        if (this.folders.has(path)) return void no('NO [ALREADYEXISTS] Mailbox already exists');
        this.create(path, [], false);
        return void ok();
      }
      case 'SUBSCRIBE': {
        const folder = this.folders.get(decodeMailboxName(text(rest[0])));
        if (folder) folder.subscribed = true;
        return void ok();
      }
      case 'GETQUOTAROOT':
        if (!this.dialect.quota) return void no('NO Quotas are not supported');
        for (const line of this.dialect.quota) socket.write(`${line}\r\n`);
        return void ok();
      case 'APPEND':
        return void this.append(command, rest, connection);
      case 'UID': {
        const sub = String(rest[0]?.value ?? '').toUpperCase();
        if (!connection.selected) return void no('BAD No mailbox selected');
        if (sub === 'FETCH') return void this.fetch(connection, text(rest[1]), command.text, tag);
        if (sub === 'STORE') return void this.store(connection, text(rest[1]), command.text, tag);
        return void no('BAD Unknown UID command');
      }
      case 'CLOSE':
      case 'UNSELECT':
        connection.selected = undefined;
        return void ok();
      default:
        no(this.dialect.unknownCommand ?? 'BAD Command unrecognized');
    }
  }

  private list(word: string, commandText: string, connection: Connection, ok: () => void): void {
    const wantsStatus = /RETURN \(.*STATUS \(MESSAGES\)/i.test(commandText);
    for (const folder of this.folders.values()) {
      if (word === 'LSUB' && !folder.subscribed) continue;
      const children = [...this.folders.keys()].some((other) => other.startsWith(folder.path + this.dialect.delimiter));
      const attributes = folder.attributes.filter((attribute) => this.dialect.listsSpecialUse || /^\\(noselect|nonexistent|marked|unmarked)$/i.test(attribute));
      const all = [...attributes, children ? '\\HasChildren' : '\\HasNoChildren'];
      const wire = encodeMailboxName(folder.path);
      connection.socket.write(`* ${word} (${all.join(' ')}) ${quote(this.dialect.delimiter)} ${quote(wire)}\r\n`);
      if (wantsStatus && word === 'LIST' && !folder.attributes.some((a) => /^\\noselect$/i.test(a))) {
        connection.socket.write(`* STATUS ${quote(wire)} (MESSAGES ${folder.messages.length})\r\n`);
      }
    }
    ok();
  }

  private append(command: ReceivedCommand, args: Token[], connection: Connection): void {
    const { socket, } = connection;
    const path = inboxCase(decodeMailboxName(text(args[0])));
    const folder = this.folders.get(path);
    // (flags) "date" literal, repeated (MULTIAPPEND).
    const items: Array<{ flags: string[]; date?: Date; raw: Buffer }> = [];
    let flags: string[] = [];
    let date: Date | undefined;
    for (const token of args.slice(1)) {
      if (token.type === 'list') flags = token.items.map((item) => String(item.value));
      else if (token.type === 'string') date = new Date(Date.parse(String(token.value).replace(/^(\d+)-(\w+)-(\d+) /, '$2 $1 $3 ')));
      else if (token.type === 'literal') {
        items.push({ flags, date, raw: token.value as Buffer });
        flags = [];
        date = undefined;
      }
    }
    if (!folder) return void socket.write(`${command.tag} NO [TRYCREATE] Mailbox does not exist\r\n`);
    if (this.dialect.maxMessageBytes !== undefined && items.some((item) => item.raw.length > this.dialect.maxMessageBytes!)) {
      return void socket.write(`${command.tag} ${this.dialect.sizeRefusal ?? 'NO [TOOBIG] Message too large'}\r\n`);
    }
    if (this.dialect.keywordRefusal && items.some((item) => item.flags.some((flag) => !flag.startsWith('\\') && !permits(this.dialect.permanentFlags, flag)))) {
      return void socket.write(`${command.tag} ${this.dialect.keywordRefusal}\r\n`);
    }
    const uids: number[] = [];
    for (const item of items) {
      const uid = folder.uidNext++;
      uids.push(uid);
      folder.messages.push({ uid, raw: Buffer.from(item.raw), flags: item.flags, internalDate: item.date ?? new Date() });
    }
    socket.write(`${command.tag} OK ${this.dialect.appendOk?.(folder.uidValidity, uids) ?? `[APPENDUID ${folder.uidValidity} ${uids.join(',')}] APPEND completed`}\r\n`);
  }

  private fetch(connection: Connection, set: string, commandText: string, tag: string): void {
    const folder = connection.selected!;
    const requested = fetchItems(commandText);
    const uids = parseSet(set, folder.uidNext - 1);
    const fetchCount = ++this.fetchCount;
    let index = 0;
    const out: Buffer[] = [];
    const cut = requested.some((item) => /^BODY(\.PEEK)?\[\]$/i.test(item)) ? this.cutBodyFetch : undefined;
    let stopped = false;
    folder.messages.forEach((message, position) => {
      if (stopped || !uids(message.uid)) return;
      if (cut && index === cut.after) {
        stopped = true;
        return;
      }
      for (const line of this.dialect.unsolicited?.(index) ?? []) out.push(Buffer.from(`${line}\r\n`));
      index++;
      const parts = new Map<string, Buffer[]>();
      for (const item of requested) {
        const upper = item.toUpperCase();
        if (upper === 'UID') parts.set(item, [Buffer.from(`UID ${message.uid}`)]);
        else if (upper === 'FLAGS') parts.set(item, [Buffer.from(`FLAGS (${message.flags.join(' ')})`)]);
        else if (upper === 'RFC822.SIZE') parts.set(item, [Buffer.from(`RFC822.SIZE ${this.dialect.reportedSize?.(message, fetchCount) ?? message.raw.length}`)]);
        else if (upper === 'INTERNALDATE') parts.set(item, [Buffer.from(`INTERNALDATE "${this.dialect.internalDate?.(message.internalDate) ?? imapDate(message.internalDate)}"`)]);
        else if (upper === 'BODY.PEEK[]' || upper === 'BODY[]' || upper === 'RFC822') {
          parts.set(item, [Buffer.from(`${upper === 'RFC822' ? 'RFC822' : 'BODY[]'} {${message.raw.length}}\r\n`), message.raw]);
        } else if (upper.startsWith('BODY.PEEK[HEADER.FIELDS')) {
          const fields = headerFields(message.raw, /\(([^)]*)\)/.exec(item)![1]!.split(/\s+/));
          parts.set(item, [Buffer.from(`${item.replace(/^BODY\.PEEK/i, 'BODY')} {${fields.length}}\r\n`), fields]);
        }
      }
      const order = this.dialect.order?.([...parts.keys()]) ?? [...parts.keys()];
      const pieces: Buffer[] = [Buffer.from(`* ${position + 1} FETCH (`)];
      order.forEach((key, i) => {
        if (i > 0) pieces.push(Buffer.from(' '));
        pieces.push(...parts.get(key)!);
      });
      pieces.push(Buffer.from(')\r\n'));
      out.push(...pieces);
    });
    if (stopped) {
      this.cutBodyFetch = undefined;
      out.push(Buffer.from(`${cut!.line}\r\n`));
      connection.socket.end(Buffer.concat(out));
      return;
    }
    out.push(Buffer.from(`${tag} OK ${this.dialect.fetchOk ?? 'FETCH completed.'}\r\n`));
    connection.socket.write(Buffer.concat(out));
  }

  private store(connection: Connection, set: string, commandText: string, tag: string): void {
    const folder = connection.selected!;
    const match = /FLAGS(?:\.SILENT)? \(([^)]*)\)/i.exec(commandText);
    const flags = match ? match[1]!.split(' ').filter(Boolean) : [];
    const uids = parseSet(set, folder.uidNext - 1);
    for (const message of folder.messages) if (uids(message.uid)) message.flags = flags.filter((flag) => flag.startsWith('\\') || permits(this.dialect.permanentFlags, flag));
    connection.socket.write(`${tag} OK STORE completed.\r\n`);
  }
}

/** True when a PERMANENTFLAGS list lets this keyword be kept. */
function permits(permanentFlags: string, keyword: string): boolean {
  const list = permanentFlags.split(/\s+/).map((flag) => flag.toLowerCase());
  return list.includes('\\*') || list.includes(keyword.toLowerCase());
}

function inboxCase(path: string): string {
  return path.toUpperCase() === 'INBOX' ? 'INBOX' : path;
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** The header lines of `raw` whose names are in `names`, then the blank line (BODY[HEADER.FIELDS (...)]). */
function headerFields(raw: Buffer, names: string[]): Buffer {
  const wanted = new Set(names.map((name) => name.replace(/"/g, '').toLowerCase()));
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end + 2);
  const lines = head.split(/\r\n(?![ \t])/).filter(Boolean);
  const kept = lines.filter((line) => wanted.has(line.slice(0, line.indexOf(':')).trim().toLowerCase()));
  return Buffer.from(kept.map((line) => `${line}\r\n`).join('') + '\r\n', 'latin1');
}

/** `1:*`, `3,5:7`: a membership test over UIDs. */
function parseSet(set: string, last: number): (uid: number) => boolean {
  const ranges = set.split(',').map((part) => {
    const [from, to] = part.split(':');
    const a = from === '*' ? last : Number(from);
    const b = to === undefined ? a : to === '*' ? Math.max(last, a) : Number(to);
    return [Math.min(a, b), Math.max(a, b)] as const;
  });
  return (uid) => ranges.some(([a, b]) => uid >= a && uid <= b);
}

/** The data items of `UID FETCH set (items)`, top-level only: `BODY.PEEK[HEADER.FIELDS (A B)]` stays one item. */
function fetchItems(commandText: string): string[] {
  const open = commandText.indexOf('(');
  const body = commandText.slice(open + 1, commandText.lastIndexOf(')'));
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of body) {
    if (char === '[' || char === '(') depth++;
    if (char === ']' || char === ')') depth--;
    if (char === ' ' && depth === 0) {
      if (current) items.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (current) items.push(current);
  return items;
}

interface Token {
  type: 'atom' | 'string' | 'literal' | 'list';
  value?: string | Buffer;
  items: Token[];
}

function text(token: Token | undefined): string {
  if (!token) return '';
  return Buffer.isBuffer(token.value) ? token.value.toString('utf8') : String(token.value ?? '');
}

/** Command arguments: atoms, quoted strings, `<literal n>` placeholders (the received literals), lists. */
function tokenize(commandText: string, literals: Buffer[]): Token[] {
  let position = 0;
  let literal = 0;
  const parse = (): Token[] => {
    const tokens: Token[] = [];
    while (position < commandText.length) {
      const char = commandText[position]!;
      if (char === ' ') {
        position++;
      } else if (char === ')') {
        position++;
        return tokens;
      } else if (char === '(') {
        position++;
        tokens.push({ type: 'list', items: parse() });
      } else if (char === '"') {
        let value = '';
        position++;
        while (position < commandText.length && commandText[position] !== '"') {
          if (commandText[position] === '\\') position++;
          value += commandText[position++];
        }
        position++;
        tokens.push({ type: 'string', value, items: [] });
      } else if (commandText.startsWith('<literal ', position)) {
        position = commandText.indexOf('>', position) + 1;
        tokens.push({ type: 'literal', value: literals[literal++], items: [] });
      } else {
        const start = position;
        while (position < commandText.length && !' ()'.includes(commandText[position]!)) {
          if (commandText[position] === '[') position = commandText.indexOf(']', position);
          position++;
        }
        tokens.push({ type: 'atom', value: commandText.slice(start, position), items: [] });
      }
    }
    return tokens;
  };
  return parse();
}
