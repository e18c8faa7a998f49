import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The published OVH schemas, from the simulator's byte-for-byte copies (test/published-copies.test.ts). */
const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/sandbox/ovh-simulator/schemas');

export interface SchemaProperty {
  type: string;
  canBeNull?: boolean;
  readOnly?: boolean;
}
export interface SchemaFile {
  apis: Array<{ path: string; operations: Array<{ httpMethod: string; parameters: Array<{ name?: string; paramType: string; dataType: string; required: boolean }> }> }>;
  models: Record<string, { properties?: Record<string, SchemaProperty>; enum?: string[] }>;
}

const cache = new Map<string, SchemaFile>();
export function loadSchema(file: 'exchange' | 'pro' | 'mxplan' | 'domain'): SchemaFile {
  let schema = cache.get(file);
  if (!schema) {
    schema = JSON.parse(readFileSync(path.join(SCHEMA_DIR, `${file}.json`), 'utf8')) as SchemaFile;
    cache.set(file, schema);
  }
  return schema;
}
