import { generate } from 'selfsigned';

/** A self-signed certificate for a loopback test server (Dovecot TLS, the OVH API simulator). */
export async function selfSignedCertificate(host: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: host }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 3650 * 86_400_000),
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
