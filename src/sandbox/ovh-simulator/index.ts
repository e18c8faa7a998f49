export { OvhSimulator } from './server.js';
export { sandboxFixture, sampleMailbox, secondExchangeService, type SimulatorFixture } from './fixture.js';
export { signature } from './auth.js';
export { ovhSchemaIndex } from './schema.js';
export { implementedRoutes } from './routes/index.js';
export { QUOTA_UNIT_BYTES, USAGE_UNIT_BYTES, quotaGbToBytes, bytesToUsageKb } from './units.js';
