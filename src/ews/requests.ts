import { ACTION_FIELDS, ADDRESS_FIELDS, PREDICATE_FIELDS } from './rule-fields.js';
import type { EmailAddress, ExtendedProperty, FolderRef, InboxRule, ItemElement, ItemRef, OofReply, OofSettings, PropertyPath, RuleActions, RuleFolder, RuleOperation, RulePredicates } from './types.js';
import { el, esc, soapEnvelope, text } from './xml.js';

/**
 * Request builders: each returns the operation's body element (`m:...`); `soapEnvelope` wraps it. Elements come in
 * the order the schemas demand; a unit test validates every builder's output against messages.xsd/types.xsd.
 */

export function extendedFieldUri(property: ExtendedProperty): string {
  if ('tag' in property) return el('t:ExtendedFieldURI', { PropertyTag: property.tag, PropertyType: property.type });
  return el('t:ExtendedFieldURI', { PropertySetId: property.propertySetId, PropertyName: property.name, PropertyType: property.type });
}

function path(property: PropertyPath): string {
  return 'field' in property ? el('t:FieldURI', { FieldURI: property.field }) : extendedFieldUri(property.extended);
}

function additionalProperties(properties: readonly PropertyPath[]): string {
  return properties.length === 0 ? '' : el('t:AdditionalProperties', {}, properties.map(path).join(''));
}

function folderId(ref: FolderRef): string {
  return 'distinguished' in ref ? el('t:DistinguishedFolderId', { Id: ref.distinguished }) : el('t:FolderId', { Id: ref.id, ChangeKey: ref.changeKey });
}

function itemId(ref: ItemRef, name = 't:ItemId'): string {
  return el(name, { Id: ref.id, ChangeKey: ref.changeKey });
}

function nonEmpty<T>(list: readonly T[], what: string): readonly T[] {
  if (list.length === 0) throw new RangeError(`${what}: at least one is required`);
  return list;
}

export interface PageView {
  offset: number;
  max: number;
}

function indexedView(name: string, view: PageView): string {
  return el(name, { MaxEntriesReturned: view.max, Offset: view.offset, BasePoint: 'Beginning' });
}

export function findFolder(options: { parent: FolderRef; traversal: 'Deep' | 'Shallow'; properties?: readonly PropertyPath[]; view: PageView }): string {
  return el(
    'm:FindFolder',
    { Traversal: options.traversal },
    el('m:FolderShape', {}, text('t:BaseShape', 'IdOnly') + additionalProperties(options.properties ?? [])) +
      indexedView('m:IndexedPageFolderView', options.view) +
      el('m:ParentFolderIds', {}, folderId(options.parent)),
  );
}

export function getFolder(options: { folders: readonly FolderRef[]; properties?: readonly PropertyPath[] }): string {
  return el(
    'm:GetFolder',
    {},
    el('m:FolderShape', {}, text('t:BaseShape', 'IdOnly') + additionalProperties(options.properties ?? [])) + el('m:FolderIds', {}, nonEmpty(options.folders, 'GetFolder').map(folderId).join('')),
  );
}

/** The `ArrayOfFoldersType` element that goes with a folder class (`IPF.Appointment` -> `t:CalendarFolder`...). */
export function folderElementFor(folderClass: string): 't:CalendarFolder' | 't:ContactsFolder' | 't:TasksFolder' | 't:Folder' {
  if (/^IPF\.Appointment(\.|$)/i.test(folderClass)) return 't:CalendarFolder';
  if (/^IPF\.Contact(\.|$)/i.test(folderClass)) return 't:ContactsFolder';
  if (/^IPF\.Task(\.|$)/i.test(folderClass)) return 't:TasksFolder';
  return 't:Folder';
}

export function createFolder(options: { parent: FolderRef; folders: ReadonlyArray<{ displayName: string; folderClass: string }> }): string {
  const folders = nonEmpty(options.folders, 'CreateFolder')
    .map((folder) => el(folderElementFor(folder.folderClass), {}, text('t:FolderClass', folder.folderClass) + text('t:DisplayName', folder.displayName)))
    .join('');
  return el('m:CreateFolder', {}, el('m:ParentFolderId', {}, folderId(options.parent)) + el('m:Folders', {}, folders));
}

export type Restriction = { exists: PropertyPath } | { equals: PropertyPath; value: string };

