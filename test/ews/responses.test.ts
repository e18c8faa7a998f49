import { describe, expect, it } from 'vitest';
import * as parse from '../../src/ews/responses.js';
import { EwsRequestFailed, EwsResponseUnreadable } from '../../src/ews/errors.js';
import { MARKER_PROPERTY } from '../../src/ews/journal.js';
import { validateEnvelopes } from '../../src/sandbox/ews/schema.js';

const NS = 'xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"';
const header = '<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="V2017_07_11" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header>';
const envelope = (body: string) => `<?xml version="1.0" encoding="utf-8"?><s:Envelope ${NS}>${header}<s:Body>${body}</s:Body></s:Envelope>`;

/** Answers as Exchange writes them (after MicrosoftDocs' examples), each checked against the schemas below. */
const GOLDEN = {
  findFolder: envelope(
    '<m:FindFolderResponse><m:ResponseMessages><m:FindFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>' +
      '<m:RootFolder IndexedPagingOffset="3" TotalItemsInView="5" IncludesLastItemInRange="false"><t:Folders>' +
      '<t:CalendarFolder><t:FolderId Id="F1" ChangeKey="A"/><t:ParentFolderId Id="F0"/><t:FolderClass>IPF.Appointment</t:FolderClass><t:DisplayName>Calendrier</t:DisplayName><t:TotalCount>2</t:TotalCount></t:CalendarFolder>' +
      '<t:ContactsFolder><t:FolderId Id="F2"/><t:ParentFolderId Id="F0"/><t:FolderClass>IPF.Contact.RecipientCache</t:FolderClass><t:DisplayName>Recipient Cache</t:DisplayName>' +
      '<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x10f4" PropertyType="Boolean"/><t:Value>true</t:Value></t:ExtendedProperty></t:ContactsFolder>' +
      '<t:Folder><t:FolderId Id="F3"/><t:DisplayName>R&amp;D &#233;t&#xE9;</t:DisplayName></t:Folder>' +
      '</t:Folders></m:RootFolder></m:FindFolderResponseMessage></m:ResponseMessages></m:FindFolderResponse>',
  ),
  findItem: envelope(
    '<m:FindItemResponse><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>' +
      '<m:RootFolder TotalItemsInView="2" IncludesLastItemInRange="true"><t:Items>' +
      '<t:CalendarItem><t:ItemId Id="I1" ChangeKey="C1"/><t:ItemClass>IPM.Appointment</t:ItemClass><t:Subject>Weekly</t:Subject><t:Size>4096</t:Size>' +
      `<t:ExtendedProperty><t:ExtendedFieldURI PropertySetId="${MARKER_PROPERTY.propertySetId.toUpperCase()}" PropertyName="ovhMigSource" PropertyType="String"/><t:Value>v1:abc</t:Value></t:ExtendedProperty>` +
      '<t:Start>2026-01-05T09:00:00Z</t:Start><t:End>2026-01-05T10:00:00Z</t:End></t:CalendarItem>' +
      '<t:DistributionList><t:ItemId Id="I2"/><t:ItemClass>IPM.DistList</t:ItemClass><t:Subject/></t:DistributionList>' +
      '</t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>',
  ),
  exportItems: envelope(
    '<m:ExportItemsResponse><m:ResponseMessages>' +
      '<m:ExportItemsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:ItemId Id="I1" ChangeKey="C1"/><m:Data>AQAAAAgAAAAAAAAA\nTgBhAG0AZQA=</m:Data></m:ExportItemsResponseMessage>' +
      '<m:ExportItemsResponseMessage ResponseClass="Error"><m:MessageText>The specified object was not found in the store.</m:MessageText><m:ResponseCode>ErrorItemNotFound</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:ExportItemsResponseMessage>' +
      '<m:ExportItemsResponseMessage ResponseClass="Error"><m:MessageText>busy</m:MessageText><m:ResponseCode>ErrorServerBusy</m:ResponseCode><m:MessageXml><t:Value Name="BackOffMilliseconds">1500</t:Value></m:MessageXml></m:ExportItemsResponseMessage>' +
      '</m:ResponseMessages></m:ExportItemsResponse>',
  ),
  uploadRefused: envelope(
    '<m:UploadItemsResponse><m:ResponseMessages><m:UploadItemsResponseMessage ResponseClass="Error"><m:MessageText>Mailbox is over quota</m:MessageText><m:ResponseCode>ErrorQuotaExceeded</m:ResponseCode></m:UploadItemsResponseMessage></m:ResponseMessages></m:UploadItemsResponse>',
  ),
  busyFault: envelope(
    '<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode><faultstring>The server cannot service this request right now. Try again later.</faultstring>' +
      '<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>' +
      '<t:MessageXml><t:Value Name="BackOffMilliseconds">297749</t:Value></t:MessageXml></detail></s:Fault>',
  ),
  rules: envelope(
    '<m:GetInboxRulesResponse ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:OutlookRuleBlobExists>true</m:OutlookRuleBlobExists><m:InboxRules>' +
      '<t:Rule><t:RuleId>R1</t:RuleId><t:DisplayName>Move newsletters</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>true</t:IsEnabled>' +
      '<t:Conditions><t:ContainsSubjectStrings><t:String>newsletter</t:String></t:ContainsSubjectStrings><t:FromAddresses><t:Address><t:Name>Boss</t:Name><t:EmailAddress>boss@example.com</t:EmailAddress></t:Address></t:FromAddresses><t:WithinSizeRange><t:MaximumSize>100</t:MaximumSize></t:WithinSizeRange></t:Conditions>' +
      '<t:Actions><t:MoveToFolder><t:FolderId Id="F9"/></t:MoveToFolder><t:StopProcessingRules>true</t:StopProcessingRules></t:Actions></t:Rule>' +
      '<t:Rule><t:DisplayName>Client rule</t:DisplayName><t:Priority>2</t:Priority><t:IsEnabled>false</t:IsEnabled><t:IsNotSupported>true</t:IsNotSupported><t:Actions><t:CopyToFolder><t:DistinguishedFolderId Id="junkemail"/></t:CopyToFolder></t:Actions></t:Rule>' +
      '</m:InboxRules></m:GetInboxRulesResponse>',
  ),
  rulesRefused: envelope(
    '<m:UpdateInboxRulesResponse ResponseClass="Error"><m:MessageText>Validation error(s) found in the rule(s).</m:MessageText><m:ResponseCode>ErrorInboxRulesValidationError</m:ResponseCode><m:RuleOperationErrors>' +
      '<t:RuleOperationError><t:OperationIndex>1</t:OperationIndex><t:ValidationErrors><t:Error><t:FieldURI>Action:MoveToFolder</t:FieldURI><t:ErrorCode>FolderDoesNotExist</t:ErrorCode><t:ErrorMessage>The folder does not exist.</t:ErrorMessage><t:FieldValue>F9</t:FieldValue></t:Error></t:ValidationErrors></t:RuleOperationError>' +
      '</m:RuleOperationErrors></m:UpdateInboxRulesResponse>',
  ),
  oof: envelope(
    '<m:GetUserOofSettingsResponse><m:ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage>' +
      '<t:OofSettings><t:OofState>Scheduled</t:OofState><t:ExternalAudience>Known</t:ExternalAudience><t:Duration><t:StartTime>2026-12-21T08:00:00Z</t:StartTime><t:EndTime>2027-01-04T08:00:00Z</t:EndTime></t:Duration>' +
      '<t:InternalReply xml:lang="fr-FR"><t:Message>En congés</t:Message></t:InternalReply><t:ExternalReply><t:Message/></t:ExternalReply></t:OofSettings><m:AllowExternalOof>All</m:AllowExternalOof></m:GetUserOofSettingsResponse>',
  ),
};

