/**
 * Schema fragments that the design schema and the manifest schema both use, defined once so that a
 * value means the same and fails with the same words in a design and in the bundle made from it.
 */
import { HOST_KEY_PATTERN, TOKEN_PATTERN } from './patterns';

/** A JSON Schema, or a fragment of one. */
export type Schema = Record<string, unknown>;

/** A name a daemon takes as one word: a replica set's `name`, a Sentinel group's `masterName`. */
export const TOKEN_SCHEMA: Schema = {
  type: 'string',
  pattern: TOKEN_PATTERN,
  'x-message': 'must be 1 to 64 letters, digits and . _ -',
};

/** A host key pinned for SSH, as OpenSSH prints its fingerprint. */
export const HOST_KEY_SCHEMA: Schema = {
  type: 'string',
  pattern: HOST_KEY_PATTERN,
  'x-message': 'must be an OpenSSH fingerprint "SHA256:" followed by 43 base64 characters',
};

/**
 * A closed object: no property but those listed. `description` says what it holds where the
 * inspector and the docs show it.
 */
export function closedObject(description: string, properties: Record<string, Schema>): Schema {
  return { type: 'object', additionalProperties: false, description, properties };
}

/** A closed object whose `required` properties must be there. */
export function closedRecord(required: readonly string[], properties: Record<string, Schema>): Schema {
  return { type: 'object', additionalProperties: false, required, properties };
}
