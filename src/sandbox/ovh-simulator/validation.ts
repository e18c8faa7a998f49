import { badRequest } from './errors.js';
import type { SchemaIndex, SchemaOperation } from './schema.js';

/**
 * Parameter validation against the schema's `dataType`s, and response shaping against its models.
 *
 * Rules (as strict as OVH, sometimes stricter where the public sources say nothing — see the report):
 *   - path and query values arrive as text and are coerced (long, double, boolean, enums, date/datetime);
 *   - body values must already have the JSON type (no "12" for a long);
 *   - required parameters must be present and non-null; unknown body fields and unknown query parameters are
 *     refused; body objects of a model type may only hold that model's properties;
 *   - errors are 400 `{"class":"Client::BadRequest","message":"[field] ..."}`.
 */

const STRINGISH = new Set(['string', 'password', 'text', 'phoneNumber', 'ip', 'ipv4', 'ipv6', 'ipBlock', 'ipv4Block', 'ipv6Block', 'uuid', 'time', 'duration', 'T']);
const INTEGER = new Set(['long', 'int', 'short']);

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function typeName(dataType: string): string {
  return dataType.split('.').pop() ?? dataType;
}

export class Validator {
  constructor(private readonly index: SchemaIndex) {}

  /** Validates and coerces one value. `fromText`: it came from the path or the query string. */
  value(dataType: string, value: unknown, field: string, fromText: boolean): unknown {
    if (dataType.endsWith('[]')) {
      const inner = dataType.slice(0, -2);
      if (fromText) {
        const items = Array.isArray(value) ? value : String(value).split(',');
        return items.map((item, i) => this.value(inner, item, `${field}[${i}]`, true));
      }
      if (!Array.isArray(value)) throw badRequest(`[${field}] Given data (${show(value)}) is not an array of ${typeName(inner)}`);
      return value.map((item, i) => this.value(inner, item, `${field}[${i}]`, false));
    }
    if (fromText && Array.isArray(value)) throw badRequest(`[${field}] Given more than one value`);
    if (dataType.startsWith('map[')) {
      if (fromText) return value;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw badRequest(`[${field}] Given data (${show(value)}) is not a valid map`);
      }
      return value;
    }
    if (STRINGISH.has(dataType)) {
      if (typeof value !== 'string') throw badRequest(`[${field}] Given data (${show(value)}) is not valid for type ${dataType}`);
      return value;
    }
    if (INTEGER.has(dataType) || dataType === 'double' || dataType === 'float') {
      const integer = INTEGER.has(dataType);
      let n: number;
      if (fromText) {
        const text = String(value);
        const ok = integer ? /^-?\d+$/.test(text) : /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text);
        n = ok ? Number(text) : NaN;
      } else n = typeof value === 'number' ? value : NaN;
      if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
        throw badRequest(`[${field}] Given data (${show(value)}) is not valid for type ${dataType}`);
      }
      return n;
    }
    if (dataType === 'boolean') {
      if (fromText) {
        if (value === 'true') return true;
        if (value === 'false') return false;
      } else if (typeof value === 'boolean') return value;
      throw badRequest(`[${field}] Given data (${show(value)}) is not valid for type boolean`);
    }
    if (dataType === 'datetime' || dataType === 'date') {
      const pattern = dataType === 'date' ? /^\d{4}-\d{2}-\d{2}$/ : /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
      if (typeof value !== 'string' || !pattern.test(value) || Number.isNaN(Date.parse(value))) {
        throw badRequest(`[${field}] Given data (${show(value)}) is not valid for type ${dataType}`);
      }
      return value;
    }
    const model = this.index.model(dataType);
    if (!model) return value; // a type the schemas do not describe: accept as is
    if (model.enum) {
      if (typeof value !== 'string' || !model.enum.includes(value)) {
        throw badRequest(`[${field}] Given data (${show(value)}) does not belong to the ${model.id} enumeration`);
      }
      return value;
    }
    if (fromText) throw badRequest(`[${field}] Given data (${show(value)}) is not valid for type ${typeName(dataType)}`);
    return this.object(dataType, value, field);
  }

  /** A JSON object of a model type: only the model's properties, each of its type; null where allowed. */
  object(modelId: string, value: unknown, field: string | undefined): Record<string, unknown> {
    const model = this.index.model(modelId);
    const where = (name: string) => (field ? `${field}.${name}` : name);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badRequest(`[${field ?? 'body'}] Given data (${show(value)}) is not an object of type ${typeName(modelId)}`);
    }
    const properties = model?.properties ?? {};
    const out: Record<string, unknown> = {};
    for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
      const property = properties[name];
      if (!property) throw badRequest(`[${where(name)}] Unknown property: not in ${modelId}`);
      if (raw === null) {
        if (property.canBeNull === false) throw badRequest(`[${where(name)}] Property cannot be null`);
        out[name] = null;
        continue;
      }
      out[name] = this.value(property.fullType ?? property.type, raw, where(name), false);
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !property.readOnly && (value as Record<string, unknown>)[name] === undefined) {
        throw badRequest(`[${where(name)}] Property is mandatory`);
      }
    }
    return out;
  }

  /**
   * Validates an operation's parameters. `path` and `query` are decoded text; `body` the parsed JSON (or
   * undefined when the request had none). Returns the coerced values.
   */
  operation(
    op: SchemaOperation,
    path: Record<string, string>,
    query: Record<string, string | string[]>,
    body: unknown,
  ): { path: Record<string, unknown>; query: Record<string, unknown>; body: Record<string, unknown> } {
    const out = { path: {} as Record<string, unknown>, query: {} as Record<string, unknown>, body: {} as Record<string, unknown> };
    const queryParams = op.parameters.filter((p) => p.paramType === 'query');
    for (const p of op.parameters.filter((p) => p.paramType === 'path')) {
      const name = p.name ?? '';
      const raw = path[name];
      if (raw === undefined || raw === '') throw badRequest(`[${name}] Property is mandatory`);
      out.path[name] = this.value(p.dataType, raw, name, true);
    }
    for (const name of Object.keys(query)) {
      if (!queryParams.some((p) => p.name === name)) throw badRequest(`[${name}] Unknown parameter: not accepted by this call`);
    }
    for (const p of queryParams) {
      const name = p.name ?? '';
      const raw = query[name];
      if (raw === undefined || raw === '') {
        if (p.required) throw badRequest(`[${name}] Property is mandatory`);
        continue;
      }
      out.query[name] = this.value(p.dataType, raw, name, true);
    }
    const bodyParams = op.parameters.filter((p) => p.paramType === 'body');
    const whole = bodyParams.find((p) => !p.name);
    if (whole) {
      if (body === undefined || body === null) {
        if (whole.required) throw badRequest('[body] Property is mandatory');
        return out;
      }
      out.body = this.object(whole.dataType, body, undefined);
      return out;
    }
    if (body === undefined || body === null) body = {};
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest(`[body] Given data (${show(body)}) is not an object`);
    const given = body as Record<string, unknown>;
    for (const name of Object.keys(given)) {
      if (!bodyParams.some((p) => p.name === name)) throw badRequest(`[${name}] Unknown parameter: not accepted by this call`);
    }
    for (const p of bodyParams) {
      const name = p.name ?? '';
      const raw = given[name];
      if (raw === undefined || raw === null) {
        if (p.required) throw badRequest(`[${name}] Property is mandatory`);
        continue;
      }
      out.body[name] = this.value(p.dataType, raw, name, false);
    }
    return out;
  }

  /**
   * Shapes a handler's result as the schema's response type: every model property present (null when the
   * handler has no value), nothing else; Dates become ISO strings.
   */
  shape(type: string, value: unknown): unknown {
    if (value === undefined || value === null) return null;
    if (type === 'void') return null;
    if (type.endsWith('[]')) return Array.isArray(value) ? value.map((v) => this.shape(type.slice(0, -2), v)) : value;
    if (value instanceof Date) return value.toISOString();
    const model = this.index.model(type);
    if (!model?.properties || typeof value !== 'object') return value;
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(model.properties)) {
      const v = source[name];
      out[name] = v === undefined ? null : this.shape(property.fullType ?? property.type, v);
    }
    return out;
  }

  /** Problems of a response against its declared type (for tests): missing/extra properties, wrong types. */
  checkResponse(type: string, value: unknown, field = '$'): string[] {
    if (type === 'void') return value === null ? [] : [`${field}: expected null for void`];
    if (value === null) return [];
    if (type.endsWith('[]')) {
      if (!Array.isArray(value)) return [`${field}: expected an array`];
      return value.flatMap((v, i) => this.checkResponse(type.slice(0, -2), v, `${field}[${i}]`));
    }
    const model = this.index.model(type);
    if (model?.properties) {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${field}: expected an object`];
      const problems: string[] = [];
      const given = value as Record<string, unknown>;
      for (const key of Object.keys(given)) if (!model.properties[key]) problems.push(`${field}.${key}: not in ${type}`);
      for (const [name, property] of Object.entries(model.properties)) {
        if (!(name in given)) problems.push(`${field}.${name}: missing`);
        else if (given[name] === null) {
          if (property.canBeNull === false) problems.push(`${field}.${name}: null but not nullable`);
        } else problems.push(...this.checkResponse(property.fullType ?? property.type, given[name], `${field}.${name}`));
      }
      return problems;
    }
    try {
      this.value(type, value, field, false);
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  }
}