describe('EWS response parsing', () => {
  it('the golden answers are valid EWS (so the parser is tested on what Exchange may really send)', async () => {
    expect(await validateEnvelopes(Object.entries(GOLDEN).map(([label, xml]) => ({ label, xml })))).toEqual([]);
  });

  it('FindFolder: folders of every element, hidden flag, paging, entities, server version', () => {
    const parsed = parse.parseEnvelope(GOLDEN.findFolder, 'FindFolder');
    expect(parsed.serverVersion).toMatchObject({ majorVersion: 15, minorVersion: 1, version: 'V2017_07_11' });
    const page = parse.parseFindFolder(parsed.body, 0);
    expect(page).toMatchObject({ totalItemsInView: 5, includesLastItemInRange: false, nextOffset: 3 });
    expect(page.items.map((f) => [f.element, f.id, f.displayName])).toEqual([
      ['Folder', 'F3', 'R&D été'],
      ['CalendarFolder', 'F1', 'Calendrier'],
      ['ContactsFolder', 'F2', 'Recipient Cache'],
    ]);
    expect(page.items.find((f) => f.id === 'F2')!.extended).toEqual({ 'tag:0x10f4': 'true' });
    expect(page.items.find((f) => f.id === 'F1')).toMatchObject({ parentId: 'F0', folderClass: 'IPF.Appointment', totalCount: 2 });
  });

  it('FindItem: item summaries with their marker (property set id compared case-insensitively)', () => {
    const page = parse.parseFindItem(parse.parseEnvelope(GOLDEN.findItem, 'FindItem').body, 0);
    expect(page.includesLastItemInRange).toBe(true);
    const calendar = page.items.find((i) => i.element === 'CalendarItem')!;
    expect(calendar).toMatchObject({ id: 'I1', changeKey: 'C1', subject: 'Weekly', size: 4096, start: '2026-01-05T09:00:00Z', end: '2026-01-05T10:00:00Z' });
    expect(calendar.extended[parse.extendedKey(MARKER_PROPERTY)]).toBe('v1:abc');
    expect(page.items.find((i) => i.element === 'DistributionList')).toMatchObject({ id: 'I2', subject: '' });
  });

  it('ExportItems: per-item outcomes in order, streams without line breaks, the back-off hint of a busy item', () => {
    const items = parse.parseExportItems(parse.parseEnvelope(GOLDEN.exportItems, 'ExportItems').body, 3);
    expect(items).toEqual([
      { ok: true, id: 'I1', data: 'AQAAAAgAAAAAAAAATgBhAG0AZQA=' },
      { ok: false, code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.', backOffMs: undefined },
      { ok: false, code: 'ErrorServerBusy', message: 'busy', backOffMs: 1500 },
    ]);
  });

  it('a single error message for a batch is a refusal of the whole request', () => {
    const body = parse.parseEnvelope(GOLDEN.uploadRefused, 'UploadItems').body;
    expect(() => parse.parseUploadItems(body, 100)).toThrow(EwsRequestFailed);
    expect(parse.parseUploadItems(body, 1)).toEqual([{ ok: false, code: 'ErrorQuotaExceeded', message: 'Mailbox is over quota', backOffMs: undefined }]);
  });

  it('a SOAP fault becomes an EwsRequestFailed with its code, BackOffMilliseconds and retryable', () => {
    let error: unknown;
    try {
      parse.parseEnvelope(GOLDEN.busyFault, 'FindItem');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EwsRequestFailed);
    expect(error).toMatchObject({ code: 'ErrorServerBusy', backOffMs: 297749, retryable: true });
  });

  it('GetInboxRules: conditions, actions, folder targets, client-only rules', () => {
    const rules = parse.parseGetInboxRules(parse.parseEnvelope(GOLDEN.rules, 'GetInboxRules').body);
    expect(rules.outlookRuleBlobExists).toBe(true);
    expect(rules.rules[0]).toMatchObject({
      id: 'R1',
      displayName: 'Move newsletters',
      priority: 1,
      isEnabled: true,
      conditions: { ContainsSubjectStrings: ['newsletter'], FromAddresses: [{ name: 'Boss', address: 'boss@example.com' }], WithinSizeRange: { maximum: 100 } },
      actions: { MoveToFolder: { id: 'F9' }, StopProcessingRules: true },
      unknownFields: [],
    });
    expect(rules.rules[1]).toMatchObject({ isNotSupported: true, actions: { CopyToFolder: { distinguished: 'junkemail' } } });
  });

  it('UpdateInboxRules: the refused operations with their reasons', () => {
    expect(parse.parseUpdateInboxRules(parse.parseEnvelope(GOLDEN.rulesRefused, 'UpdateInboxRules').body)).toEqual({
      ok: false,
      code: 'ErrorInboxRulesValidationError',
      message: 'Validation error(s) found in the rule(s).',
      backOffMs: undefined,
      errors: [{ operationIndex: 1, errors: [{ fieldUri: 'Action:MoveToFolder', code: 'FolderDoesNotExist', message: 'The folder does not exist.', value: 'F9' }] }],
    });
  });

  it('GetUserOofSettings: state, audience, schedule, replies with their language', () => {
    expect(parse.parseGetUserOofSettings(parse.parseEnvelope(GOLDEN.oof, 'GetUserOofSettings').body)).toEqual({
      state: 'Scheduled',
      externalAudience: 'Known',
      duration: { start: '2026-12-21T08:00:00Z', end: '2027-01-04T08:00:00Z' },
      internalReply: { message: 'En congés', lang: 'fr-FR' },
      externalReply: { message: '', lang: undefined },
    });
  });

  it('what is not EWS is EwsResponseUnreadable, not retryable', () => {
    for (const text of ['<html><body>Service Unavailable</body></html>', 'not xml at all <', envelope('<m:FindItemResponse/>')]) {
      expect(() => parse.parseFindItem(parse.parseEnvelope(text, 'FindItem').body, 0)).toThrow(EwsResponseUnreadable);
    }
    expect(new EwsResponseUnreadable('x').retryable).toBe(false);
    // A Size that is not a number is not silently read as one.
    expect(() => parse.parseFindItem(parse.parseEnvelope(GOLDEN.findItem.replace('<t:Size>4096', '<t:Size>big'), 'FindItem').body, 0)).toThrow(/Size/);
  });
});