function restriction(value: Restriction): string {
  const inner = 'exists' in value ? el('t:Exists', {}, path(value.exists)) : el('t:IsEqualTo', {}, path(value.equals) + el('t:FieldURIOrConstant', {}, el('t:Constant', { Value: value.value })));
  return el('m:Restriction', {}, inner);
}

export function findItem(options: { folder: FolderRef; properties?: readonly PropertyPath[]; view: PageView; restriction?: Restriction; associated?: boolean }): string {
  return el(
    'm:FindItem',
    { Traversal: options.associated ? 'Associated' : 'Shallow' },
    el('m:ItemShape', {}, text('t:BaseShape', 'IdOnly') + additionalProperties(options.properties ?? [])) +
      indexedView('m:IndexedPageItemView', options.view) +
      (options.restriction ? restriction(options.restriction) : '') +
      el('m:ParentFolderIds', {}, folderId(options.folder)),
  );
}

export function exportItems(items: readonly ItemRef[]): string {
  return el('m:ExportItems', {}, el('m:ItemIds', {}, nonEmpty(items, 'ExportItems').map((ref) => itemId(ref)).join('')));
}

/** UploadItems with `CreateAction="CreateNew"`: each stream becomes a new item (new id, new creation time). */
export function uploadItems(items: ReadonlyArray<{ parentFolderId: string; data: string }>): string {
  const body = nonEmpty(items, 'UploadItems')
    .map((item) => {
      // The stream is inserted as it came from ExportItems: make sure it cannot carry markup.
      if (!/^[A-Za-z0-9+/=]*$/.test(item.data)) throw new RangeError('UploadItems: Data is not base64');
      return item;
    })
    .map((item) => el('t:Item', { CreateAction: 'CreateNew' }, el('t:ParentFolderId', { Id: item.parentFolderId }) + `<t:Data>${item.data}</t:Data>`))
    .join('');
  return el('m:UploadItems', {}, el('m:Items', {}, body));
}

/**
 * UpdateItem setting one extended property on each item, saving only: no meeting update or cancellation is sent
 * (`SendToNone`), and whatever changed meanwhile is overwritten (only our property is touched).
 */
export function setExtendedProperty(options: { property: ExtendedProperty; items: ReadonlyArray<{ ref: ItemRef; element: ItemElement; value: string }> }): string {
  const uri = extendedFieldUri(options.property);
  const changes = nonEmpty(options.items, 'UpdateItem')
    .map((item) => {
      const element = `t:${item.element}`;
      const value = el(element, {}, el('t:ExtendedProperty', {}, uri + text('t:Value', item.value)));
      return el('t:ItemChange', {}, itemId(item.ref) + el('t:Updates', {}, el('t:SetItemField', {}, uri + value)));
    })
    .join('');
  return el('m:UpdateItem', { MessageDisposition: 'SaveOnly', ConflictResolution: 'AlwaysOverwrite', SendMeetingInvitationsOrCancellations: 'SendToNone' }, el('m:ItemChanges', {}, changes));
}

export function getInboxRules(mailbox: string): string {
  return el('m:GetInboxRules', {}, text('m:MailboxSmtpAddress', mailbox));
}

function address(value: EmailAddress): string {
  let children = '';
  for (const [element, key] of ADDRESS_FIELDS) if (value[key] !== undefined) children += text(`t:${element}`, value[key]!);
  return el('t:Address', {}, children);
}

function ruleFolder(value: RuleFolder): string {
  return 'distinguished' in value ? el('t:DistinguishedFolderId', { Id: value.distinguished }) : el('t:FolderId', { Id: value.id, ChangeKey: value.changeKey });
}

