import { describe, expect, it } from 'vitest';
import * as build from '../../src/ews/requests.js';
import { MARKER_PROPERTY } from '../../src/ews/journal.js';
import { soapEnvelope } from '../../src/ews/xml.js';
import { validateEnvelopes } from '../../src/sandbox/ews/schema.js';
import type { InboxRule } from '../../src/ews/types.js';

const HIDDEN = { tag: '0x10F4', type: 'Boolean' as const };

/** A rule using every kind of predicate and action the serializer knows. */
const everything: InboxRule = {
  displayName: 'Tout & rien <règle>',
  priority: 3,
  isEnabled: false,
  conditions: {
    Categories: ['Rouge'],
    ContainsBodyStrings: ['facture'],
    ContainsHeaderStrings: ['X-Spam'],
    ContainsRecipientStrings: ['team'],
    ContainsSenderStrings: ['noreply'],
    ContainsSubjectOrBodyStrings: ['urgent'],
    ContainsSubjectStrings: ['newsletter'],
    FlaggedForAction: 'FollowUp',
    FromAddresses: [{ name: 'Boss', address: 'boss@example.com', routingType: 'SMTP', mailboxType: 'OneOff' }],
    HasAttachments: true,
    Importance: 'High',
    IsAutomaticReply: false,
    IsMeetingRequest: true,
    ItemClasses: ['IPM.Note'],
    NotSentToMe: false,
    SentToAddresses: [{ address: 'me@example.com' }],
    SentToOrCcMe: true,
    Sensitivity: 'Private',
    WithinDateRange: { start: '2026-01-01T00:00:00Z', end: '2026-12-31T00:00:00Z' },
    WithinSizeRange: { minimum: 10, maximum: 1000 },
  },
  exceptions: { ContainsSubjectStrings: ['FYI'], IsNDR: true },
  actions: {
    AssignCategories: ['Boss'],
    CopyToFolder: { distinguished: 'inbox' },
    ForwardAsAttachmentToRecipients: [{ address: 'archive@example.com' }],
    ForwardToRecipients: [{ name: 'Assistant', address: 'assistant@example.com' }],
    MarkImportance: 'Low',
    MarkAsRead: true,
    MoveToFolder: { id: 'AQMkFolder==', changeKey: 'AQAAAA==' },
    RedirectToRecipients: [{ address: 'other@example.com' }],
    SendSMSAlertToRecipients: [{ address: '+33600000000', routingType: 'MOBILE' }],
    ServerReplyWithMessage: { id: 'AAMkTemplate==' },
    StopProcessingRules: true,
  },
};

