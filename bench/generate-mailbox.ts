/**
 * Deterministic generator of a realistic mailbox for the copy benchmark.
 *
 * Every folder gets its own PRNG stream derived from (seed, folder), so a folder's messages do not depend on
 * the order folders are generated in, and messages are produced one at a time (a generator), so seeding
 * 20,000 messages never holds more than one message in memory.
 */
import { createHash } from 'node:crypto';
import type { DovecotServer, SeedMessage, SpecialUse } from '../src/sandbox/dovecot.js';

// ---------------------------------------------------------------------------------------------------------
// PRNG: xoshiro128** seeded through splitmix32; small, fast and good enough for test data.

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: string | number) {
    let h = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
    const next = (): number => {
      h = (h + 0x9e3779b9) >>> 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Log-uniform in [min, max]: many small values, a few large ones. */
  logUniform(min: number, max: number): number {
    return Math.round(Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min))));
  }

  /** `length` pseudo-random bytes (incompressible, like a JPEG or a PDF). */
  bytes(length: number): Buffer {
    const words = new Uint32Array(Math.ceil(length / 4));
    for (let i = 0; i < words.length; i++) words[i] = this.u32();
    return Buffer.from(words.buffer, 0, length);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function hashString(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

// ---------------------------------------------------------------------------------------------------------
// Mailbox shape

export interface FolderSpec {
  /** Folder name with '/' as the hierarchy separator and no namespace prefix. */
  name: string;
  /** Share of the mailbox's messages. */
  share: number;
  /** The folder's special use on the source server, if any. */
  specialUse?: SpecialUse;
  kind: 'inbox' | 'sent' | 'drafts' | 'archive' | 'folder';
}

/** Six folders, French special-use names as on a French Exchange / E-mail Pro mailbox. */
export const FOLDERS: readonly FolderSpec[] = [
  { name: 'INBOX', share: 0.42, kind: 'inbox' },
  { name: 'Éléments envoyés', share: 0.2, specialUse: 'sent', kind: 'sent' },
  { name: 'Brouillons', share: 0.01, specialUse: 'drafts', kind: 'drafts' },
  { name: 'Archives', share: 0.09, specialUse: 'archive', kind: 'archive' },
  { name: 'Archives/2024', share: 0.2, kind: 'archive' },
  { name: 'Projets/Clients été', share: 0.08, kind: 'folder' },
];

/** Special-use names to give the source Dovecot so that FOLDERS' special folders are what it advertises. */
export const SOURCE_SPECIAL_USE: Partial<Record<SpecialUse, string>> = {
  sent: 'Éléments envoyés',
  drafts: 'Brouillons',
  trash: 'Éléments supprimés',
  junk: 'Courrier indésirable',
  archive: 'Archives',
};

export interface MailboxOptions {
  messages: number;
  seed?: string;
  /** Share of messages that carry a base64 attachment. */
  attachmentShare?: number;
  /** Largest attachment (decoded bytes). */
  maxAttachmentBytes?: number;
}

export const DEFAULT_SEED = 'migrate-mailbox-bench-1';
/** Tuned so that 5,000 messages come to about 100 MiB. */
export const DEFAULT_ATTACHMENT_SHARE = 0.053;
export const DEFAULT_MAX_ATTACHMENT_BYTES = 1_000_000;

/** How many messages each folder gets (largest remainder, so the counts add up to `total`). */
export function folderCounts(total: number, folders: readonly FolderSpec[] = FOLDERS): number[] {
  const exact = folders.map((f) => f.share * total);
  const sumShares = folders.reduce((sum, f) => sum + f.share, 0);
  const scaled = exact.map((x) => x / sumShares);
  const counts = scaled.map(Math.floor);
  let missing = total - counts.reduce((a, b) => a + b, 0);
  const order = scaled.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; missing > 0; k = (k + 1) % order.length, missing--) counts[order[k]!.i]!++;
  return counts;
}

export interface GeneratedMessage extends SeedMessage {
  raw: Buffer;
  flags: string[];
  internalDate: Date;
  messageId: string | undefined;
  hasAttachment: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Content

const FIRST = ['Jean', 'Marie', 'Pierre', 'Sophie', 'Luc', 'Camille', 'Nicolas', 'Julie', 'Thomas', 'Léa', 'Hélène', 'François', 'Anna', 'David', 'Chloé', 'Olivier', 'Inès', 'Mathieu', 'Sarah', 'Émile'];
const LAST = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'Roux', 'Fournier', 'Girard', 'Bonnet', 'Müller'];
const DOMAINS = ['mydomain.ovh', 'example.com', 'client-industrie.fr', 'fournisseur.eu', 'partenaire.de', 'gmail.com', 'orange.fr', 'laposte.net'];
const SUBJECTS = [
  'Réunion de lancement du projet', 'Devis pour la prestation', 'Facture n°', 'Compte rendu de la réunion', 'Planning de la semaine',
  'Question sur le contrat', 'Relance : documents manquants', 'Invitation : déjeuner d\'équipe', 'Mise à jour du serveur', 'Proposition commerciale',
  'Congés d\'été', 'Suivi de commande', 'Quarterly report', 'Meeting notes', 'Budget prévisionnel', 'Accès VPN', 'Bon de livraison', 'Rappel : échéance',
  'Newsletter', 'Votre avis compte', 'Candidature spontanée', 'Migration des boîtes e-mail', 'Ordre du jour', 'Présentation client',
];
const WORDS = (
  'le la les un une des de du et à en pour avec sur dans par ce cette nous vous ils elle projet réunion client ' +
  'document semaine prochaine merci bonjour cordialement serveur migration contrat facture délai équipe mise jour ' +
  'ci-joint version finale validation budget planning livraison question réponse rapidement possible demain hier ' +
  'important point suivant proposition accord disponible calendrier retour information message compte rendu ' +
  'the meeting schedule report please find attached thanks regards next week team update review deadline'
).split(' ');
const MAILERS = ['Microsoft Outlook 16.0', 'Mozilla Thunderbird 115.6.0', 'Apple Mail (2.3774)', 'Roundcube Webmail/1.6.5', undefined];
const ATTACHMENTS: [string, string][] = [
  ['application/pdf', 'pdf'],
  ['image/jpeg', 'jpg'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
  ['image/png', 'png'],
  ['application/zip', 'zip'],
];

const START = Date.UTC(2019, 0, 2, 8, 0, 0);
const END = Date.UTC(2025, 5, 30, 18, 0, 0);

function person(rng: Rng): { name: string; address: string } {
  const first = rng.pick(FIRST);
  const last = rng.pick(LAST);
  const local = `${first}.${last}`
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  return { name: `${first} ${last}`, address: `${local}@${rng.pick(DOMAINS)}` };
}

/** RFC 2047 encoded-word when the text is not ASCII. */
function encodeHeader(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
}

function formatAddress(p: { name: string; address: string }): string {
  const name = encodeHeader(p.name);
  return name === p.name ? `"${p.name}" <${p.address}>` : `${name} <${p.address}>`;
}

function rfc2822Date(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function paragraph(rng: Rng, words: number): string {
  const out: string[] = [];
  let line = '';
  for (let i = 0; i < words; i++) {
    let word = rng.pick(WORDS);
    if (i === 0) word = word[0]!.toUpperCase() + word.slice(1);
    if (line.length + word.length + 1 > 72) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line + '.');
  return out.join('\r\n');
}

function textBody(rng: Rng, signer: string): string {
  const paragraphs = rng.int(1, 6);
  const parts = ['Bonjour,'];
  for (let i = 0; i < paragraphs; i++) parts.push(paragraph(rng, rng.logUniform(15, 160)));
  parts.push(`Cordialement,\r\n${signer}`);
  if (rng.chance(0.4)) {
    const quoted = paragraph(rng, rng.int(20, 200))
      .split('\r\n')
      .map((l) => `> ${l}`)
      .join('\r\n');
    parts.push(`Le ${rng.int(1, 28)}/${rng.int(1, 12)}, quelqu'un a écrit :\r\n${quoted}`);
  }
  return parts.join('\r\n\r\n') + '\r\n';
}

function htmlOf(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const paragraphs = escaped.split('\r\n\r\n').map((p) => `<p>${p.replace(/\r\n/g, '<br>\r\n')}</p>`);
  return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\r\n<body style="font-family: Calibri, sans-serif">\r\n${paragraphs.join('\r\n')}\r\n</body></html>\r\n`;
}

/** Quoted-printable (RFC 2045) for UTF-8 text with CRLF line ends. */
function quotedPrintable(text: string): string {
  const lines = text.split('\r\n');
  return lines
    .map((line) => {
      let out = '';
      let width = 0;
      for (const byte of Buffer.from(line)) {
        const literal = (byte >= 33 && byte <= 126 && byte !== 61) || byte === 32;
        const piece = literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
        if (width + piece.length > 75) {
          out += '=\r\n';
          width = 0;
        }
        out += piece;
        width += piece.length;
      }
      if (out.endsWith(' ')) out = out.slice(0, -1) + '=20';
      return out;
    })
    .join('\r\n');
}

function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r\n');
}

function boundary(rng: Rng): string {
  return `----=_Part_${rng.u32().toString(16)}${rng.u32().toString(16)}`;
}

function flagsFor(folder: FolderSpec, rng: Rng, ageShare: number): string[] {
  const flags: string[] = [];
  switch (folder.kind) {
    case 'sent':
      flags.push('\\Seen');
      break;
    case 'drafts':
      flags.push('\\Draft');
      if (rng.chance(0.5)) flags.push('\\Seen');
      break;
    case 'inbox':
      // Recent mail is more often unread.
      if (rng.chance(ageShare > 0.95 ? 0.4 : 0.93)) flags.push('\\Seen');
      break;
    default:
      if (rng.chance(0.98)) flags.push('\\Seen');
  }
  if (folder.kind !== 'sent' && folder.kind !== 'drafts' && rng.chance(0.15)) flags.push('\\Answered');
  if (rng.chance(0.05)) flags.push('\\Flagged');
  if (rng.chance(0.06)) flags.push(rng.chance(0.7) ? '$Label1' : 'Projet-X');
  return flags;
}

/**
 * The messages of one folder, oldest first, one at a time. `count` is the folder's share of the mailbox
 * (see `folderCounts`); the same (options, folder) always gives the same bytes, flags and dates.
 */
export function* folderMessages(folder: FolderSpec, count: number, options: MailboxOptions): Generator<GeneratedMessage> {
  const seed = options.seed ?? DEFAULT_SEED;
  const rng = new Rng(`${seed}\u0000${folder.name}`);
  const attachmentShare = options.attachmentShare ?? DEFAULT_ATTACHMENT_SHARE;
  const maxAttachment = options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  const owner = { name: 'John Smith', address: 'john.smith@mydomain.ovh' };
  const span = END - START;
  for (let i = 0; i < count; i++) {
    const ageShare = count > 1 ? i / (count - 1) : 1;
    const date = new Date(START + Math.floor(ageShare * span) + rng.int(0, 3_600_000));
    const sender = folder.kind === 'sent' || folder.kind === 'drafts' ? owner : person(rng);
    const recipients = folder.kind === 'sent' || folder.kind === 'drafts' ? [person(rng)] : [owner];
    if (rng.chance(0.2)) recipients.push(person(rng));
    const cc = rng.chance(0.25) ? [person(rng), ...(rng.chance(0.3) ? [person(rng)] : [])] : [];
    const reply = rng.chance(0.35);
    let subject = rng.pick(SUBJECTS);
    if (subject.endsWith('°')) subject += ` ${rng.int(2019000, 2025999)}`;
    if (reply) subject = `${rng.chance(0.8) ? 'RE' : 'TR'}: ${subject}`;
    // Drafts usually have no Message-ID; elsewhere a few percent lack one (old or broken mailers).
    const hasMessageId = folder.kind === 'drafts' ? rng.chance(0.3) : !rng.chance(0.025);
    const messageId = hasMessageId
      ? `<${rng.u32().toString(36)}${rng.u32().toString(36)}.${i}@${sender.address.split('@')[1]}>`
      : undefined;
    const hasAttachment = folder.kind !== 'drafts' && rng.chance(attachmentShare);
    const alternative = rng.chance(0.55);
    const mailer = rng.pick(MAILERS);

    const headers: string[] = [];
    if (folder.kind !== 'sent' && folder.kind !== 'drafts') {
      headers.push(`Return-Path: <${sender.address}>`);
      headers.push(`Delivered-To: ${owner.address}`);
      const hops = rng.int(1, 3);
      for (let h = 0; h < hops; h++) {
        const host = `mx${rng.int(1, 9)}.mail.ovh.net`;
        headers.push(
          `Received: from ${host} (${host} [10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}])\r\n\tby mail.mydomain.ovh (Postfix) with ESMTPS id ${rng.u32().toString(16).toUpperCase()}\r\n\tfor <${owner.address}>; ${rfc2822Date(date)}`,
        );
      }
      headers.push('Authentication-Results: mx.mydomain.ovh; spf=pass smtp.mailfrom=' + sender.address.split('@')[1] + '; dkim=pass');
    }
    headers.push(`From: ${formatAddress(sender)}`);
    headers.push(`To: ${recipients.map(formatAddress).join(',\r\n\t')}`);
    if (cc.length) headers.push(`Cc: ${cc.map(formatAddress).join(',\r\n\t')}`);
    headers.push(`Subject: ${encodeHeader(subject)}`);
    headers.push(`Date: ${rfc2822Date(date)}`);
    if (messageId) headers.push(`Message-ID: ${messageId}`);
    if (reply) {
      const parent = `<${rng.u32().toString(36)}.${rng.u32().toString(36)}@${rng.pick(DOMAINS)}>`;
      headers.push(`In-Reply-To: ${parent}`, `References: ${parent}`);
    }
    if (mailer) headers.push(`X-Mailer: ${mailer}`);
    headers.push('MIME-Version: 1.0');

    const text = textBody(rng, sender.name);
    let body: string;
    let attachment: Buffer | undefined;
    let attachmentHeader = '';
    if (hasAttachment) {
      const [type, ext] = rng.pick(ATTACHMENTS);
      attachment = rng.bytes(rng.logUniform(20_000, maxAttachment));
      const filename = `${rng.pick(['document', 'scan', 'photo', 'rapport', 'facture', 'présentation'])}_${rng.int(1, 999)}.${ext}`;
      const encodedName = encodeHeader(filename);
      attachmentHeader =
        `Content-Type: ${type}; name="${encodedName}"\r\nContent-Transfer-Encoding: base64\r\n` +
        `Content-Disposition: attachment; filename="${encodedName}"\r\n\r\n`;
    }
    const textPart = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + quotedPrintable(text);
    const alternativePart = (b: string): string =>
      `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\n${textPart}\r\n--${b}\r\n` +
      `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${quotedPrintable(htmlOf(text))}\r\n--${b}--\r\n`;

    let head: string;
    let tail: Buffer | undefined;
    if (attachment) {
      const outer = boundary(rng);
      const inner = boundary(rng);
      head = `${headers.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary="${outer}"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n--${outer}\r\n`;
      body = (alternative ? alternativePart(inner) : textPart + '\r\n') + `--${outer}\r\n${attachmentHeader}`;
      tail = Buffer.from(`${base64Lines(attachment)}\r\n--${outer}--\r\n`);
    } else if (alternative) {
      const b = boundary(rng);
      const part = alternativePart(b);
      const split = part.indexOf('\r\n\r\n');
      head = `${headers.join('\r\n')}\r\n${part.slice(0, split)}\r\n\r\n`;
      body = `This is a multi-part message in MIME format.\r\n\r\n${part.slice(split + 4)}`;
    } else {
      head = `${headers.join('\r\n')}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`;
      body = text;
    }
    const pieces: Buffer[] = [Buffer.from(head), Buffer.from(body)];
    if (tail) pieces.push(tail);
    yield {
      raw: Buffer.concat(pieces),
      flags: flagsFor(folder, rng, ageShare),
      internalDate: new Date(date.getTime() + rng.int(1, 120) * 1000),
      messageId,
      hasAttachment,
    };
  }
}

export interface FolderSummary {
  name: string;
  messages: number;
  bytes: number;
}

export interface MailboxSummary {
  messages: number;
  bytes: number;
  folders: FolderSummary[];
}

/** The folders to create, with their message counts, in order. */
export function plan(options: MailboxOptions): { folder: FolderSpec; count: number }[] {
  const counts = folderCounts(options.messages);
  return FOLDERS.map((folder, i) => ({ folder, count: counts[i]! }));
}

/**
 * Writes the mailbox into a user's Maildir on `server` (which must have been started with
 * `specialUse: SOURCE_SPECIAL_USE`), folder by folder, streaming. Returns what was written.
 */
export async function seedMailbox(server: DovecotServer, user: string, options: MailboxOptions): Promise<MailboxSummary> {
  const summary: MailboxSummary = { messages: 0, bytes: 0, folders: [] };
  for (const { folder, count } of plan(options)) {
    const imapName = folder.name === 'INBOX' ? 'INBOX' : server.prefix + folder.name.split('/').join(server.separator);
    let bytes = 0;
    const counted = (function* () {
      for (const message of folderMessages(folder, count, options)) {
        bytes += message.raw.length;
        yield message;
      }
    })();
    const written = await server.seed(user, imapName, counted);
    summary.folders.push({ name: imapName, messages: written, bytes });
    summary.messages += written;
    summary.bytes += bytes;
  }
  return summary;
}
