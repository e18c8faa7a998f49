/** Types for @ewsjs/ntlm-client 3.x (the package ships none): the three NTLM message helpers this layer uses. */
declare module '@ewsjs/ntlm-client' {
  export interface Type2Message {
    flags: number;
    encoding: 'ascii' | 'ucs2';
    version: 1 | 2;
    challenge: Buffer;
    targetName: string;
    targetInfo?: { parsed: Record<string, string>; buffer: Buffer };
  }
  /** `NTLM <base64>` of a Type 1 (negotiate) message. */
  export function createType1Message(workstation?: string, target?: string): string;
  /** Decodes the server's `WWW-Authenticate: NTLM <base64>` challenge. */
  export function decodeType2Message(header: string): Type2Message;
  /** `NTLM <base64>` of the Type 3 (authenticate) message answering the challenge (NTLMv2 when the server offers it). */
  export function createType3Message(type2: Type2Message, username: string, password: string, workstation?: string, target?: string): string;
}
