import * as build from './requests.js';
import * as parse from './responses.js';
import { soapEnvelope } from './xml.js';
import { EwsTransport, type TransportOptions } from './transport.js';
import type { EwsEndpoint } from './endpoint.js';
import type {
  EwsFolder,
  EwsItemSummary,
  ExportedItem,
  ExtendedProperty,
  FindPage,
  FolderRef,
  ItemElement,
  ItemOutcome,
  ItemRef,
  OofSettings,
  PropertyPath,
  RuleOperation,
  ServerVersion,
  UploadedItem,
} from './types.js';

/**
 * A typed EWS client for one mailbox: one method per operation the migration uses, each building its request
 * (`requests.ts`), sending it through the transport (lanes, authentication, retries) and parsing the answer
 * (`responses.ts`). Per-item results come back as lists in request order; a refused request throws.
 */
export class EwsClient {
  readonly transport: EwsTransport;
  /** What the server said it runs (ServerVersionInfo of the last answer). */
  serverVersion: ServerVersion | undefined;

  constructor(
    readonly endpoint: EwsEndpoint,
    options: TransportOptions = {},
  ) {
    this.transport = new EwsTransport(endpoint, options);
  }

  private call<T>(operation: string, body: string, read: (parsed: parse.ParsedEnvelope) => T, mutating = false): Promise<T> {
    return this.transport.call(
      operation,
      soapEnvelope(body),
      (text) => {
        const parsed = parse.parseEnvelope(text, operation);
        if (parsed.serverVersion) this.serverVersion = parsed.serverVersion;
        return read(parsed);
      },
      { mutating },
    );
  }

  findFolders(parent: FolderRef, options: { traversal?: 'Deep' | 'Shallow'; properties?: readonly PropertyPath[]; offset?: number; max?: number } = {}): Promise<FindPage<EwsFolder>> {
    const view = { offset: options.offset ?? 0, max: options.max ?? 500 };
    return this.call('FindFolder', build.findFolder({ parent, traversal: options.traversal ?? 'Deep', properties: options.properties, view }), ({ body }) => parse.parseFindFolder(body, view.offset));
  }

  /** Every folder below `parent` (all pages). */
  async allFolders(parent: FolderRef, options: { traversal?: 'Deep' | 'Shallow'; properties?: readonly PropertyPath[]; pageSize?: number } = {}): Promise<EwsFolder[]> {
    const folders: EwsFolder[] = [];
    let offset = 0;
    for (;;) {
      const page = await this.findFolders(parent, { ...options, offset, max: options.pageSize ?? 500 });
      folders.push(...page.items);
      if (page.includesLastItemInRange || page.items.length === 0) return folders;
      offset = page.nextOffset;
    }
  }

  getFolders(folders: readonly FolderRef[], properties?: readonly PropertyPath[]): Promise<parse.FolderOutcome[]> {
    return this.call('GetFolder', build.getFolder({ folders, properties }), ({ body }) => parse.parseGetFolder(body, folders.length));
  }

  createFolders(parent: FolderRef, folders: ReadonlyArray<{ displayName: string; folderClass: string }>): Promise<parse.FolderOutcome[]> {
    return this.call('CreateFolder', build.createFolder({ parent, folders }), ({ body }) => parse.parseCreateFolder(body, folders.length), true);
  }

  findItems(folder: FolderRef, options: { properties?: readonly PropertyPath[]; offset?: number; max?: number; restriction?: build.Restriction } = {}): Promise<FindPage<EwsItemSummary>> {
    const view = { offset: options.offset ?? 0, max: options.max ?? 500 };
    return this.call('FindItem', build.findItem({ folder, properties: options.properties, view, restriction: options.restriction }), ({ body }) => parse.parseFindItem(body, view.offset));
  }

  /** Pages through a folder's items, `pageSize` at a time (Exchange caps a page at 1000). */
  async *itemPages(folder: FolderRef, options: { properties?: readonly PropertyPath[]; pageSize?: number; restriction?: build.Restriction } = {}): AsyncGenerator<FindPage<EwsItemSummary>> {
    let offset = 0;
    for (;;) {
      const page = await this.findItems(folder, { ...options, offset, max: options.pageSize ?? 500 });
      yield page;
      if (page.includesLastItemInRange || page.items.length === 0) return;
      offset = page.nextOffset;
    }
  }

  exportItems(items: readonly ItemRef[]): Promise<ExportedItem[]> {
    return this.call('ExportItems', build.exportItems(items), ({ body }) => parse.parseExportItems(body, items.length));
  }

  uploadItems(items: ReadonlyArray<{ parentFolderId: string; data: string }>): Promise<UploadedItem[]> {
    return this.call('UploadItems', build.uploadItems(items), ({ body }) => parse.parseUploadItems(body, items.length), true);
  }

  setExtendedProperty(property: ExtendedProperty, items: ReadonlyArray<{ ref: ItemRef; element: ItemElement; value: string }>): Promise<ItemOutcome[]> {
    return this.call('UpdateItem', build.setExtendedProperty({ property, items }), ({ body }) => parse.parseUpdateItem(body, items.length));
  }

  getInboxRules(): Promise<ReturnType<typeof parse.parseGetInboxRules>> {
    return this.call('GetInboxRules', build.getInboxRules(this.endpoint.mailbox), ({ body }) => parse.parseGetInboxRules(body));
  }

  updateInboxRules(operations: readonly RuleOperation[]): Promise<parse.UpdateRulesOutcome> {
    return this.call('UpdateInboxRules', build.updateInboxRules(this.endpoint.mailbox, operations), ({ body }) => parse.parseUpdateInboxRules(body), true);
  }

  getOofSettings(): Promise<OofSettings> {
    return this.call('GetUserOofSettings', build.getUserOofSettings(this.endpoint.mailbox), ({ body }) => parse.parseGetUserOofSettings(body));
  }

  setOofSettings(settings: OofSettings): Promise<void> {
    return this.call('SetUserOofSettings', build.setUserOofSettings(this.endpoint.mailbox, settings), ({ body }) => parse.parseSetUserOofSettings(body));
  }

  close(): void {
    this.transport.close();
  }
}
