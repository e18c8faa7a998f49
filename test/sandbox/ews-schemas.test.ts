import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixedTypesXsd, validateEnvelopes } from '../../src/sandbox/ews/schema.js';
import { soapEnvelope } from '../../src/ews/xml.js';

const here = dirname(fileURLToPath(import.meta.url));
const copies = resolve(here, '../../src/sandbox/ews/schemas');

// The double ships copies of the published schemas so that `sandbox` works from a clone on its own; that they are
// the published ones byte for byte is checked by test/published-copies.test.ts (the libxml2 fixes are applied in
// memory only).
describe('the EWS schema copies', () => {
  it('get the two documented libxml2 fixes, and only those', () => {
    const original = readFileSync(resolve(copies, 'types.xsd'), 'utf8').replace(/^\uFEFF/, '');
    const fixed = fixedTypesXsd(original);
    expect(fixed).toContain('<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>');
    expect(fixed).toMatch(/<xs:complexType name="ArrayOfTransitionsType">\s*<xs:sequence><xs:element ref="t:Transition" maxOccurs="unbounded"\/><\/xs:sequence>/);
    expect(fixed.length - original.length).toBeLessThan(0); // three optional choices replaced by one element
    expect(() => fixedTypesXsd('<xs:schema/>')).toThrow(/no longer apply/);
  });
});

describe('validateEnvelopes', () => {
  const envelope = (body: string) => soapEnvelope(body);
  it('accepts valid EWS envelopes and names each invalid one with the reason', async () => {
    const violations = await validateEnvelopes([
      { label: 'good export', xml: envelope('<m:ExportItems><m:ItemIds><t:ItemId Id="AAMk1"/></m:ItemIds></m:ExportItems>') },
      { label: 'empty ItemIds', xml: envelope('<m:ExportItems><m:ItemIds/></m:ExportItems>') },
      { label: 'CreateAction Create', xml: envelope('<m:UploadItems><m:Items><t:Item CreateAction="Create"><t:ParentFolderId Id="F"/><t:Data>AAAA</t:Data></t:Item></m:Items></m:UploadItems>') },
      { label: 'no ParentFolderId', xml: envelope('<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:Data>AAAA</t:Data></t:Item></m:Items></m:UploadItems>') },
      { label: 'unknown operation', xml: envelope('<m:MigrateEverything/>') },
      { label: 'future version', xml: soapEnvelope('<m:GetInboxRules/>', 'Exchange2099') },
      { label: 'good OOF', xml: envelope('<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>a@b.c</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>') },
    ]);
    expect(violations.map((v) => v.label).sort()).toEqual(['CreateAction Create', 'empty ItemIds', 'future version', 'no ParentFolderId', 'unknown operation']);
    const create = violations.find((v) => v.label === 'CreateAction Create')!;
    expect(create.errors.join(' ')).toMatch(/CreateNew/);
  });
});
