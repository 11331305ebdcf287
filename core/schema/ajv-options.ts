/** Ajv options of the design validator, shared by the build and the tests that compile it live. */
export const AJV_OPTIONS = {
  allErrors: true,
  discriminator: true,
  strict: true,
  strictRequired: false,
  verbose: true,
  unicodeRegExp: true,
} as const;
