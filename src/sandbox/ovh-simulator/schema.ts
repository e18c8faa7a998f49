import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The OVH API 1.0 schemas ("swagger 1.2-like": `apis[].operations[]`, `models{}`) the simulator answers from,
 * and a router over their (method, path template) pairs. The four e-mail files are verbatim copies of
 * `shared/ovh-api-schemas/`; `auth.json` is a hand-written subset (GET /auth/time, POST /auth/credential).
 */

export interface SchemaParameter {
  name?: string;
  dataType: string;
  paramType: 'path' | 'query' | 'body';
  required: boolean;
  description?: string;
}

export interface SchemaOperation {
  httpMethod: string;
  parameters: SchemaParameter[];
  responseType: string;
  noAuthentication?: boolean;
  description?: string;
  apiStatus?: { value: string };
}

export interface SchemaProperty {
  type: string;
  fullType?: string;
  canBeNull?: boolean;
  readOnly?: boolean;
  required?: boolean;
  description?: string;
}

export interface SchemaModel {
  id: string;
  namespace?: string;
  description?: string;
  enum?: string[];
  enumType?: string;
  properties?: Record<string, SchemaProperty>;
  generics?: string[];
}

export interface SchemaRoute {
  /** Path template without the base path, e.g. `/email/pro/{service}/account/{email}`. */
  path: string;
  /** Which schema file declares it: exchange, pro, mxplan, domain, auth. */
  file: string;
  operations: Map<string, SchemaOperation>;
}

export type RouteMatch =
  | { kind: 'found'; route: SchemaRoute; operation: SchemaOperation; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; route: SchemaRoute; allowed: string[] }
  | { kind: 'notFound' };

const SCHEMA_FILES = ['exchange', 'pro', 'mxplan', 'domain', 'auth'] as const;

interface Node {
  literal: Map<string, Node>;
  param?: { name: string; node: Node };
  route?: SchemaRoute;
}

export class SchemaIndex {
  readonly routes: SchemaRoute[] = [];
  readonly models = new Map<string, SchemaModel>();
  private readonly root: Node = { literal: new Map() };

  constructor(files: { name: string; json: { apis: { path: string; operations: SchemaOperation[] }[]; models?: Record<string, SchemaModel> } }[]) {
    for (const { name, json } of files) {
      for (const [id, model] of Object.entries(json.models ?? {})) if (!this.models.has(id)) this.models.set(id, model);
      for (const api of json.apis) {
        const route: SchemaRoute = { path: api.path, file: name, operations: new Map() };
        for (const op of api.operations) route.operations.set(op.httpMethod.toUpperCase(), op);
        this.insert(route);
        this.routes.push(route);
      }
    }
  }

  private insert(route: SchemaRoute): void {
    let node = this.root;
    for (const segment of route.path.split('/').filter(Boolean)) {
      const param = /^\{(.+)\}$/.exec(segment);
      if (param) {
        if (!node.param) node.param = { name: param[1], node: { literal: new Map() } };
        else if (node.param.name !== param[1]) throw new Error(`ambiguous parameter names at ${route.path}`);
        node = node.param.node;
      } else {
        let next = node.literal.get(segment);
        if (!next) node.literal.set(segment, (next = { literal: new Map() }));
        node = next;
      }
    }
    if (node.route) {
      for (const [method, op] of route.operations) node.route.operations.set(method, op);
    } else node.route = route;
  }

  /** Segments are already percent-decoded. Literal segments win over parameters, with backtracking. */
  match(method: string, segments: string[]): RouteMatch {
    const found = this.walk(this.root, segments, 0, {});
    if (!found) return { kind: 'notFound' };
    const operation = found.route.operations.get(method.toUpperCase());
    if (!operation) return { kind: 'methodNotAllowed', route: found.route, allowed: [...found.route.operations.keys()] };
    return { kind: 'found', route: found.route, operation, params: found.params };
  }

  private walk(node: Node, segments: string[], i: number, params: Record<string, string>): { route: SchemaRoute; params: Record<string, string> } | undefined {
    if (i === segments.length) return node.route ? { route: node.route, params } : undefined;
    const segment = segments[i];
    const literal = node.literal.get(segment);
    if (literal) {
      const found = this.walk(literal, segments, i + 1, params);
      if (found) return found;
    }
    if (node.param && segment !== '') {
      return this.walk(node.param.node, segments, i + 1, { ...params, [node.param.name]: segment });
    }
    return undefined;
  }

  /** True when (method, template path) is declared by a schema file. */
  has(method: string, path: string): boolean {
    return this.routes.some((r) => r.path === path && r.operations.has(method.toUpperCase()));
  }

  model(id: string): SchemaModel | undefined {
    return this.models.get(id);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
let cached: SchemaIndex | undefined;

/** The schema files shipped with the simulator, loaded once per process. */
export function ovhSchemaIndex(): SchemaIndex {
  if (!cached) {
    cached = new SchemaIndex(
      SCHEMA_FILES.map((name) => ({ name, json: JSON.parse(readFileSync(join(here, 'schemas', `${name}.json`), 'utf8')) })),
    );
  }
  return cached;
}
