/** XML text for EWS requests: namespaces, escaping, the SOAP envelope. Requests are plain template strings. */

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  errors: 'http://schemas.microsoft.com/exchange/services/2006/errors',
} as const;

/** What we ask the server to speak: every operation we use exists since Exchange 2010 SP1; OVH runs 2016/2019. */
export const REQUEST_SERVER_VERSION = 'Exchange2013_SP1';

// XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates (paired ones are fine) and U+FFFE/U+FFFF.
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text or attribute value, escaped; characters XML cannot carry at all are dropped. */
export function esc(value: string | number | boolean): string {
  return String(value)
    .replace(ILLEGAL, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** `<prefix:name attrs>children</prefix:name>`, or self-closed without children; undefined attributes are left out. */
export function el(name: string, attributes: Record<string, string | number | boolean | undefined> = {}, children = ''): string {
  let attrs = '';
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) attrs += ` ${key}="${esc(value)}"`;
  return children === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${children}</${name}>`;
}

/** An element with escaped text content (empty text still gives an element with no content). */
export function text(name: string, value: string | number | boolean): string {
  return `<${name}>${esc(value)}</${name}>`;
}

/** The whole SOAP 1.1 request: RequestServerVersion in the header, one operation element in the body. */
export function soapEnvelope(body: string, version: string = REQUEST_SERVER_VERSION): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:m="${NS.messages}" xmlns:t="${NS.types}">` +
    `<soap:Header><t:RequestServerVersion Version="${esc(version)}"/></soap:Header>` +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}
