import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { MODEL_SOURCES } from '../../src/ovh/models/index.js';
import { loadSchema } from './schema-helpers.js';

describe('zod models match the published schema models', () => {
  for (const source of MODEL_SOURCES) {
    it(`${source.file}.json ${source.model}`, () => {
      const model = loadSchema(source.file).models[source.model];
      expect(model?.properties, `${source.model} in ${source.file}.json`).toBeDefined();
      const shape = source.schema.shape as Record<string, z.ZodType>;
      for (const [field, zodField] of Object.entries(shape)) {
        const property = model!.properties![field];
        expect(property, `${source.model}.${field} exists`).toBeDefined();
        const acceptsNull = zodField.safeParse(null).success;
        expect(acceptsNull, `${source.model}.${field} nullable iff canBeNull`).toBe(Boolean(property!.canBeNull));
      }
    });
  }
});
