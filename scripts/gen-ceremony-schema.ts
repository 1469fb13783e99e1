// Writes docs/ceremony.schema.json from the schemas the ceremony validator checks with
// (electron/core/ceremony/validate.ts and each step kind's params). test/pure/ceremony-schema.test.ts
// fails when the committed file differs from what this prints.
// Usage: node --import tsx scripts/gen-ceremony-schema.ts        (npm run schema:ceremony)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_KINDS } from '../electron/core/ceremony/steps';
import { ceremonyJsonSchema } from '../electron/core/ceremony/validate';

export const CEREMONY_SCHEMA_FILE = join('docs', 'ceremony.schema.json');

export function ceremonySchemaText(): string {
  return JSON.stringify(ceremonyJsonSchema(BUILTIN_KINDS), null, 2) + '\n';
}

if (process.argv[1]?.endsWith('gen-ceremony-schema.ts')) {
  writeFileSync(CEREMONY_SCHEMA_FILE, ceremonySchemaText());
  console.log(`wrote ${CEREMONY_SCHEMA_FILE}`);
}
