/**
 * The fields of `RulePredicatesType` and `RuleActionsType` in schema order, with the kind of value each holds:
 * one table drives both writing a rule (elements must come in this order) and reading one.
 */

export type RuleFieldKind = 'strings' | 'addresses' | 'boolean' | 'text' | 'dateRange' | 'sizeRange' | 'folder' | 'itemId';

export const PREDICATE_FIELDS: ReadonlyArray<readonly [string, RuleFieldKind]> = [
  ['Categories', 'strings'],
  ['ContainsBodyStrings', 'strings'],
  ['ContainsHeaderStrings', 'strings'],
  ['ContainsRecipientStrings', 'strings'],
  ['ContainsSenderStrings', 'strings'],
  ['ContainsSubjectOrBodyStrings', 'strings'],
  ['ContainsSubjectStrings', 'strings'],
  ['FlaggedForAction', 'text'],
  ['FromAddresses', 'addresses'],
  ['FromConnectedAccounts', 'strings'],
  ['HasAttachments', 'boolean'],
  ['Importance', 'text'],
  ['IsApprovalRequest', 'boolean'],
  ['IsAutomaticForward', 'boolean'],
  ['IsAutomaticReply', 'boolean'],
  ['IsEncrypted', 'boolean'],
  ['IsMeetingRequest', 'boolean'],
  ['IsMeetingResponse', 'boolean'],
  ['IsNDR', 'boolean'],
  ['IsPermissionControlled', 'boolean'],
  ['IsReadReceipt', 'boolean'],
  ['IsSigned', 'boolean'],
  ['IsVoicemail', 'boolean'],
  ['ItemClasses', 'strings'],
  ['MessageClassifications', 'strings'],
  ['NotSentToMe', 'boolean'],
  ['SentCcMe', 'boolean'],
  ['SentOnlyToMe', 'boolean'],
  ['SentToAddresses', 'addresses'],
  ['SentToMe', 'boolean'],
  ['SentToOrCcMe', 'boolean'],
  ['Sensitivity', 'text'],
  ['WithinDateRange', 'dateRange'],
  ['WithinSizeRange', 'sizeRange'],
];

export const ACTION_FIELDS: ReadonlyArray<readonly [string, RuleFieldKind]> = [
  ['AssignCategories', 'strings'],
  ['CopyToFolder', 'folder'],
  ['Delete', 'boolean'],
  ['ForwardAsAttachmentToRecipients', 'addresses'],
  ['ForwardToRecipients', 'addresses'],
  ['MarkImportance', 'text'],
  ['MarkAsRead', 'boolean'],
  ['MoveToFolder', 'folder'],
  ['PermanentDelete', 'boolean'],
  ['RedirectToRecipients', 'addresses'],
  ['SendSMSAlertToRecipients', 'addresses'],
  ['ServerReplyWithMessage', 'itemId'],
  ['StopProcessingRules', 'boolean'],
];

/** `EmailAddressType` children in schema order (the ones rules carry). */
export const ADDRESS_FIELDS = [
  ['Name', 'name'],
  ['EmailAddress', 'address'],
  ['RoutingType', 'routingType'],
  ['MailboxType', 'mailboxType'],
] as const;
