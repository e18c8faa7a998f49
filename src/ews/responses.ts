import { XMLParser, type EntityDecoderOptions } from 'fast-xml-parser';
import { z } from 'zod';
import { EwsRequestFailed, EwsResponseUnreadable } from './errors.js';
import { ACTION_FIELDS, ADDRESS_FIELDS, PREDICATE_FIELDS } from './rule-fields.js';
import type {
  EmailAddress,
  EwsFolder,
  EwsItemSummary,
  ExportedItem,
  ExtendedProperty,
  FindPage,
  FolderElement,
  InboxRule,
  InboxRules,
  ItemElement,
  ItemOutcome,
  OofSettings,
  RuleOperationError,
  ServerVersion,
  UploadedItem,
} from './types.js';

/**
 * Response parsing: fast-xml-parser turns the SOAP text into plain objects (namespace prefixes dropped, attributes
 * as `@Name`, every text kept as a string), then zod checks the shape each operation's answer must have and this
 * module maps it to the types of `types.ts`. Anything else is an `EwsResponseUnreadable`; a SOAP fault or a
 * refused request is an `EwsRequestFailed` carrying the response code (and `BackOffMilliseconds` when throttled).
 */

/** Elements that may repeat: always parsed as arrays, whether one or several came. */
const REPEATED = new Set([
  'Folder',
  'CalendarFolder',
  'ContactsFolder',
  'SearchFolder',
  'TasksFolder',
  'Item',
  'Message',
  'CalendarItem',
  'Contact',
  'DistributionList',
  'Task',
  'PostItem',
  'MeetingMessage',
  'MeetingRequest',
  'MeetingResponse',
  'MeetingCancellation',
  'ExtendedProperty',
  'Rule',
  'String',
  'Address',
  'RuleOperationError',
  'Error',
  'Value',
  'ItemChange',
  'CreateRuleOperation',
  'SetRuleOperation',
  'DeleteRuleOperation',
]);

/** Parents under which a repeatable name is a single value (`t:Mailbox/t:Address`, `t:SetItemField/t:Item`). */
const SINGLE_UNDER = new Set(['Mailbox', 'SetItemField', 'AppendToItemField', 'ExtendedProperty', 'InternalReply', 'ExternalReply', 'DeclineMeetingReply', 'detail', 'CreateRuleOperation', 'SetRuleOperation']);

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML's five entities and numeric character references, nothing else (EWS sends no DTD and no HTML entities). */
function xmlEntityDecoder(): EntityDecoderOptions {
  const decode = (value: string): string =>
    value.indexOf('&') < 0
      ? value
      : value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, name: string) => {
          if (name[0] !== '#') return XML_ENTITIES[name] ?? whole;
          const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
          return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
        });
  return { setExternalEntities: () => undefined, addInputEntities: () => undefined, reset: () => undefined, decode, setXmlVersion: () => undefined };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  entityDecoder: xmlEntityDecoder(),
  isArray: (name, jpath, _leaf, isAttribute) => {
    if (isAttribute || !REPEATED.has(name)) return false;
    const parent = String(jpath).split('.').slice(-2, -1)[0] ?? '';
    return !SINGLE_UNDER.has(parent);
  },
});

/** Parses any EWS SOAP document (requests too: the test double reads them with the same parser). */
export function parseXml(xml: string): Record<string, unknown> {
  try {
    return parser.parse(xml) as Record<string, unknown>;
  } catch (error) {
    throw new EwsResponseUnreadable(`not XML: ${(error as Error).message}`, { cause: error });
  }
}

type Node = Record<string, unknown>;