function ruleFields(container: string, fields: ReadonlyArray<readonly [string, string]>, values: Record<string, unknown>): string {
  let children = '';
  for (const [name, kind] of fields) {
    const value = values[name];
    if (value === undefined) continue;
    const element = `t:${name}`;
    switch (kind) {
      case 'strings':
        children += el(element, {}, (value as string[]).map((s) => text('t:String', s)).join(''));
        break;
      case 'addresses':
        children += el(element, {}, (value as EmailAddress[]).map(address).join(''));
        break;
      case 'boolean':
        children += text(element, value ? 'true' : 'false');
        break;
      case 'text':
        children += text(element, value as string);
        break;
      case 'dateRange': {
        const range = value as { start?: string; end?: string };
        children += el(element, {}, (range.start ? text('t:StartDateTime', range.start) : '') + (range.end ? text('t:EndDateTime', range.end) : ''));
        break;
      }
      case 'sizeRange': {
        const range = value as { minimum?: number; maximum?: number };
        children += el(element, {}, (range.minimum !== undefined ? text('t:MinimumSize', range.minimum) : '') + (range.maximum !== undefined ? text('t:MaximumSize', range.maximum) : ''));
        break;
      }
      case 'folder':
        children += el(element, {}, ruleFolder(value as RuleFolder));
        break;
      case 'itemId':
        children += itemId(value as ItemRef, element);
        break;
    }
  }
  return el(container, {}, children);
}

/** `t:Rule` in schema order; `withId` false for a CreateRuleOperation (the server assigns the id). */
export function ruleXml(rule: InboxRule, withId: boolean): string {
  let children = '';
  if (withId && rule.id) children += text('t:RuleId', rule.id);
  children += text('t:DisplayName', rule.displayName) + text('t:Priority', rule.priority) + text('t:IsEnabled', rule.isEnabled ? 'true' : 'false');
  if (rule.isNotSupported !== undefined) children += text('t:IsNotSupported', rule.isNotSupported ? 'true' : 'false');
  if (rule.isInError !== undefined) children += text('t:IsInError', rule.isInError ? 'true' : 'false');
  if (rule.conditions) children += ruleFields('t:Conditions', PREDICATE_FIELDS, rule.conditions as RulePredicates as Record<string, unknown>);
  if (rule.exceptions) children += ruleFields('t:Exceptions', PREDICATE_FIELDS, rule.exceptions as Record<string, unknown>);
  if (rule.actions) children += ruleFields('t:Actions', ACTION_FIELDS, rule.actions as RuleActions as Record<string, unknown>);
  return el('t:Rule', {}, children);
}

/**
 * UpdateInboxRules. `RemoveOutlookRuleBlob` must be true for the server to accept changes when Outlook's rule blob
 * exists; it deletes client-only rules of the destination (the copier says so when the destination had any).
 */
export function updateInboxRules(mailbox: string, operations: readonly RuleOperation[]): string {
  const ops = nonEmpty(operations, 'UpdateInboxRules')
    .map((operation) => {
      if ('create' in operation) return el('t:CreateRuleOperation', {}, ruleXml({ ...operation.create, isNotSupported: undefined, isInError: undefined }, false));
      if ('set' in operation) return el('t:SetRuleOperation', {}, ruleXml({ ...operation.set, isNotSupported: undefined, isInError: undefined }, true));
      return el('t:DeleteRuleOperation', {}, text('t:RuleId', operation.delete));
    })
    .join('');
  return el('m:UpdateInboxRules', {}, text('m:MailboxSmtpAddress', mailbox) + text('m:RemoveOutlookRuleBlob', 'true') + el('m:Operations', {}, ops));
}

function mailboxElement(address: string): string {
  return el('t:Mailbox', {}, text('t:Address', address));
}

export function getUserOofSettings(mailbox: string): string {
  return el('m:GetUserOofSettingsRequest', {}, mailboxElement(mailbox));
}

function reply(name: string, value: OofReply | undefined): string {
  if (!value) return '';
  return el(name, { 'xml:lang': value.lang }, value.message !== undefined ? text('t:Message', value.message) : '');
}

export function userOofSettingsXml(settings: OofSettings, element = 't:UserOofSettings'): string {
  return el(
    element,
    {},
    text('t:OofState', settings.state) +
      text('t:ExternalAudience', settings.externalAudience) +
      (settings.duration ? el('t:Duration', {}, text('t:StartTime', settings.duration.start) + text('t:EndTime', settings.duration.end)) : '') +
      reply('t:InternalReply', settings.internalReply) +
      reply('t:ExternalReply', settings.externalReply),
  );
}

export function setUserOofSettings(mailbox: string, settings: OofSettings): string {
  return el('m:SetUserOofSettingsRequest', {}, mailboxElement(mailbox) + userOofSettingsXml(settings));
}

/** Every builder's output is a body element; this is the whole request document. */
export function envelope(body: string): string {
  return soapEnvelope(body);
}

export { esc };
