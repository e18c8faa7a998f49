import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

const contexts = new Map<string, SecureContext>();

/**
 * A TLS context trusting the system's roots and `ca` (a PEM certificate from IMAP_CA_FILE, OVH_CA_FILE...), built
 * once per CA and shared by every connection. Given `ca` instead, node builds a context for each connection and
 * parses the ~140 roots again: that was half the worker's CPU in bench:batch (a few ms per IMAP connection).
 */
export function trustingSystemRootsAnd(ca: string): SecureContext {
  let context = contexts.get(ca);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, ca] });
    contexts.set(ca, context);
  }
  return context;
}