const text = z.union([z.string(), z.object({ '#text': z.string().optional() }).passthrough().transform((v) => v['#text'] ?? '')]);
const optionalText = text.optional();
const bool = text.transform((value, ctx) => {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  ctx.addIssue({ code: 'custom', message: `not a boolean: ${value}` });
  return z.NEVER;
});
const int = text.transform((value, ctx) => {
  const n = Number(value);
  if (!Number.isInteger(n)) {
    ctx.addIssue({ code: 'custom', message: `not an integer: ${value}` });
    return z.NEVER;
  }
  return n;
});
const idAttrs = z.object({ '@Id': z.string().min(1), '@ChangeKey': z.string().optional() }).passthrough();

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EwsResponseUnreadable(`unexpected ${what}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return result.data;
}

const messageXml = z
  .object({ Value: z.array(z.union([z.string(), z.object({ '@Name': z.string(), '#text': z.string().optional() }).passthrough()])).optional() })
  .passthrough()
  .or(z.literal(''));

/** `BackOffMilliseconds` from a MessageXml (a throttled request's hint), if present. */
function backOffOf(xml: unknown): number | undefined {
  const parsed = messageXml.safeParse(xml);
  if (!parsed.success || parsed.data === '') return undefined;
  for (const value of parsed.data.Value ?? []) {
    if (typeof value === 'object' && value['@Name'] === 'BackOffMilliseconds') {
      const ms = Number(value['#text']);
      if (Number.isFinite(ms) && ms >= 0) return ms;
    }
  }
  return undefined;
}

const responseMessage = z
  .object({
    '@ResponseClass': z.enum(['Success', 'Warning', 'Error']),
    MessageText: optionalText,
    ResponseCode: optionalText,
    MessageXml: z.unknown().optional(),
  })
  .passthrough();
type ResponseMessage = z.infer<typeof responseMessage>;

export interface Outcome {
  ok: boolean;
  code: string;
  message: string;
  backOffMs?: number;
}

function outcomeOf(message: ResponseMessage): Outcome {
  const code = message.ResponseCode ?? (message['@ResponseClass'] === 'Error' ? 'ErrorInternalServerError' : 'NoError');
  // A Warning is a success with something to say (e.g. ErrorBatchProcessingStopped is an Error, not a Warning).
  return { ok: message['@ResponseClass'] !== 'Error', code, message: message.MessageText ?? '', backOffMs: backOffOf(message.MessageXml) };
}

const faultSchema = z
  .object({
    faultcode: optionalText,
    faultstring: optionalText,
    detail: z
      .object({ ResponseCode: optionalText, Message: optionalText, MessageXml: z.unknown().optional() })
      .passthrough()
      .or(z.literal(''))
      .optional(),
  })
  .passthrough();

export interface ParsedEnvelope {
  body: Node;
  serverVersion?: ServerVersion;
}

/** Parses a response envelope; a SOAP fault becomes an EwsRequestFailed with its response code. */
export function parseEnvelope(xml: string, operation: string): ParsedEnvelope {
  const document = parseXml(xml);
  const envelope = document.Envelope as Node | undefined;
  if (!envelope || typeof envelope !== 'object') throw new EwsResponseUnreadable(`EWS ${operation}: the answer is not a SOAP envelope`);
  const body = envelope.Body as Node | undefined;
  if (!body || typeof body !== 'object') throw new EwsResponseUnreadable(`EWS ${operation}: the SOAP envelope has no body`);
  if (body.Fault !== undefined) {
    const fault = check(faultSchema, body.Fault, `SOAP fault of ${operation}`);
    const detail = typeof fault.detail === 'object' ? fault.detail : undefined;
    const code = detail?.ResponseCode ?? String(fault.faultcode ?? 'soap:Server').replace(/^.*:/, '');
    throw new EwsRequestFailed(operation, code, detail?.Message ?? fault.faultstring ?? '', backOffOf(detail?.MessageXml));
  }
  const header = envelope.Header as Node | undefined;
  let serverVersion: ServerVersion | undefined;
  const info = header && typeof header === 'object' ? (header.ServerVersionInfo as Node | undefined) : undefined;
  if (info && typeof info === 'object') {
    const number = (key: string) => (info[key] === undefined ? undefined : Number(info[key]));
    serverVersion = {
      majorVersion: number('@MajorVersion'),
      minorVersion: number('@MinorVersion'),
      majorBuildNumber: number('@MajorBuildNumber'),
      minorBuildNumber: number('@MinorBuildNumber'),
      version: info['@Version'] as string | undefined,
    };
  }
  return { body, serverVersion };
}

/** The `<Op>ResponseMessage` elements of a `<Op>Response`, in order. */
function responseMessages(body: Node, operation: string): Node[] {
  const response = body[`${operation}Response`] as Node | undefined;
  if (!response || typeof response !== 'object') throw new EwsResponseUnreadable(`EWS ${operation}: the body holds no ${operation}Response`);
  const messages = response.ResponseMessages as Node | undefined;
  if (!messages || typeof messages !== 'object') throw new EwsResponseUnreadable(`EWS ${operation}: no ResponseMessages`);
  const list = messages[`${operation}ResponseMessage`];
  if (list === undefined) throw new EwsResponseUnreadable(`EWS ${operation}: no ${operation}ResponseMessage`);
  return (Array.isArray(list) ? list : [list]) as Node[];
}

/**
 * When a whole request is refused, Exchange answers one error message (whatever the number of ids sent); turn
 * that into an exception so that per-item outcomes are only ever about items.
 */
function throwIfWholeRequestRefused(operation: string, messages: Node[], expected: number): void {
  if (messages.length === expected || messages.length !== 1) {
    if (messages.length !== expected) throw new EwsResponseUnreadable(`EWS ${operation}: ${messages.length} response messages for ${expected} items`);
    return;
  }
  const outcome = outcomeOf(check(responseMessage, messages[0], `${operation} response message`));
  if (!outcome.ok) throw new EwsRequestFailed(operation, outcome.code, outcome.message, outcome.backOffMs);
  throw new EwsResponseUnreadable(`EWS ${operation}: 1 response message for ${expected} items`);
}

export function extendedKey(property: ExtendedProperty): string {
  if ('tag' in property) return `tag:${normalizeTag(property.tag)}`;
  return `set:${property.propertySetId.toLowerCase()}:${property.name}`;
}

function normalizeTag(tag: string): string {
  const n = /^0x/i.test(tag) ? parseInt(tag.slice(2), 16) : Number(tag);
  return Number.isFinite(n) ? `0x${n.toString(16)}` : tag.toLowerCase();
}

const extendedProperty = z
  .object({
    ExtendedFieldURI: z
      .object({ '@PropertyTag': z.string().optional(), '@PropertySetId': z.string().optional(), '@PropertyName': z.string().optional(), '@PropertyType': z.string() })
      .passthrough(),
    Value: optionalText,
    Values: z.unknown().optional(),
  })
  .passthrough();

function extendedMap(list: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  for (const raw of (list as unknown[] | undefined) ?? []) {
    const property = check(extendedProperty, raw, 'extended property');
    const uri = property.ExtendedFieldURI;
    const key = uri['@PropertyTag'] !== undefined ? `tag:${normalizeTag(uri['@PropertyTag'])}` : `set:${(uri['@PropertySetId'] ?? '').toLowerCase()}:${uri['@PropertyName'] ?? ''}`;
    if (property.Value !== undefined) map[key] = property.Value;
  }
  return map;
}

const folderSchema = z
  .object({
    FolderId: idAttrs,
    ParentFolderId: idAttrs.optional(),
    FolderClass: optionalText,
    DisplayName: optionalText,
    TotalCount: int.optional(),
    ChildFolderCount: int.optional(),
    ExtendedProperty: z.unknown().optional(),
  })
  .passthrough();

const FOLDER_ELEMENTS: FolderElement[] = ['Folder', 'CalendarFolder', 'ContactsFolder', 'SearchFolder', 'TasksFolder'];

function foldersOf(container: unknown): EwsFolder[] {
  if (container === undefined || container === '') return [];
  const folders: EwsFolder[] = [];
  for (const element of FOLDER_ELEMENTS) {
    for (const raw of ((container as Node)[element] as unknown[] | undefined) ?? []) {
      const folder = check(folderSchema, raw, `${element}`);
      folders.push({
        element,
        id: folder.FolderId['@Id'],
        changeKey: folder.FolderId['@ChangeKey'],
        parentId: folder.ParentFolderId?.['@Id'],
        folderClass: folder.FolderClass,
        displayName: folder.DisplayName,
        totalCount: folder.TotalCount,
        childFolderCount: folder.ChildFolderCount,
        extended: extendedMap(folder.ExtendedProperty),
      });
    }
  }
  return folders;
}

const pagingAttrs = z
  .object({
    '@IndexedPagingOffset': int.optional(),
    '@TotalItemsInView': int.optional(),
    '@IncludesLastItemInRange': bool.optional(),
  })
  .passthrough();

function page<T>(root: unknown, items: T[], operation: string, offset: number): FindPage<T> {
  const attrs = check(pagingAttrs, root, `${operation} RootFolder`);
  const total = attrs['@TotalItemsInView'] ?? offset + items.length;
  return {
    items,
    totalItemsInView: total,
    includesLastItemInRange: attrs['@IncludesLastItemInRange'] ?? offset + items.length >= total,
    nextOffset: attrs['@IndexedPagingOffset'] ?? offset + items.length,
  };
}

function singleMessage(body: Node, operation: string): Node {
  const messages = responseMessages(body, operation);
  if (messages.length !== 1) throw new EwsResponseUnreadable(`EWS ${operation}: ${messages.length} response messages for one request`);
  const message = messages[0];
  const outcome = outcomeOf(check(responseMessage, message, `${operation} response message`));
  if (!outcome.ok) throw new EwsRequestFailed(operation, outcome.code, outcome.message, outcome.backOffMs);
  return message;
}

export function parseFindFolder(body: Node, offset: number): FindPage<EwsFolder> {
  const message = singleMessage(body, 'FindFolder');
  const root = message.RootFolder as Node | undefined;
  if (!root) throw new EwsResponseUnreadable('EWS FindFolder: no RootFolder');
  return page(root, foldersOf(root.Folders), 'FindFolder', offset);
}

export type FolderOutcome = { ok: true; folder: EwsFolder } | { ok: false; code: string; message: string };

function folderOutcomes(body: Node, operation: 'GetFolder' | 'CreateFolder', expected: number): FolderOutcome[] {
  const messages = responseMessages(body, operation);
  throwIfWholeRequestRefused(operation, messages, expected);
  return messages.map((raw) => {
    const outcome = outcomeOf(check(responseMessage, raw, `${operation} response message`));
    if (!outcome.ok) return { ok: false as const, code: outcome.code, message: outcome.message };
    const folders = foldersOf(raw.Folders);
    if (folders.length !== 1) throw new EwsResponseUnreadable(`EWS ${operation}: ${folders.length} folders in one response message`);
    return { ok: true as const, folder: folders[0] };
  });
}

export function parseGetFolder(body: Node, expected: number): FolderOutcome[] {
  return folderOutcomes(body, 'GetFolder', expected);
}

export function parseCreateFolder(body: Node, expected: number): FolderOutcome[] {
  return folderOutcomes(body, 'CreateFolder', expected);
}

const itemSchema = z
  .object({
    ItemId: idAttrs,
    ItemClass: optionalText,
    Subject: optionalText,
    Size: int.optional(),
    DateTimeCreated: optionalText,
    LastModifiedTime: optionalText,
    Start: optionalText,
    End: optionalText,
    ExtendedProperty: z.unknown().optional(),
  })
  .passthrough();

const ITEM_ELEMENTS: ItemElement[] = ['Item', 'Message', 'CalendarItem', 'Contact', 'DistributionList', 'Task', 'PostItem', 'MeetingMessage', 'MeetingRequest', 'MeetingResponse', 'MeetingCancellation'];

function itemsOf(container: unknown): EwsItemSummary[] {
  if (container === undefined || container === '') return [];
  const items: EwsItemSummary[] = [];
  for (const element of ITEM_ELEMENTS) {
    for (const raw of ((container as Node)[element] as unknown[] | undefined) ?? []) {
      const item = check(itemSchema, raw, element);
      items.push({
        element,
        id: item.ItemId['@Id'],
        changeKey: item.ItemId['@ChangeKey'],
        itemClass: item.ItemClass,
        subject: item.Subject,
        size: item.Size,
        created: item.DateTimeCreated,
        modified: item.LastModifiedTime,
        start: item.Start,
        end: item.End,
        extended: extendedMap(item.ExtendedProperty),
      });
    }
  }
  return items;
}

export function parseFindItem(body: Node, offset: number): FindPage<EwsItemSummary> {
  const message = singleMessage(body, 'FindItem');
  const root = message.RootFolder as Node | undefined;
  if (!root) throw new EwsResponseUnreadable('EWS FindItem: no RootFolder');
  return page(root, itemsOf(root.Items), 'FindItem', offset);
}

const exportMessage = responseMessage.extend({ ItemId: idAttrs.optional(), Data: optionalText });

export function parseExportItems(body: Node, expected: number): ExportedItem[] {
  const messages = responseMessages(body, 'ExportItems');
  throwIfWholeRequestRefused('ExportItems', messages, expected);
  return messages.map((raw) => {
    const message = check(exportMessage, raw, 'ExportItems response message');
    const outcome = outcomeOf(message);
    if (!outcome.ok) return { ok: false as const, code: outcome.code, message: outcome.message, backOffMs: outcome.backOffMs };
    if (!message.ItemId || message.Data === undefined) throw new EwsResponseUnreadable('EWS ExportItems: a successful item without ItemId or Data');
    return { ok: true as const, id: message.ItemId['@Id'], data: message.Data.replace(/\s+/g, '') };
  });
}

const uploadMessage = responseMessage.extend({ ItemId: idAttrs.optional() });

export function parseUploadItems(body: Node, expected: number): UploadedItem[] {
  const messages = responseMessages(body, 'UploadItems');
  throwIfWholeRequestRefused('UploadItems', messages, expected);
  return messages.map((raw) => {
    const message = check(uploadMessage, raw, 'UploadItems response message');
    const outcome = outcomeOf(message);
    if (!outcome.ok) return { ok: false as const, code: outcome.code, message: outcome.message, backOffMs: outcome.backOffMs };
    if (!message.ItemId) throw new EwsResponseUnreadable('EWS UploadItems: a successful item without ItemId');
    return { ok: true as const, id: message.ItemId['@Id'], changeKey: message.ItemId['@ChangeKey'] };
  });
}

function plainOutcomes(body: Node, operation: string, expected: number): ItemOutcome[] {
  const messages = responseMessages(body, operation);
  throwIfWholeRequestRefused(operation, messages, expected);
  return messages.map((raw) => {
    const outcome = outcomeOf(check(responseMessage, raw, `${operation} response message`));
    return outcome.ok ? { ok: true as const } : { ok: false as const, code: outcome.code, message: outcome.message, backOffMs: outcome.backOffMs };
  });
}

export function parseUpdateItem(body: Node, expected: number): ItemOutcome[] {
  return plainOutcomes(body, 'UpdateItem', expected);
}

/** The response of the operations whose response element is itself the response message (rules, OOF). */
function directMessage(body: Node, element: string, operation: string): Node {
  const raw = body[element] as Node | undefined;
  if (!raw || typeof raw !== 'object') throw new EwsResponseUnreadable(`EWS ${operation}: the body holds no ${element}`);
  return raw;
}

function strings(value: unknown): string[] {
  if (value === '' || value === undefined) return [];
  return check(z.object({ String: z.array(text).optional() }).passthrough(), value, 'string list').String ?? [];
}

function addresses(value: unknown): EmailAddress[] {
  if (value === '' || value === undefined) return [];
  const list = check(z.object({ Address: z.array(z.record(z.string(), z.unknown())).optional() }).passthrough(), value, 'address list').Address ?? [];
  return list.map((raw) => {
    const address: EmailAddress = {};
    for (const [element, key] of ADDRESS_FIELDS) {
      const v = raw[element];
      if (v !== undefined) address[key] = check(text, v, element);
    }
    return address;
  });
}

function ruleFolder(value: unknown): { id: string; changeKey?: string } | { distinguished: string } {
  const folder = check(
    z.object({ FolderId: idAttrs.optional(), DistinguishedFolderId: idAttrs.optional() }).passthrough(),
    value,
    'rule folder',
  );
  if (folder.FolderId) return { id: folder.FolderId['@Id'], changeKey: folder.FolderId['@ChangeKey'] };
  if (folder.DistinguishedFolderId) return { distinguished: folder.DistinguishedFolderId['@Id'] };
  throw new EwsResponseUnreadable('a rule action names no folder');
}

/** Reads predicates or actions by the shared field table; unknown elements are kept aside as `unknown`. */
function ruleFields(value: unknown, fields: ReadonlyArray<readonly [string, string]>): { values: Record<string, unknown>; unknown: string[] } {
  const values: Record<string, unknown> = {};
  const unknown: string[] = [];
  if (value === '' || value === undefined) return { values, unknown };
  const node = value as Node;
  const known = new Map(fields);
  for (const [name, raw] of Object.entries(node)) {
    if (name.startsWith('@')) continue;
    const kind = known.get(name);
    if (!kind) {
      unknown.push(name);
      continue;
    }
    switch (kind) {
      case 'strings':
        values[name] = strings(raw);
        break;
      case 'addresses':
        values[name] = addresses(raw);
        break;
      case 'boolean':
        values[name] = check(bool, raw, name);
        break;
      case 'text':
        values[name] = check(text, raw, name);
        break;
      case 'dateRange': {
        const range = check(z.object({ StartDateTime: optionalText, EndDateTime: optionalText }).passthrough().or(z.literal('').transform(() => ({}) as { StartDateTime?: string; EndDateTime?: string })), raw, name);
        values[name] = { start: range.StartDateTime, end: range.EndDateTime };
        break;
      }
      case 'sizeRange': {
        const range = check(z.object({ MinimumSize: int.optional(), MaximumSize: int.optional() }).passthrough().or(z.literal('').transform(() => ({}) as { MinimumSize?: number; MaximumSize?: number })), raw, name);
        values[name] = { minimum: range.MinimumSize, maximum: range.MaximumSize };
        break;
      }
      case 'folder':
        values[name] = ruleFolder(raw);
        break;
      case 'itemId': {
        const id = check(idAttrs, raw, name);
        values[name] = { id: id['@Id'], changeKey: id['@ChangeKey'] };
        break;
      }
    }
  }
  return { values, unknown };
}

const ruleSchema = z
  .object({
    RuleId: optionalText,
    DisplayName: text,
    Priority: int,
    IsEnabled: bool,
    IsNotSupported: bool.optional(),
    IsInError: bool.optional(),
    Conditions: z.unknown().optional(),
    Exceptions: z.unknown().optional(),
    Actions: z.unknown().optional(),
  })
  .passthrough();

/** A rule as read, plus the names of any predicates or actions this tool does not know (it cannot copy those faithfully). */
export interface ParsedRule extends InboxRule {
  unknownFields: string[];
}

export function parseRule(raw: unknown): ParsedRule {
  const rule = check(ruleSchema, raw, 'inbox rule');
  const conditions = rule.Conditions === undefined ? undefined : ruleFields(rule.Conditions, PREDICATE_FIELDS);
  const exceptions = rule.Exceptions === undefined ? undefined : ruleFields(rule.Exceptions, PREDICATE_FIELDS);
  const actions = rule.Actions === undefined ? undefined : ruleFields(rule.Actions, ACTION_FIELDS);
  return {
    id: rule.RuleId,
    displayName: rule.DisplayName,
    priority: rule.Priority,
    isEnabled: rule.IsEnabled,
    isNotSupported: rule.IsNotSupported,
    isInError: rule.IsInError,
    conditions: conditions?.values,
    exceptions: exceptions?.values,
    actions: actions?.values,
    unknownFields: [...(conditions?.unknown.map((f) => `Conditions/${f}`) ?? []), ...(exceptions?.unknown.map((f) => `Exceptions/${f}`) ?? []), ...(actions?.unknown.map((f) => `Actions/${f}`) ?? [])],
  };
}

export function parseGetInboxRules(body: Node): { outlookRuleBlobExists: boolean; rules: ParsedRule[] } {
  const raw = directMessage(body, 'GetInboxRulesResponse', 'GetInboxRules');
  const message = check(responseMessage.extend({ OutlookRuleBlobExists: bool.optional(), InboxRules: z.unknown().optional() }), raw, 'GetInboxRules response');
  const outcome = outcomeOf(message);
  if (!outcome.ok) throw new EwsRequestFailed('GetInboxRules', outcome.code, outcome.message, outcome.backOffMs);
  const list = message.InboxRules === undefined || message.InboxRules === '' ? [] : (((message.InboxRules as Node).Rule as unknown[] | undefined) ?? []);
  return { outlookRuleBlobExists: message.OutlookRuleBlobExists ?? false, rules: list.map(parseRule) };
}

const ruleErrorSchema = z
  .object({
    OperationIndex: int,
    ValidationErrors: z.object({ Error: z.array(z.object({ FieldURI: text, ErrorCode: text, ErrorMessage: text, FieldValue: optionalText }).passthrough()) }).passthrough(),
  })
  .passthrough();

export type UpdateRulesOutcome = { ok: true } | { ok: false; code: string; message: string; backOffMs?: number; errors: RuleOperationError[] };

export function parseUpdateInboxRules(body: Node): UpdateRulesOutcome {
  const raw = directMessage(body, 'UpdateInboxRulesResponse', 'UpdateInboxRules');
  const message = check(responseMessage.extend({ RuleOperationErrors: z.unknown().optional() }), raw, 'UpdateInboxRules response');
  const outcome = outcomeOf(message);
  if (outcome.ok) return { ok: true };
  const list = message.RuleOperationErrors === undefined || message.RuleOperationErrors === '' ? [] : (((message.RuleOperationErrors as Node).RuleOperationError as unknown[] | undefined) ?? []);
  const errors = list.map((entry) => {
    const parsed = check(ruleErrorSchema, entry, 'rule operation error');
    return {
      operationIndex: parsed.OperationIndex,
      errors: parsed.ValidationErrors.Error.map((e) => ({ fieldUri: e.FieldURI, code: e.ErrorCode, message: e.ErrorMessage, value: e.FieldValue ?? '' })),
    };
  });
  return { ok: false, code: outcome.code, message: outcome.message, backOffMs: outcome.backOffMs, errors };
}

const replySchema = z.union([z.literal('').transform(() => ({}) as { Message?: string; '@lang'?: string }), z.object({ Message: optionalText, '@lang': z.string().optional() }).passthrough()]);

const oofSchema = z
  .object({
    OofState: z.enum(['Disabled', 'Enabled', 'Scheduled']),
    ExternalAudience: z.enum(['None', 'Known', 'All']),
    Duration: z.object({ StartTime: text, EndTime: text }).passthrough().optional(),
    InternalReply: replySchema.optional(),
    ExternalReply: replySchema.optional(),
  })
  .passthrough();

export function oofFromParsed(raw: unknown): OofSettings {
  const settings = check(oofSchema, raw, 'out-of-office settings');
  const reply = (value: { Message?: string; '@lang'?: string } | undefined) => (value === undefined ? undefined : { message: value.Message, lang: value['@lang'] });
  return {
    state: settings.OofState,
    externalAudience: settings.ExternalAudience,
    duration: settings.Duration ? { start: settings.Duration.StartTime, end: settings.Duration.EndTime } : undefined,
    internalReply: reply(settings.InternalReply),
    externalReply: reply(settings.ExternalReply),
  };
}

export function parseGetUserOofSettings(body: Node): OofSettings {
  const raw = directMessage(body, 'GetUserOofSettingsResponse', 'GetUserOofSettings');
  const message = check(responseMessage, raw.ResponseMessage, 'GetUserOofSettings response');
  const outcome = outcomeOf(message);
  if (!outcome.ok) throw new EwsRequestFailed('GetUserOofSettings', outcome.code, outcome.message, outcome.backOffMs);
  if (raw.OofSettings === undefined) throw new EwsResponseUnreadable('EWS GetUserOofSettings: no OofSettings');
  return oofFromParsed(raw.OofSettings);
}

export function parseSetUserOofSettings(body: Node): void {
  const raw = directMessage(body, 'SetUserOofSettingsResponse', 'SetUserOofSettings');
  if (raw.ResponseMessage === undefined) return;
  const outcome = outcomeOf(check(responseMessage, raw.ResponseMessage, 'SetUserOofSettings response'));
  if (!outcome.ok) throw new EwsRequestFailed('SetUserOofSettings', outcome.code, outcome.message, outcome.backOffMs);
}
