/** The EWS values this layer reads and writes, as plain TypeScript types (the parsers check them with zod). */

/** Distinguished folders this layer refers to (a subset of `DistinguishedFolderIdNameType`). */
export const DISTINGUISHED_FOLDERS = ['msgfolderroot', 'root', 'calendar', 'contacts', 'tasks', 'inbox', 'sentitems', 'deleteditems', 'drafts', 'junkemail', 'outbox', 'notes', 'journal'] as const;
export type DistinguishedFolder = (typeof DISTINGUISHED_FOLDERS)[number];

export type FolderRef = { id: string; changeKey?: string } | { distinguished: DistinguishedFolder };

export interface ItemRef {
  id: string;
  changeKey?: string;
}

/** A named (PropertySetId + PropertyName) or tagged (PropertyTag) MAPI property. */
export type ExtendedProperty =
  | { propertySetId: string; name: string; type: 'String' | 'Boolean' | 'Integer' }
  | { tag: string; type: 'String' | 'Boolean' | 'Integer' };

/** A property path: an unindexed field URI (`item:Subject`) or an extended property. */
export type PropertyPath = { field: string } | { extended: ExtendedProperty };

/** The folder element names of `ArrayOfFoldersType`. */
export type FolderElement = 'Folder' | 'CalendarFolder' | 'ContactsFolder' | 'SearchFolder' | 'TasksFolder';

export interface EwsFolder {
  element: FolderElement;
  id: string;
  changeKey?: string;
  parentId?: string;
  folderClass?: string;
  displayName?: string;
  totalCount?: number;
  childFolderCount?: number;
  /** Extended properties returned, by their key (`tag:0x10f4`, or `set:<guid>:<name>`). */
  extended: Record<string, string>;
}

/** The item element names of `ArrayOfRealItemsType` this layer meets. */
export type ItemElement = 'Item' | 'Message' | 'CalendarItem' | 'Contact' | 'DistributionList' | 'Task' | 'PostItem' | 'MeetingMessage' | 'MeetingRequest' | 'MeetingResponse' | 'MeetingCancellation';

/** What FindItem returns for an item (the properties asked for). */
export interface EwsItemSummary {
  element: ItemElement;
  id: string;
  changeKey?: string;
  itemClass?: string;
  subject?: string;
  size?: number;
  created?: string;
  modified?: string;
  /** Calendar items. */
  start?: string;
  end?: string;
  extended: Record<string, string>;
}

export interface FindPage<T> {
  items: T[];
  totalItemsInView: number;
  includesLastItemInRange: boolean;
  /** Offset to ask for the next page. */
  nextOffset: number;
}

/** One item of an ExportItems answer: its opaque full-fidelity stream, or the server's refusal. */
export type ExportedItem = { ok: true; id: string; data: string } | { ok: false; code: string; message: string; backOffMs?: number };

/** One item of an UploadItems answer: the new item's id, or the server's refusal. */
export type UploadedItem = { ok: true; id: string; changeKey?: string } | { ok: false; code: string; message: string; backOffMs?: number };

/** A per-item answer without a payload (UpdateItem, CreateFolder...). */
export type ItemOutcome = { ok: true } | { ok: false; code: string; message: string; backOffMs?: number };

export interface EmailAddress {
  name?: string;
  address?: string;
  routingType?: string;
  mailboxType?: string;
}

/** A rule action's target folder (`TargetFolderIdType`). */
export type RuleFolder = { id: string; changeKey?: string } | { distinguished: string };

export interface DateRange {
  start?: string;
  end?: string;
}

export interface SizeRange {
  minimum?: number;
  maximum?: number;
}

/** `RulePredicatesType`: every predicate the schema knows, by its element name. */
export interface RulePredicates {
  Categories?: string[];
  ContainsBodyStrings?: string[];
  ContainsHeaderStrings?: string[];
  ContainsRecipientStrings?: string[];
  ContainsSenderStrings?: string[];
  ContainsSubjectOrBodyStrings?: string[];
  ContainsSubjectStrings?: string[];
  FlaggedForAction?: string;
  FromAddresses?: EmailAddress[];
  FromConnectedAccounts?: string[];
  HasAttachments?: boolean;
  Importance?: string;
  IsApprovalRequest?: boolean;
  IsAutomaticForward?: boolean;
  IsAutomaticReply?: boolean;
  IsEncrypted?: boolean;
  IsMeetingRequest?: boolean;
  IsMeetingResponse?: boolean;
  IsNDR?: boolean;
  IsPermissionControlled?: boolean;
  IsReadReceipt?: boolean;
  IsSigned?: boolean;
  IsVoicemail?: boolean;
  ItemClasses?: string[];
  MessageClassifications?: string[];
  NotSentToMe?: boolean;
  SentCcMe?: boolean;
  SentOnlyToMe?: boolean;
  SentToAddresses?: EmailAddress[];
  SentToMe?: boolean;
  SentToOrCcMe?: boolean;
  Sensitivity?: string;
  WithinDateRange?: DateRange;
  WithinSizeRange?: SizeRange;
}

/** `RuleActionsType`. */
export interface RuleActions {
  AssignCategories?: string[];
  CopyToFolder?: RuleFolder;
  Delete?: boolean;
  ForwardAsAttachmentToRecipients?: EmailAddress[];
  ForwardToRecipients?: EmailAddress[];
  MarkImportance?: string;
  MarkAsRead?: boolean;
  MoveToFolder?: RuleFolder;
  PermanentDelete?: boolean;
  RedirectToRecipients?: EmailAddress[];
  SendSMSAlertToRecipients?: EmailAddress[];
  ServerReplyWithMessage?: ItemRef;
  StopProcessingRules?: boolean;
}

/** `RuleType`: an inbox rule as GetInboxRules returns it and CreateRuleOperation takes it. */
export interface InboxRule {
  id?: string;
  displayName: string;
  priority: number;
  isEnabled: boolean;
  isNotSupported?: boolean;
  isInError?: boolean;
  conditions?: RulePredicates;
  exceptions?: RulePredicates;
  actions?: RuleActions;
}

export interface InboxRules {
  outlookRuleBlobExists: boolean;
  rules: InboxRule[];
}

export type RuleOperation = { create: InboxRule } | { set: InboxRule } | { delete: string };

/** Why the server refused one operation of an UpdateInboxRules call. */
export interface RuleOperationError {
  operationIndex: number;
  errors: Array<{ fieldUri: string; code: string; message: string; value: string }>;
}

export type OofState = 'Disabled' | 'Enabled' | 'Scheduled';
export type ExternalAudience = 'None' | 'Known' | 'All';

export interface OofReply {
  message?: string;
  lang?: string;
}

/** `UserOofSettings`: the parts this tool copies. */
export interface OofSettings {
  state: OofState;
  externalAudience: ExternalAudience;
  duration?: { start: string; end: string };
  internalReply?: OofReply;
  externalReply?: OofReply;
}

export interface ServerVersion {
  majorVersion?: number;
  minorVersion?: number;
  majorBuildNumber?: number;
  minorBuildNumber?: number;
  version?: string;
}
