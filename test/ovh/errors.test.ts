import { describe, expect, it } from 'vitest';
import {
  mapOvhError,
  OvhBadRequest,
  OvhConflict,
  OvhForbidden,
  OvhNotFound,
  OvhRateLimited,
  OvhServerError,
  OvhTaskFailed,
  OvhTimeout,
  OvhUnexpected,
  OvhWaitTimeout,
} from '../../src/ovh/errors.js';
import { parseRetryAfter } from '../../src/ovh/ovh-client.js';

const base = { method: 'GET', path: '/email/pro/svc/account/a%40b.ovh', queryId: 'EU.ext-1.abc' };

describe('mapOvhError', () => {
  it('maps statuses to typed errors carrying status, errorCode, message and query id', () => {
    const notFound = mapOvhError({ ...base, status: 404, body: { class: 'Client::NotFound', message: 'The requested object does not exist' } });
    expect(notFound).toBeInstanceOf(OvhNotFound);
    expect(notFound).toMatchObject({ status: 404, errorClass: 'Client::NotFound', queryId: 'EU.ext-1.abc', message: 'The requested object does not exist' });
    expect(notFound.nextStep).toMatch(/exists in this OVH account/);

    const forbidden = mapOvhError({ ...base, status: 403, body: { errorCode: 'NOT_GRANTED_CALL', httpCode: '403 Forbidden', message: 'This call has not been granted' } });
    expect(forbidden).toBeInstanceOf(OvhForbidden);
    expect(forbidden.errorCode).toBe('NOT_GRANTED_CALL');
    // a call of the route table: the rule it needs, and what to do
    expect((forbidden as OvhForbidden).missingRule).toEqual({ method: 'GET', path: '/email/pro/*/account/*' });
    expect(forbidden.nextStep).toMatch(/lacks the access rule GET \/email\/pro\/\*\/account\/\*/);
    expect(forbidden.nextStep).toMatch(/run migrate-mailbox ovh-login again/);
    // a call outside the table: the path as sent
    const outside = mapOvhError({ ...base, path: '/email/pro/svc/nothing', status: 403, body: { errorCode: 'NOT_GRANTED_CALL', message: 'This call has not been granted' } }) as OvhForbidden;
    expect(outside.missingRule).toBeUndefined();
    expect(outside.nextStep).toMatch(/check OVH_CONSUMER_KEY has access to GET \/email\/pro\/svc\/nothing/);
    expect(outside.nextStep).toMatch(/migrate-mailbox ovh-login/);

    expect(mapOvhError({ ...base, status: 403, body: { errorCode: 'INVALID_CREDENTIAL', message: 'This credential is not valid' } }).nextStep).toMatch(/OVH_CONSUMER_KEY is unknown/);
    expect(mapOvhError({ ...base, status: 403, body: { errorCode: 'INVALID_KEY', message: 'x' } }).nextStep).toMatch(/OVH_APP_KEY/);
    const signature = mapOvhError({ ...base, status: 400, body: { errorCode: 'INVALID_SIGNATURE', message: 'Invalid signature' } });
    expect(signature).toBeInstanceOf(OvhBadRequest);
    expect(signature.nextStep).toMatch(/OVH_APP_SECRET/);
    expect(mapOvhError({ ...base, status: 400, body: { errorCode: 'INVALID_CREDENTIAL', message: 'x' } })).toBeInstanceOf(OvhForbidden);
    expect(mapOvhError({ ...base, status: 409, body: { message: 'exists' } })).toBeInstanceOf(OvhConflict);
    expect(mapOvhError({ ...base, status: 500, body: null })).toBeInstanceOf(OvhServerError);
    expect(mapOvhError({ ...base, status: 503, body: 'oops' }).message).toBe('oops');
    expect(mapOvhError({ ...base, status: 460, body: { message: 'expired' } })).toBeInstanceOf(OvhUnexpected);
    const limited = mapOvhError({ ...base, status: 429, body: { message: 'slow down' }, retryAfterMs: 3000 });
    expect(limited).toBeInstanceOf(OvhRateLimited);
    expect(limited.retryAfterMs).toBe(3000);
    expect(limited.nextStep).toMatch(/asked to wait 3 s/);
    expect(limited.retryable).toBe(true);
    expect(notFound.retryable).toBe(false);
  });

  it('says by its type whether a retry may help: 429, 5xx and no answer yes, 4xx refusals no', () => {
    const verdict = (status: number) => mapOvhError({ ...base, status, body: { message: 'x' } }).retryable;
    expect(Object.fromEntries([400, 401, 403, 404, 409, 460, 429, 500, 502, 503].map((status) => [status, verdict(status)]))).toEqual({
      400: false,
      401: false,
      403: false,
      404: false,
      409: false,
      460: false,
      429: true,
      500: true,
      502: true,
      503: true,
    });
    expect(new OvhTimeout({ ...base, status: 0, message: 'no answer within 30000 ms' }).retryable).toBe(true);
    // A 503 may say when to come back too.
    expect(mapOvhError({ ...base, status: 503, body: null, retryAfterMs: 2000 }).retryAfterMs).toBe(2000);
    expect(JSON.parse(JSON.stringify(mapOvhError({ ...base, status: 429, body: null, retryAfterMs: 5000 })))).toMatchObject({ retryable: true, retryAfterMs: 5000 });
  });

  it('describes itself in one line for humans and serialises for logs', () => {
    const error = mapOvhError({ ...base, status: 404, body: { class: 'Client::NotFound', message: 'gone' } });
    expect(error.describe()).toBe(`OVH GET ${base.path}: 404 Client::NotFound: gone [X-OVH-QUERYID EU.ext-1.abc]. ${error.nextStep}`);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ name: 'OvhNotFound', status: 404, queryId: 'EU.ext-1.abc' });
  });

  it('task and wait errors name what they waited for', () => {
    expect(new OvhTaskFailed(42, 'addAlias', 'error', 'svc').message).toBe('OVH task 42 (addAlias) on svc ended with status error');
    expect(new OvhWaitTimeout('OVH task 7 (changePassword)', 61_000, 'status doing').message).toBe(
      'timed out after 61 s waiting for OVH task 7 (changePassword) (last seen: status doing)',
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5);
  });
});
