import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';

/**
 * The EWS schemas (`schemas/messages.xsd`, `schemas/types.xsd`: byte-for-byte the published copies in
 * `../shared/ews-schemas/`, MIT, from php-ews) and a validator of whole SOAP envelopes against them, through
 * libxml2 compiled to WebAssembly (xmllint-wasm). Two fixes every libxml2 user of these files needs are applied
 * in memory, so the files themselves stay identical to the published ones:
 * - types.xsd imports the `xml:` namespace without a schemaLocation: it is pointed at our `schemas/xml.xsd`;
 * - php-ews's `ArrayOfTransitionsType` is non-deterministic (libxml2 refuses to compile it): it becomes
 *   `<xs:element ref="t:Transition" maxOccurs="unbounded"/>`, as in Microsoft's own schema.
 * `schemas/soap-envelope.xsd` checks the envelope and requires every header block and the body's element to be
 * declared by the EWS schemas (strict wildcards), so an unknown operation or a misspelt element fails too.
 *
 * Compiling the schemas costs ~0.3 s per xmllint run whatever the number of documents, so documents are checked
 * in batches (`validate([...])`, or `BatchedValidator` which queues them).
 */

const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'schemas');
const XML_NS_IMPORT = '<xs:import namespace="http://www.w3.org/XML/1998/namespace"/>';
const TRANSITIONS = /(<xs:complexType name="ArrayOfTransitionsType">\s*<xs:sequence>)[\s\S]*?(<\/xs:sequence>)/;

function read(name: string): string {
  return readFileSync(join(SCHEMA_DIR, name), 'utf8').replace(/^\uFEFF/, '');
}

/** types.xsd with the two libxml2 fixes applied (throws if the published file changed so that they no longer apply). */
export function fixedTypesXsd(published: string): string {
  const text = published.replace(/^\uFEFF/, '');
  if (!text.includes(XML_NS_IMPORT) || !TRANSITIONS.test(text)) throw new Error('types.xsd: the libxml2 fixes no longer apply; check the schema copy');
  return text
    .replace(XML_NS_IMPORT, '<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>')
    .replace(TRANSITIONS, '$1<xs:element ref="t:Transition" maxOccurs="unbounded"/>$2');
}

let files: { schema: XMLFileInfo; preload: XMLFileInfo[] } | undefined;
function schemaFiles(): { schema: XMLFileInfo; preload: XMLFileInfo[] } {
  files ??= {
    schema: { fileName: 'soap-envelope.xsd', contents: read('soap-envelope.xsd') },
    preload: [
      { fileName: 'messages.xsd', contents: read('messages.xsd') },
      { fileName: 'types.xsd', contents: fixedTypesXsd(read('types.xsd')) },
      { fileName: 'xml.xsd', contents: read('xml.xsd') },
    ],
  };
  return files;
}

export interface EnvelopeToCheck {
  /** Says what the document is in error messages ("request 12 (ExportItems)"). */
  label: string;
  xml: string;
}

export interface SchemaViolation {
  label: string;
  errors: string[];
  /** The start of the document, to see what was wrong with it. */
  excerpt: string;
}

/** Validates SOAP envelopes against the EWS schemas in one xmllint run; resolves with the documents that fail. */
export async function validateEnvelopes(documents: readonly EnvelopeToCheck[]): Promise<SchemaViolation[]> {
  if (documents.length === 0) return [];
  const { schema, preload } = schemaFiles();
  const names = documents.map((_, i) => `doc${i}.xml`);
  const totalBytes = documents.reduce((sum, doc) => sum + doc.xml.length, 0);
  const result = await validateXML({
    xml: documents.map((doc, i) => ({ fileName: names[i], contents: doc.xml })),
    schema,
    preload,
    // 64 KiB pages: room for the compiled schemas plus the documents (base64 blobs can be megabytes).
    initialMemoryPages: 1024,
    maxMemoryPages: Math.min(65536, 2048 + Math.ceil((totalBytes * 4) / 65536)),
  });
  if (result.valid) return [];
  const byFile = new Map<string, string[]>();
  for (const error of result.errors) {
    const file = error.loc?.fileName ?? /^(doc\d+\.xml)/.exec(error.rawMessage)?.[1];
    if (!file) {
      byFile.set('?', [...(byFile.get('?') ?? []), error.rawMessage]);
      continue;
    }
    if (/fails to validate$/.test(error.rawMessage)) {
      if (!byFile.has(file)) byFile.set(file, []);
      continue;
    }
    byFile.set(file, [...(byFile.get(file) ?? []), error.message]);
  }
  const violations: SchemaViolation[] = [];
  for (const [file, errors] of byFile) {
    const index = names.indexOf(file);
    const doc = documents[index];
    violations.push({ label: doc?.label ?? file, errors: errors.length > 0 ? errors : ['fails to validate'], excerpt: (doc?.xml ?? '').slice(0, 600) });
  }
  return violations;
}

/**
 * Queues envelopes and validates them in batches in the background (when `batchSize` documents or `batchBytes`
 * are waiting, or `delayMs` after the first one), one xmllint run at a time. `drain()` waits until everything
 * queued so far has been checked and returns every violation found since the start.
 */
export class BatchedValidator {
  private queue: EnvelopeToCheck[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  readonly violations: SchemaViolation[] = [];
  /** Documents checked so far. */
  checked = 0;

  constructor(private readonly options: { batchSize?: number; batchBytes?: number; delayMs?: number; onViolation?: (violation: SchemaViolation) => void } = {}) {}

  add(document: EnvelopeToCheck): void {
    this.queue.push(document);
    this.queuedBytes += document.xml.length;
    if (this.queue.length >= (this.options.batchSize ?? 200) || this.queuedBytes >= (this.options.batchBytes ?? 16 * 1024 * 1024)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.delayMs ?? 250);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.running = this.running.then(async () => {
      let found: SchemaViolation[];
      try {
        found = await validateEnvelopes(batch);
      } catch (error) {
        found = [{ label: `${batch.length} documents`, errors: [`the validator failed: ${(error as Error).message}`], excerpt: '' }];
      }
      this.checked += batch.length;
      for (const violation of found) {
        this.violations.push(violation);
        this.options.onViolation?.(violation);
      }
    });
  }

  async drain(): Promise<SchemaViolation[]> {
    this.flush();
    await this.running;
    return [...this.violations];
  }
}
