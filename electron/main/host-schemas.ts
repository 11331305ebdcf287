/**
 * JSON Schemas of what the page may send over each channel (electron/preload/protocol.ts),
 * compiled with ajv on the Node side (no CSP there). Every object is closed (no unknown keys),
 * every string bounded, so a message is exactly what the preload builds or it is refused.
 */
import Ajv from 'ajv';
import type { JSONSchemaType } from 'ajv';
import type { CollectRequest } from '../../core/collect';
import type {
  DocumentState,
  ImageExportRequest,
  PushRequest,
  RecentDesign,
  RecoveryCopy,
  SaveDesignRequest,
} from '../../core/host';
import type { RehearseRequest } from '../../core/rehearse';
import type { BundleExportMessage } from '../preload/protocol';
import type { Validator } from './ipc';

/** The longest design text accepted, in characters: far above the 10,000-service benchmark. */
export const MAX_DESIGN_TEXT = 64 * 1024 * 1024;
/** The longest picture accepted as a `data:` URL. */
export const MAX_IMAGE_DATA_URL = 256 * 1024 * 1024;

const fileName = { type: 'string', minLength: 1, maxLength: 255 } as const;
const location = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const designText = { type: 'string', maxLength: MAX_DESIGN_TEXT } as const;

/** A design id (docs/design-file.md), as a host of `hosts` or of a confirmed key. */
const hostId = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } as const;
/** An OpenSSH `SHA256:` fingerprint: 32 bytes in base64 without padding. */
const fingerprint = { type: 'string', pattern: '^SHA256:[A-Za-z0-9+/]{43}$' } as const;
/** More hosts than any design the app can draw; a longer list is not from the dialog. */
export const MAX_PUSH_HOSTS = 10_000;
/** The longest target line: `user@` (32), a DNS name (253) or `[IPv6]`, and `:port`. */
const target = { type: 'string', minLength: 1, maxLength: 300 } as const;

const confirmedHostKeys = {
  type: 'array',
  maxItems: MAX_PUSH_HOSTS,
  nullable: true,
  items: {
    type: 'object',
    properties: { host: hostId, fingerprint },
    required: ['host', 'fingerprint'],
    additionalProperties: false,
  },
} as const;

/**
 * The schema of each request, typed with ajv's `JSONSchemaType`: a schema that drifts from its
 * TypeScript type (a field missing, renamed, of another type, optional on one side only) does not
 * compile. ajv marks an optional field `nullable`; {@link compileRequest} refuses the `null` that
 * would let in, since the types say "absent", never null.
 */
export const requestSchemas: {
  recentDesign: JSONSchemaType<RecentDesign>;
  saveDesign: JSONSchemaType<SaveDesignRequest>;
  exportBundle: JSONSchemaType<BundleExportMessage>;
  exportImage: JSONSchemaType<ImageExportRequest>;
  documentState: JSONSchemaType<DocumentState>;
  recoveryCopy: JSONSchemaType<RecoveryCopy>;
  pushRequest: JSONSchemaType<PushRequest>;
  collectRequest: JSONSchemaType<CollectRequest>;
  rehearseRequest: JSONSchemaType<RehearseRequest>;
} = {
  recentDesign: {
    type: 'object',
    properties: { fileName, location, usedAt: { type: 'string', maxLength: 64 } },
    required: ['fileName', 'location', 'usedAt'],
    additionalProperties: false,
  },
  saveDesign: {
    type: 'object',
    properties: { fileName, text: designText, location: { ...location, nullable: true } },
    required: ['fileName', 'text'],
    additionalProperties: false,
  },
  exportBundle: {
    type: 'object',
    properties: {
      name: fileName,
      designText,
      format: { type: 'string', enum: ['bundle', 'ansible'], nullable: true },
    },
    required: ['name', 'designText'],
    additionalProperties: false,
  },
  exportImage: {
    type: 'object',
    properties: {
      fileName,
      format: { type: 'string', enum: ['png', 'svg'] },
      dataUrl: {
        type: 'string',
        maxLength: MAX_IMAGE_DATA_URL,
        pattern: '^data:image/(?:png|svg\\+xml)[;,]',
      },
    },
    required: ['fileName', 'format', 'dataUrl'],
    additionalProperties: false,
  },
  documentState: {
    type: 'object',
    properties: { fileName, location: { ...location, nullable: true }, dirty: { type: 'boolean' } },
    required: ['fileName', 'dirty'],
    additionalProperties: false,
  },
  recoveryCopy: {
    type: 'object',
    properties: { fileName, location: { ...location, nullable: true }, text: designText },
    required: ['fileName', 'text'],
    additionalProperties: false,
  },
  pushRequest: {
    type: 'object',
    properties: {
      designText,
      hosts: { type: 'array', items: hostId, maxItems: MAX_PUSH_HOSTS, uniqueItems: true, nullable: true },
      confirmedHostKeys,
      labCertificates: { type: 'boolean', nullable: true },
    },
    required: ['designText'],
    additionalProperties: false,
  },
  collectRequest: {
    type: 'object',
    properties: {
      targets: { type: 'array', items: target, minItems: 1, maxItems: MAX_PUSH_HOSTS },
      confirmedHostKeys,
    },
    required: ['targets'],
    additionalProperties: false,
  },
  rehearseRequest: {
    type: 'object',
    properties: {
      designText,
      fail: { type: 'array', items: hostId, maxItems: MAX_PUSH_HOSTS, uniqueItems: true, nullable: true },
      partition: {
        type: 'array',
        maxItems: MAX_PUSH_HOSTS,
        nullable: true,
        items: { type: 'array', items: hostId, minItems: 1, maxItems: MAX_PUSH_HOSTS },
      },
    },
    required: ['designText'],
    additionalProperties: false,
  },
};

const ajv = new Ajv({ allErrors: false, strict: true });

/** The validator of a request schema; a field that is `null` is refused, as its type allows none. */
function compileRequest<T>(schema: JSONSchemaType<T>): Validator<T> {
  const validate = ajv.compile<T>(schema);
  const check = ((value: unknown): value is T => {
    if (!validate(value)) {
      check.errors = validate.errors;
      return false;
    }
    const nullField = Object.entries(value as object).find(([, field]) => field === null)?.[0];
    check.errors =
      nullField === undefined ? null : [{ instancePath: `/${nullField}`, message: 'must not be null' }];
    return nullField === undefined;
  }) as Validator<T>;
  return check;
}

/** The validators of the requests, one per channel that takes one. */
export const requestValidators = {
  recentDesign: compileRequest(requestSchemas.recentDesign),
  saveDesign: compileRequest(requestSchemas.saveDesign),
  exportBundle: compileRequest(requestSchemas.exportBundle),
  exportImage: compileRequest(requestSchemas.exportImage),
  documentState: compileRequest(requestSchemas.documentState),
  recoveryCopy: compileRequest(requestSchemas.recoveryCopy),
  pushRequest: compileRequest(requestSchemas.pushRequest),
  collectRequest: compileRequest(requestSchemas.collectRequest),
  rehearseRequest: compileRequest(requestSchemas.rehearseRequest),
};
