import { extendedKey, oofFromParsed, parseRule, type ParsedRule } from '../../ews/responses.js';
import { ruleXml, userOofSettingsXml } from '../../ews/requests.js';
import { el, esc, text } from '../../ews/xml.js';
import type { ExtendedProperty, InboxRule } from '../../ews/types.js';
import type { EwsFaults } from './faults.js';
import { folderElementOf, itemElementOf, readBlob, type MailboxStore, type StoredFolder, type StoredItem } from './store.js';

/**
 * What each EWS operation does to a mailbox and answers, as Exchange 2016 does for what the migration uses.
 * Requests arrive parsed (namespace prefixes dropped); answers are the body element's XML, which the server wraps
 * in an envelope and checks against the schemas like the requests.
 */

type Node = Record<string, unknown>;

/** A refusal of the whole request: a SOAP fault (HTTP 500) with this response code. */
export class EwsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly backOffMs?: number,
  ) {
    super(message);
  }
}

export function list<T = Node>(value: unknown): T[] {
  if (value === undefined || value === '') return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

function required(node: Node, key: string, operation: string): Node {
  const value = node[key];
  if (value === undefined || typeof value !== 'object' || Array.isArray(value)) throw new EwsFault('ErrorSchemaValidation', `The request failed schema validation: ${operation} needs one ${key}.`);
  return value as Node;
}

interface Message {
  ok: boolean;
  code?: string;
  text?: string;
  backOffMs?: number;
  /** Elements after the ResponseCode (ItemId, Data, Folders, RootFolder...). */
  extra?: string;
}

function messageXml(name: string, message: Message): string {
  const cls = message.ok ? 'Success' : 'Error';
  let inner = '';
  if (!message.ok && message.text) inner += text('m:MessageText', message.text);
  inner += text('m:ResponseCode', message.code ?? 'NoError');
  if (message.backOffMs !== undefined) inner += el('m:MessageXml', {}, el('t:Value', { Name: 'BackOffMilliseconds' }, esc(message.backOffMs)));
  return el(`m:${name}`, { ResponseClass: cls }, inner + (message.extra ?? ''));
}

function responses(operation: string, messages: Message[]): string {
  return el(`m:${operation}Response`, {}, el('m:ResponseMessages', {}, messages.map((m) => messageXml(`${operation}ResponseMessage`, m)).join('')));
}

// ---------------------------------------------------------------------------------------------- properties

interface Requested {
  fields: Set<string>;
  extended: ExtendedProperty[];
}

function requestedProperties(shape: Node | undefined): Requested {
  const additional = shape?.AdditionalProperties as Node | undefined;
  const fields = new Set(list<Node>(additional?.FieldURI).map((f) => String(f['@FieldURI'])));
  const extended = list<Node>(additional?.ExtendedFieldURI).map(extendedFromUri);
  return { fields, extended };
}

function extendedFromUri(uri: Node): ExtendedProperty {
  const type = String(uri['@PropertyType']) as 'String';
  if (uri['@PropertyTag'] !== undefined) return { tag: String(uri['@PropertyTag']), type };
  if (uri['@PropertySetId'] === undefined || uri['@PropertyName'] === undefined) throw new EwsFault('ErrorInvalidPropertyRequest', 'This tool only handles named properties by PropertySetId and PropertyName, and tagged ones.');
  return { propertySetId: String(uri['@PropertySetId']), name: String(uri['@PropertyName']), type };
}

function extendedXml(property: ExtendedProperty, value: string): string {
  const uri = 'tag' in property ? el('t:ExtendedFieldURI', { PropertyTag: property.tag, PropertyType: property.type }) : el('t:ExtendedFieldURI', { PropertySetId: property.propertySetId, PropertyName: property.name, PropertyType: property.type });
  return el('t:ExtendedProperty', {}, uri + text('t:Value', value));
}

const HIDDEN = 'tag:0x10f4';

function folderXml(store: MailboxStore, folder: StoredFolder, requested: Requested): string {
  const element = `t:${folderElementOf(folder.folderClass)}`;
  let inner = el('t:FolderId', { Id: folder.id, ChangeKey: folder.changeKey });
  const f = requested.fields;
  if (f.has('folder:ParentFolderId') && folder.parentId) inner += el('t:ParentFolderId', { Id: folder.parentId, ChangeKey: store.folders.get(folder.parentId)?.changeKey });
  if (f.has('folder:FolderClass') && folder.folderClass) inner += text('t:FolderClass', folder.folderClass);
  if (f.has('folder:DisplayName')) inner += text('t:DisplayName', folder.displayName);
  if (f.has('folder:TotalCount')) inner += text('t:TotalCount', store.itemsIn(folder.id).length);
  if (f.has('folder:ChildFolderCount')) inner += text('t:ChildFolderCount', store.childFolders(folder.id).length);
  for (const property of requested.extended) {
    // PR_ATTR_HIDDEN is the only tagged folder property the double holds; like Exchange, an unset property is left out.
    if (extendedKey(property) === HIDDEN && folder.hidden) inner += extendedXml(property, 'true');
  }
  return el(element, {}, inner);
}

function itemXml(item: StoredItem, requested: Requested, store: MailboxStore): string {
  const element = `t:${itemElementOf(item.itemClass)}`;
  const f = requested.fields;
  let inner = el('t:ItemId', { Id: item.id, ChangeKey: item.changeKey });
  if (f.has('item:ParentFolderId')) inner += el('t:ParentFolderId', { Id: item.parentId, ChangeKey: store.folders.get(item.parentId)?.changeKey });
  if (f.has('item:ItemClass')) inner += text('t:ItemClass', item.itemClass);
  if (f.has('item:Subject')) inner += text('t:Subject', item.subject);
  if (f.has('item:Size')) inner += text('t:Size', item.size);
  if (f.has('item:DateTimeCreated')) inner += text('t:DateTimeCreated', item.created);
  for (const property of requested.extended) {
    const value = item.extended[extendedKey(property)];
    if (value !== undefined) inner += extendedXml(property, value);
  }
  if (f.has('item:LastModifiedTime')) inner += text('t:LastModifiedTime', item.modified);
  if (element === 't:CalendarItem') {
    if (f.has('calendar:Start') && item.start) inner += text('t:Start', item.start);
    if (f.has('calendar:End') && item.end) inner += text('t:End', item.end);
  }
  return el(element, {}, inner);
}

// ---------------------------------------------------------------------------------------------- folders

function resolveFolder(store: MailboxStore, ref: Node, kind: 'FolderId' | 'DistinguishedFolderId'): StoredFolder | undefined {
  if (kind === 'DistinguishedFolderId') {
    const id = store.distinguished.get(String(ref['@Id']));
    return id ? store.folders.get(id) : undefined;
  }
  return store.folders.get(String(ref['@Id']));
}

function folderRefs(container: Node | undefined): Array<{ ref: Node; kind: 'FolderId' | 'DistinguishedFolderId' }> {
  return [...list<Node>(container?.FolderId).map((ref) => ({ ref, kind: 'FolderId' as const })), ...list<Node>(container?.DistinguishedFolderId).map((ref) => ({ ref, kind: 'DistinguishedFolderId' as const }))];
}

function view(node: Node, name: string): { offset: number; max: number } {
  const v = node[name] as Node | undefined;
  const offset = v ? Number(v['@Offset'] ?? 0) : 0;
  const max = v?.['@MaxEntriesReturned'] !== undefined ? Number(v['@MaxEntriesReturned']) : 1000;
  if (v && v['@BasePoint'] !== 'Beginning') throw new EwsFault('ErrorInvalidRequest', 'Only BasePoint="Beginning" is simulated.');
  return { offset, max: Math.min(max, 1000) };
}

function rootFolderAttrs(offset: number, returned: number, total: number): Record<string, string | number> {
  return { IndexedPagingOffset: offset + returned, TotalItemsInView: total, IncludesLastItemInRange: offset + returned >= total ? 'true' : 'false' };
}

export function findFolder(store: MailboxStore, request: Node): string {
  const requested = requestedProperties(required(request, 'FolderShape', 'FindFolder'));
  const traversal = String(request['@Traversal']);
  const { offset, max } = view(request, 'IndexedPageFolderView');
  const parents = folderRefs(required(request, 'ParentFolderIds', 'FindFolder'));
  return responses(
    'FindFolder',
    parents.map(({ ref, kind }) => {
      const parent = resolveFolder(store, ref, kind);
      if (!parent) return { ok: false, code: 'ErrorFolderNotFound', text: 'The specified folder could not be found in the store.' };
      const all = traversal === 'Deep' ? store.descendants(parent.id) : store.childFolders(parent.id);
      const page = all.slice(offset, offset + max);
      const folders = page.map((folder) => folderXml(store, folder, requested)).join('');
      return { ok: true, extra: el('m:RootFolder', rootFolderAttrs(offset, page.length, all.length), el('t:Folders', {}, folders)) };
    }),
  );
}

export function getFolder(store: MailboxStore, request: Node): string {
  const requested = requestedProperties(required(request, 'FolderShape', 'GetFolder'));
  return responses(
    'GetFolder',
    folderRefs(required(request, 'FolderIds', 'GetFolder')).map(({ ref, kind }) => {
      const folder = resolveFolder(store, ref, kind);
      if (!folder) return { ok: false, code: 'ErrorFolderNotFound', text: 'The specified folder could not be found in the store.' };
      return { ok: true, extra: el('m:Folders', {}, folderXml(store, folder, requested)) };
    }),
  );
}

export function createFolder(store: MailboxStore, request: Node): string {
  const parentRef = folderRefs(required(request, 'ParentFolderId', 'CreateFolder'))[0];
  const parent = parentRef ? resolveFolder(store, parentRef.ref, parentRef.kind) : undefined;
  const container = required(request, 'Folders', 'CreateFolder');
  const specs = ['Folder', 'CalendarFolder', 'ContactsFolder', 'TasksFolder'].flatMap((element) => list<Node>(container[element]).map((node) => ({ element, node })));
  return responses(
    'CreateFolder',
    specs.map(({ element, node }) => {
      if (!parent) return { ok: false, code: 'ErrorParentFolderNotFound', text: 'Parent folder not found with ID.' };
      const displayName = typeof node.DisplayName === 'string' ? node.DisplayName : '';
      const folderClass = typeof node.FolderClass === 'string' ? node.FolderClass : element === 'CalendarFolder' ? 'IPF.Appointment' : element === 'ContactsFolder' ? 'IPF.Contact' : element === 'TasksFolder' ? 'IPF.Task' : 'IPF.Note';
      if (!displayName) return { ok: false, code: 'ErrorInvalidFolderId', text: 'A folder needs a display name.' };
      if (store.childFolders(parent.id).some((folder) => folder.displayName.toLowerCase() === displayName.toLowerCase())) {
        return { ok: false, code: 'ErrorFolderExists', text: 'A folder with the specified name already exists.' };
      }
      const folder = store.addFolder({ parentId: parent.id, displayName, folderClass });
      return { ok: true, extra: el('m:Folders', {}, el(`t:${folderElementOf(folder.folderClass)}`, {}, el('t:FolderId', { Id: folder.id, ChangeKey: folder.changeKey }))) };
    }),
  );
}

// ---------------------------------------------------------------------------------------------- items

function restrictionTest(restriction: Node | undefined): ((item: StoredItem) => boolean) | undefined {
  if (!restriction) return undefined;
  const exists = restriction.Exists as Node | undefined;
  if (exists?.ExtendedFieldURI) {
    const key = extendedKey(extendedFromUri(exists.ExtendedFieldURI as Node));
    return (item) => item.extended[key] !== undefined;
  }
  const equals = restriction.IsEqualTo as Node | undefined;
  if (equals?.ExtendedFieldURI) {
    const key = extendedKey(extendedFromUri(equals.ExtendedFieldURI as Node));
    const value = String(((equals.FieldURIOrConstant as Node)?.Constant as Node)?.['@Value'] ?? '');
    return (item) => item.extended[key] === value;
  }
  throw new EwsFault('ErrorUnsupportedQueryFilter', 'The double supports Exists and IsEqualTo on extended properties only.');
}

export function findItem(store: MailboxStore, request: Node): string {
  const requested = requestedProperties(required(request, 'ItemShape', 'FindItem'));
  if (request['@Traversal'] !== 'Shallow') throw new EwsFault('ErrorInvalidRequest', 'Only Shallow traversal is simulated.');
  const { offset, max } = view(request, 'IndexedPageItemView');
  const test = restrictionTest(request.Restriction as Node | undefined);
  return responses(
    'FindItem',
    folderRefs(required(request, 'ParentFolderIds', 'FindItem')).map(({ ref, kind }) => {
      const folder = resolveFolder(store, ref, kind);
      if (!folder) return { ok: false, code: 'ErrorFolderNotFound', text: 'The specified folder could not be found in the store.' };
      const all = test ? store.itemsIn(folder.id).filter(test) : store.itemsIn(folder.id);
      const page = all.slice(offset, offset + max);
      return { ok: true, extra: el('m:RootFolder', rootFolderAttrs(offset, page.length, all.length), el('t:Items', {}, page.map((item) => itemXml(item, requested, store)).join(''))) };
    }),
  );
}

function itemRefs(container: Node): Node[] {
  return list<Node>(container.ItemId);
}

export function exportItems(store: MailboxStore, request: Node, faults: EwsFaults, mailbox: string): string {
  const refs = itemRefs(required(request, 'ItemIds', 'ExportItems'));
  return responses(
    'ExportItems',
    refs.map((ref, index) => {
      const fault = faults.itemFor('ExportItems', mailbox, index, refs.length);
      if (fault) return { ok: false, code: fault.code, text: fault.message ?? 'Injected item error.', backOffMs: fault.backOffMs };
      const item = store.items.get(String(ref['@Id']));
      if (!item) return { ok: false, code: 'ErrorItemNotFound', text: 'The specified object was not found in the store.' };
      return { ok: true, extra: el('m:ItemId', { Id: item.id, ChangeKey: item.changeKey }) + `<m:Data>${store.exportBlob(item)}</m:Data>` };
    }),
  );
}

export function uploadItems(store: MailboxStore, request: Node, faults: EwsFaults, mailbox: string): { xml: string; created: StoredItem[] } {
  const entries = list<Node>(required(request, 'Items', 'UploadItems').Item);
  const created: StoredItem[] = [];
  const xml = responses(
    'UploadItems',
    entries.map((entry, index) => {
      if (entry['@CreateAction'] !== 'CreateNew') return { ok: false, code: 'ErrorInvalidOperation', text: 'The double only simulates CreateAction="CreateNew".' };
      const fault = faults.itemFor('UploadItems', mailbox, index, entries.length);
      if (fault) return { ok: false, code: fault.code, text: fault.message ?? 'Injected item error.', backOffMs: fault.backOffMs };
      const parent = store.folders.get(String((entry.ParentFolderId as Node | undefined)?.['@Id'] ?? ''));
      if (!parent) return { ok: false, code: 'ErrorParentFolderNotFound', text: 'Parent folder not found with ID.' };
      const blob = readBlob(String(entry.Data ?? '').replace(/\s+/g, ''));
      if (!blob) return { ok: false, code: 'ErrorCorruptData', text: 'The data stream is not an exported item.' };
      const item = store.addItem(parent.id, blob);
      created.push(item);
      return { ok: true, extra: el('m:ItemId', { Id: item.id, ChangeKey: item.changeKey }) };
    }),
  );
  return { xml, created };
}

export function updateItem(store: MailboxStore, request: Node, faults: EwsFaults, mailbox: string): string {
  if (request['@ConflictResolution'] === undefined) throw new EwsFault('ErrorSchemaValidation', 'The request failed schema validation: ConflictResolution is required.');
  const changes = list<Node>(required(request, 'ItemChanges', 'UpdateItem').ItemChange);
  return responses(
    'UpdateItem',
    changes.map((change, index) => {
      const fault = faults.itemFor('UpdateItem', mailbox, index, changes.length);
      if (fault) return { ok: false, code: fault.code, text: fault.message ?? 'Injected item error.', backOffMs: fault.backOffMs, extra: el('m:Items') };
      const ref = change.ItemId as Node | undefined;
      const item = ref ? store.items.get(String(ref['@Id'])) : undefined;
      if (!item) return { ok: false, code: 'ErrorItemNotFound', text: 'The specified object was not found in the store.', extra: el('m:Items') };
      const calendar = itemElementOf(item.itemClass) === 'CalendarItem';
      if (calendar && request['@SendMeetingInvitationsOrCancellations'] === undefined) {
        return { ok: false, code: 'ErrorCalendarInvalidAttributeValue', text: 'SendMeetingInvitationsOrCancellations is required for calendar items.', extra: el('m:Items') };
      }
      const updates = required(change, 'Updates', 'UpdateItem');
      for (const set of list<Node>(updates.SetItemField)) {
        const uri = set.ExtendedFieldURI as Node | undefined;
        if (!uri) return { ok: false, code: 'ErrorInvalidPropertySet', text: 'The double only sets extended properties.', extra: el('m:Items') };
        const property = extendedFromUri(uri);
        const holder = Object.entries(set).find(([key]) => !key.startsWith('@') && key !== 'ExtendedFieldURI');
        if (!holder) return { ok: false, code: 'ErrorInvalidPropertySet', text: 'SetItemField holds no item.', extra: el('m:Items') };
        const [element, value] = holder;
        if (element !== 'Item' && element !== itemElementOf(item.itemClass)) {
          return { ok: false, code: 'ErrorIncorrectUpdatePropertyCount', text: `A ${itemElementOf(item.itemClass)} cannot be updated through a ${element}.`, extra: el('m:Items') };
        }
        const extended = list<Node>((value as Node).ExtendedProperty)[0];
        if (!extended || extended.Value === undefined) return { ok: false, code: 'ErrorInvalidExtendedPropertyValue', text: 'No value given.', extra: el('m:Items') };
        item.extended[extendedKey(property)] = String(extended.Value);
      }
      store.touch(item);
      return { ok: true, extra: el('m:Items', {}, el(`t:${itemElementOf(item.itemClass)}`, {}, el('t:ItemId', { Id: item.id, ChangeKey: item.changeKey }))) + el('m:ConflictResults', {}, text('t:Count', 0)) };
    }),
  );
}

// ---------------------------------------------------------------------------------------------- rules

function checkMailbox(store: MailboxStore, address: unknown, operation: string): void {
  if (address !== undefined && String(address).toLowerCase() !== store.address.toLowerCase()) {
    throw new EwsFault('ErrorAccessDenied', `${operation}: access to ${String(address)} is denied (no impersonation here).`);
  }
}

export function getInboxRules(store: MailboxStore, request: Node): string {
  checkMailbox(store, request.MailboxSmtpAddress, 'GetInboxRules');
  const rules = store.rules.map((stored) => ruleXml({ ...stored.rule, id: stored.id }, true)).join('');
  return el(
    'm:GetInboxRulesResponse',
    { ResponseClass: 'Success' },
    text('m:ResponseCode', 'NoError') + text('m:OutlookRuleBlobExists', store.outlookRuleBlobExists ? 'true' : 'false') + (rules ? el('m:InboxRules', {}, rules) : el('m:InboxRules')),
  );
}

export interface RuleRefusal {
  fieldUri: string;
  code: string;
  message: string;
  value: string;
}

/** The double's checks of a rule to create: folders that exist, actions the server supports, recipients it accepts. */
export interface RulePolicy {
  /** Actions the destination refuses with `UnsupportedRule` (e.g. `SendSMSAlertToRecipients`). */
  unsupportedActions: string[];
  /** Recipient addresses that do not resolve (`RecipientDoesNotExist`). */
  unknownRecipients: string[];
}

function ruleRefusals(store: MailboxStore, rule: ParsedRule, policy: RulePolicy, creating: boolean): RuleRefusal[] {
  const refusals: RuleRefusal[] = [];
  if (creating && rule.id) refusals.push({ fieldUri: 'RuleId', code: 'CreateWithRuleId', message: 'A rule cannot be created with a RuleId.', value: rule.id });
  if (!rule.displayName) refusals.push({ fieldUri: 'DisplayName', code: 'EmptyValueFound', message: 'A rule needs a name.', value: '' });
  const actions = rule.actions ?? {};
  if (Object.keys(actions).length === 0) refusals.push({ fieldUri: 'Actions', code: 'MissingAction', message: 'A rule needs an action.', value: '' });
  for (const name of ['MoveToFolder', 'CopyToFolder'] as const) {
    const target = actions[name];
    if (!target) continue;
    const folder = 'distinguished' in target ? store.distinguished.get(target.distinguished) : store.folders.has(target.id) ? target.id : undefined;
    if (!folder) refusals.push({ fieldUri: `Action:${name}`, code: 'FolderDoesNotExist', message: 'The folder does not exist in this mailbox.', value: 'id' in target ? target.id : target.distinguished });
  }
  for (const name of policy.unsupportedActions) {
    if ((actions as Record<string, unknown>)[name] !== undefined) refusals.push({ fieldUri: `Action:${name}`, code: 'UnsupportedRule', message: `${name} is not supported on this server.`, value: '' });
  }
  for (const name of ['ForwardToRecipients', 'ForwardAsAttachmentToRecipients', 'RedirectToRecipients'] as const) {
    for (const address of actions[name] ?? []) {
      if (address.address && policy.unknownRecipients.includes(address.address.toLowerCase())) {
        refusals.push({ fieldUri: `Action:${name}`, code: 'RecipientDoesNotExist', message: 'The recipient could not be resolved.', value: address.address });
      }
    }
  }
  if (actions.ServerReplyWithMessage && !store.items.has(actions.ServerReplyWithMessage.id)) {
    refusals.push({ fieldUri: 'Action:ServerReplyWithMessage', code: 'InvalidValue', message: 'The reply template does not exist in this mailbox.', value: actions.ServerReplyWithMessage.id });
  }
  return refusals;
}

export function updateInboxRules(store: MailboxStore, request: Node, policy: RulePolicy): string {
  checkMailbox(store, request.MailboxSmtpAddress, 'UpdateInboxRules');
  if (store.outlookRuleBlobExists && request.RemoveOutlookRuleBlob !== 'true') {
    return el('m:UpdateInboxRulesResponse', { ResponseClass: 'Error' }, text('m:MessageText', "Outlook's rule blob exists; set RemoveOutlookRuleBlob.") + text('m:ResponseCode', 'ErrorOutlookRuleBlobExists'));
  }
  const operations = required(request, 'Operations', 'UpdateInboxRules');
  // Grouped by kind (creations, then changes, then deletions): the client sends one kind at a time.
  const creates = list<Node>(operations.CreateRuleOperation).map((op) => ({ kind: 'create' as const, rule: parseRule(op.Rule) }));
  const sets = list<Node>(operations.SetRuleOperation).map((op) => ({ kind: 'set' as const, rule: parseRule(op.Rule) }));
  const deletes = list<Node>(operations.DeleteRuleOperation).map((op) => ({ kind: 'delete' as const, id: String(op.RuleId) }));
  const all = [...creates, ...sets, ...deletes];
  const errors: string[] = [];
  all.forEach((operation, index) => {
    let refusals: RuleRefusal[] = [];
    if (operation.kind === 'delete') {
      if (!store.rules.some((r) => r.id === operation.id)) refusals = [{ fieldUri: 'RuleId', code: 'RuleNotFound', message: 'No rule has this id.', value: operation.id }];
    } else {
      refusals = ruleRefusals(store, operation.rule, policy, operation.kind === 'create');
      if (operation.kind === 'set' && !store.rules.some((r) => r.id === operation.rule.id)) refusals.push({ fieldUri: 'RuleId', code: 'RuleNotFound', message: 'No rule has this id.', value: operation.rule.id ?? '' });
    }
    if (refusals.length > 0) {
      const errorXml = refusals.map((r) => el('t:Error', {}, text('t:FieldURI', r.fieldUri) + text('t:ErrorCode', r.code) + text('t:ErrorMessage', r.message) + text('t:FieldValue', r.value))).join('');
      errors.push(el('t:RuleOperationError', {}, text('t:OperationIndex', index) + el('t:ValidationErrors', {}, errorXml)));
    }
  });
  if (errors.length > 0) {
    // All or nothing, as Exchange: one invalid operation and none is carried out.
    return el(
      'm:UpdateInboxRulesResponse',
      { ResponseClass: 'Error' },
      text('m:MessageText', 'Validation error(s) found in the rule(s).') + text('m:ResponseCode', 'ErrorInboxRulesValidationError') + el('m:RuleOperationErrors', {}, errors.join('')),
    );
  }
  for (const operation of all) {
    if (operation.kind === 'create') store.rules.push({ id: store.nextRuleId(), rule: stripParsed(operation.rule) });
    else if (operation.kind === 'set') store.rules = store.rules.map((r) => (r.id === operation.rule.id ? { id: r.id, rule: stripParsed(operation.rule) } : r));
    else store.rules = store.rules.filter((r) => r.id !== operation.id);
  }
  // Priorities stay 1..n in their order, as Exchange renumbers them.
  store.rules.sort((a, b) => a.rule.priority - b.rule.priority);
  store.rules.forEach((r, i) => (r.rule.priority = i + 1));
  if (request.RemoveOutlookRuleBlob === 'true') store.outlookRuleBlobExists = false;
  return el('m:UpdateInboxRulesResponse', { ResponseClass: 'Success' }, text('m:ResponseCode', 'NoError'));
}

function stripParsed(rule: ParsedRule): InboxRule {
  const { unknownFields: _unknown, id: _id, ...rest } = rule;
  return { ...rest, isInError: false };
}

// ---------------------------------------------------------------------------------------------- out of office

function oofMailbox(store: MailboxStore, request: Node, operation: string): void {
  const mailbox = request.Mailbox as Node | undefined;
  checkMailbox(store, mailbox?.Address, operation);
}

export function getUserOofSettings(store: MailboxStore, request: Node): string {
  oofMailbox(store, request, 'GetUserOofSettings');
  return el(
    'm:GetUserOofSettingsResponse',
    {},
    el('m:ResponseMessage', { ResponseClass: 'Success' }, text('m:ResponseCode', 'NoError')) + userOofSettingsXml(store.oof, 't:OofSettings') + text('m:AllowExternalOof', 'All'),
  );
}

export function setUserOofSettings(store: MailboxStore, request: Node): string {
  oofMailbox(store, request, 'SetUserOofSettings');
  const settings = oofFromParsed(required(request, 'UserOofSettings', 'SetUserOofSettings'));
  if (settings.state === 'Scheduled' && !settings.duration) {
    return el('m:SetUserOofSettingsResponse', {}, el('m:ResponseMessage', { ResponseClass: 'Error' }, text('m:MessageText', 'A scheduled reply needs a Duration.') + text('m:ResponseCode', 'ErrorInvalidRequest')));
  }
  store.oof = settings;
  return el('m:SetUserOofSettingsResponse', {}, el('m:ResponseMessage', { ResponseClass: 'Success' }, text('m:ResponseCode', 'NoError')));
}
