/** Types for js-md4 0.3 (the package ships none): the EWS test double needs MD4 for NTLM's NT hash. */
declare module 'js-md4' {
  interface Md4 {
    update(data: ArrayBuffer | Uint8Array | string): Md4;
    digest(): number[];
    arrayBuffer(): ArrayBuffer;
    hex(): string;
  }
  const md4: { create(): Md4; (data: ArrayBuffer | Uint8Array | string): string };
  export default md4;
}
