/**
 * OVH API error bodies. Two shapes exist in the wild (reference §8):
 *   - business errors: `{"class":"Client::NotFound","message":"..."}`
 *   - authentication errors: `{"errorCode":"INVALID_SIGNATURE","httpCode":"400 Bad Request","message":"..."}`
 * Handlers throw OvhApiError; the server turns it into the response (status, body, extra headers).
 */
export class OvhApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message ?? `HTTP ${status}`));
    this.name = 'OvhApiError';
  }

  get errorCode(): string | undefined {
    return typeof this.body.errorCode === 'string' ? this.body.errorCode : typeof this.body.class === 'string' ? this.body.class : undefined;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

function httpCode(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Error'}`;
}

/** `{"class": ..., "message": ...}` */
export function classError(status: number, klass: string, message: string): OvhApiError {
  return new OvhApiError(status, { class: klass, message });
}

/** `{"errorCode": ..., "httpCode": ..., "message": ...}` (authentication layer). */
export function authError(status: number, errorCode: string, message: string): OvhApiError {
  return new OvhApiError(status, { errorCode, httpCode: httpCode(status), message });
}

export const badRequest = (message: string) => classError(400, 'Client::BadRequest', message);
export const notFound = (message: string) => classError(404, 'Client::NotFound', message);
export const forbidden = (message: string) => classError(403, 'Client::Forbidden', message);
export const conflict = (message: string) => classError(409, 'Client::Conflict::AlreadyExists', message);
export const notImplemented = (message: string) => classError(501, 'Server::NotImplemented', message);

export function objectNotFound(what: Record<string, string>): OvhApiError {
  const detail = Object.entries(what)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  return notFound(`The requested object (${detail}) does not exist`);
}