describe('EWS request builders', () => {
  it('build only requests the EWS schemas accept (every builder, every variant)', async () => {
    const bodies: Record<string, string> = {
      'FindFolder deep with properties': build.findFolder({ parent: { distinguished: 'msgfolderroot' }, traversal: 'Deep', properties: [{ field: 'folder:DisplayName' }, { field: 'folder:FolderClass' }, { field: 'folder:ParentFolderId' }, { field: 'folder:TotalCount' }, { extended: HIDDEN }], view: { offset: 0, max: 500 } }),
      'FindFolder shallow by id': build.findFolder({ parent: { id: 'AQMk1', changeKey: 'CK' }, traversal: 'Shallow', view: { offset: 1000, max: 1000 } }),
      GetFolder: build.getFolder({ folders: [{ distinguished: 'calendar' }, { distinguished: 'contacts' }, { id: 'AQMk2' }], properties: [{ field: 'folder:DisplayName' }] }),
      'CreateFolder of every class': build.createFolder({ parent: { id: 'AQMk3' }, folders: [{ displayName: 'Projets été', folderClass: 'IPF.Appointment' }, { displayName: 'Clients', folderClass: 'IPF.Contact' }, { displayName: 'À faire', folderClass: 'IPF.Task' }, { displayName: 'Newsletters', folderClass: 'IPF.Note' }] }),
      'FindItem paged': build.findItem({ folder: { id: 'AQMk4' }, properties: [{ field: 'item:ItemClass' }, { field: 'item:Subject' }, { field: 'item:Size' }, { field: 'calendar:Start' }, { field: 'calendar:End' }, { extended: MARKER_PROPERTY }], view: { offset: 500, max: 500 } }),
      'FindItem with Exists': build.findItem({ folder: { distinguished: 'contacts' }, properties: [{ extended: MARKER_PROPERTY }], view: { offset: 0, max: 1000 }, restriction: { exists: { extended: MARKER_PROPERTY } } }),
      'FindItem with IsEqualTo': build.findItem({ folder: { distinguished: 'tasks' }, view: { offset: 0, max: 10 }, restriction: { equals: { extended: MARKER_PROPERTY }, value: 'v1:abc' } }),
      'FindItem associated': build.findItem({ folder: { distinguished: 'calendar' }, view: { offset: 0, max: 10 }, associated: true }),
      ExportItems: build.exportItems([{ id: 'AAMk1' }, { id: 'AAMk2', changeKey: 'CQ' }]),
      UploadItems: build.uploadItems([{ parentFolderId: 'AQMk5', data: Buffer.from('stream').toString('base64') }, { parentFolderId: 'AQMk5', data: 'AAAA' }]),
      'UpdateItem marker on every item kind': build.setExtendedProperty({
        property: MARKER_PROPERTY,
        items: (['CalendarItem', 'Contact', 'DistributionList', 'Task', 'Message', 'Item'] as const).map((element, i) => ({ ref: { id: `AAMk${i}`, changeKey: 'CQ' }, element, value: 'v1:0123456789abcdef0123456789abcdef' })),
      }),
      GetInboxRules: build.getInboxRules('john.smith@mydomain.ovh'),
      'UpdateInboxRules create everything': build.updateInboxRules('john.smith@mydomain.ovh', [{ create: everything }, { create: { displayName: 'Minimal', priority: 1, isEnabled: true, actions: { Delete: true } } }]),
      'UpdateInboxRules set and delete': build.updateInboxRules('john.smith@mydomain.ovh', [{ set: { ...everything, id: 'AQAAAJ1=' } }, { delete: 'AQAAAJ2=' }]),
      GetUserOofSettings: build.getUserOofSettings('john.smith@mydomain.ovh'),
      'SetUserOofSettings scheduled': build.setUserOofSettings('john.smith@mydomain.ovh', {
        state: 'Scheduled',
        externalAudience: 'Known',
        duration: { start: '2026-12-21T08:00:00Z', end: '2027-01-04T08:00:00Z' },
        internalReply: { message: 'Absent <jusqu’au 4> & joignable', lang: 'fr-FR' },
        externalReply: { message: 'Away' },
      }),
      'SetUserOofSettings disabled': build.setUserOofSettings('john.smith@mydomain.ovh', { state: 'Disabled', externalAudience: 'None' }),
    };
    expect(Object.keys(bodies)).toHaveLength(17);
    const violations = await validateEnvelopes(Object.entries(bodies).map(([label, body]) => ({ label, xml: soapEnvelope(body) })));
    expect(violations).toEqual([]);
  });

  it('escape text and attributes, and drop characters XML cannot carry', () => {
    const xml = build.createFolder({ parent: { id: 'a"b' }, folders: [{ displayName: 'R&D <2026> \u0001', folderClass: 'IPF.Note' }] });
    expect(xml).toContain('Id="a&quot;b"');
    expect(xml).toContain('<t:DisplayName>R&amp;D &lt;2026&gt; </t:DisplayName>');
  });

  it('refuse what would break the request: an empty list, a stream that is not base64', () => {
    expect(() => build.exportItems([])).toThrow(RangeError);
    expect(() => build.uploadItems([{ parentFolderId: 'F', data: 'AAAA</t:Data><evil/>' }])).toThrow(/not base64/);
  });

  it('UpdateItem saves only: no meeting update or cancellation is sent, and only the marker is written', () => {
    const xml = build.setExtendedProperty({ property: MARKER_PROPERTY, items: [{ ref: { id: 'X' }, element: 'CalendarItem', value: 'v1:1' }] });
    expect(xml).toMatch(/SendMeetingInvitationsOrCancellations="SendToNone"/);
    expect(xml).toMatch(/ConflictResolution="AlwaysOverwrite"/);
    expect(xml).toMatch(/<t:SetItemField><t:ExtendedFieldURI PropertySetId="[0-9a-f-]{36}" PropertyName="ovhMigSource" PropertyType="String"\/><t:CalendarItem><t:ExtendedProperty>/);
  });

  it('UpdateInboxRules removes the Outlook rule blob (Exchange demands it) and never sends a RuleId on creation', () => {
    const xml = build.updateInboxRules('a@b.c', [{ create: { ...everything, id: 'SHOULD-NOT-APPEAR', isNotSupported: false } }]);
    expect(xml).toContain('<m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob>');
    expect(xml).not.toContain('SHOULD-NOT-APPEAR');
    expect(xml).not.toContain('IsNotSupported');
  });
});
