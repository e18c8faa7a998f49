/**
 * Types for the parts of the `ovh` npm package (2.0.3, no bundled types) this project uses: the request
 * signature and the table of named endpoints. See ovh-client.ts for why requests go through our own transport.
 */
declare module 'ovh' {
  namespace createOvh {
  interface OvhParams {
    appKey: string;
    appSecret: string;
    consumerKey?: string | null;
    endpoint?: string;
    host?: string;
    port?: number;
    basePath?: string;
    timeout?: number;
    apiTimeDiff?: number | null;
    apis?: string[];
    warn?: (...args: unknown[]) => void;
    debug?: boolean | ((...args: unknown[]) => void);
  }

  interface OvhApi {
    readonly appKey: string;
    readonly host: string;
    readonly port: number;
    readonly basePath: string;
    consumerKey: string | null;
    apiTimeDiff: number | null;
    /** `$1$` + sha1(appSecret+consumerKey+METHOD+url+body+timestamp), hex. */
    signRequest(httpMethod: string, url: string, body: string | null | undefined, timestamp: number | string): string;
    request(
      httpMethod: string,
      path: string,
      params: Record<string, unknown> | undefined,
      callback: (error: unknown, result: unknown) => void,
    ): void;
    /** Rejects with `{ error: httpStatus, message }` on any non-200 answer. */
    requestPromised(httpMethod: string, path: string, params?: Record<string, unknown>): Promise<unknown>;
  }
  }

  function createOvh(params: createOvh.OvhParams): createOvh.OvhApi;
  export = createOvh;
}

declare module 'ovh/lib/endpoints.js' {
  const endpoints: Record<string, { host: string }>;
  export = endpoints;
}
