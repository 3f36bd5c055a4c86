// ajv_check.mjs — the reference side of the differential schema test.
//
// usage: node ajv_check.mjs AJV_PREFIX SCHEMA.json DOC.json...
// Validates each document with ajv (draft 2020-12, strict mode) installed
// under AJV_PREFIX (npm install --prefix AJV_PREFIX ajv@8) and prints
// "<path> valid" or "<path> invalid" per document, in argument order, the
// same lines tests/schema/schema_check.c prints for XIO's validator.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [prefix, schemaFile, ...files] = process.argv.slice(2);
if (!prefix || !schemaFile) {
  console.error('usage: node ajv_check.mjs AJV_PREFIX SCHEMA.json DOC.json...');
  process.exit(2);
}
const require = createRequire(path.resolve(prefix, 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;
// strict: an unknown keyword or a type-less type-specific keyword is an
// error here too, mirroring XIO's compile-time refusal.
const ajv = new Ajv2020({ strict: true, allErrors: true });
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
for (const f of files) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    console.log(`${f} unparsable`);
    continue;
  }
  const ok = validate(doc);
  console.log(`${f} ${ok ? 'valid' : 'invalid'}`);
  if (!ok && process.env.XIO_AJV_VERBOSE)
    console.error(`${f}: ${ajv.errorsText(validate.errors)}`);
}
