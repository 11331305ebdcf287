/**
 * The JSON Schema (draft 2020-12) of a bundle's `manifest.json`, format 1 (docs/bundle.md), as
 * push reads it before it connects anywhere. The build turns it into standalone validation code
 * (`scripts/build-schema.ts`), as for the design; `x-message` is the text a person reads when a
 * value fails (see design-schema.ts).
 *
 * What the schema cannot say (which commands, modes, owners and paths a file of a given kind may
 * have) is the daemon catalogue's part, core/daemons.ts.
 */
import { ID_PATTERN, INTERFACE_PATTERN, ONE_LINE_TEXT_PATTERN, TOKEN_PATTERN } from './patterns';
import { HOST_KEY_SCHEMA, closedRecord, type Schema } from './fragments';

/** A lowercase hex SHA-256. */
export const SHA256_PATTERN = '^[0-9a-f]{64}$';

/**
 * Permission bits push will set: three octal digits, or four with a leading 0. No setuid, setgid
 * or sticky bit, and nothing others may write: no generator produces one, and a manifest is data
 * anyone with the bundle folder can edit.
 */
export const FILE_MODE_PATTERN = '^0?[0-7]{2}[0145]$';

/** `user` or `user:group`, as chown(1) takes them. */
export const OWNER_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,31}(?::[A-Za-z_][A-Za-z0-9_.-]{0,31})?$';

/** A login name for SSH. */
export const SSH_USER_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$';

const id: Schema = {
  type: 'string',
  pattern: ID_PATTERN,
  'x-message': 'is not a design id: 1 to 63 lowercase letters, digits and "-", starting with a letter',
};

const sha256: Schema = {
  type: 'string',
  pattern: SHA256_PATTERN,
  'x-message': 'is not a hex SHA-256 (64 characters 0-9 a-f)',
};

const mode: Schema = {
  type: 'string',
  pattern: FILE_MODE_PATTERN,
  'x-message':
    'is not a mode push sets: octal bits like 0644, with no setuid, setgid or sticky bit and nothing writable by others',
};

/** One line of at most `maxLength` characters, none of them a control character. */
function oneLine(maxLength: number, message: string): Schema {
  return { type: 'string', minLength: 1, maxLength, pattern: ONE_LINE_TEXT_PATTERN, 'x-message': message };
}

const command = oneLine(4096, 'must be one line without control characters');

const owner: Schema = {
  type: 'string',
  pattern: OWNER_PATTERN,
  'x-message': 'is not an owner: user or user:group',
};

const userName: Schema = { type: 'string', pattern: SSH_USER_PATTERN, 'x-message': 'is not a user name' };

const host: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'address'],
  properties: {
    id,
    address: {
      type: 'string',
      minLength: 1,
      maxLength: 253,
      pattern: '^[^\\s\\u0000-\\u001f\\u007f]+$',
      'x-message': 'is not an address: no spaces or control characters',
    },
    ssh: {
      type: 'object',
      additionalProperties: false,
      properties: {
        user: userName,
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        root: { type: 'string', minLength: 1, maxLength: 4096 },
        sudo: { type: 'boolean' },
        hostKey: HOST_KEY_SCHEMA,
      },
    },
  },
};

const file: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'sha256', 'mode'],
  properties: {
    // Older manifests also listed the bundle's own files here, without a host.
    host: { anyOf: [id, { type: 'null' }] },
    path: { type: 'string', minLength: 1, maxLength: 4096 },
    sha256,
    mode,
    owner,
    check: command,
    reload: command,
    policy: { enum: ['replace', 'create-only'] },
  },
};

/**
 * The names of the secrets a secret file may hold (core/generate/secrets.ts, SECRETS; a test checks
 * the two lists agree). Listed here so the schema stays free of the generators.
 */
export const SECRET_NAMES = [
  'redis-app',
  'redis-admin',
  'redis-replica',
  'redis-sentinel',
  'sentinel-auth',
  'mongodb-keyfile',
  'haproxy-stats',
] as const;

/** A file a host needs that holds secrets: described, never with a value (docs/bundle.md). */
const secretFile: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'path', 'owner', 'mode', 'scope', 'service', 'secrets', 'render', 'reload'],
  properties: {
    host: id,
    path: { type: 'string', minLength: 1, maxLength: 4096 },
    owner,
    mode: { enum: ['0400', '0600'] },
    scope: id,
    service: id,
    secrets: { type: 'array', minItems: 1, items: { enum: [...SECRET_NAMES] } },
    render: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: {
          enum: ['redis-acl', 'redis-replication', 'sentinel-auth', 'mongodb-keyfile', 'haproxy-stats'],
        },
        open: { type: 'boolean' },
        replication: { type: 'boolean' },
        masterName: {
          anyOf: [{ type: 'null' }, { type: 'string', pattern: TOKEN_PATTERN }],
          'x-message': 'must be 1 to 64 letters, digits and . _ -',
        },
        group: { type: 'boolean' },
        clientAuth: { type: 'boolean' },
        variable: {
          type: 'string',
          pattern: '^[A-Z_][A-Z0-9_]{0,63}$',
          'x-message': 'is not an environment variable name',
        },
      },
    },
    reload: command,
  },
};

const path: Schema = { type: 'string', minLength: 1, maxLength: 4096, pattern: ONE_LINE_TEXT_PATTERN };

const text = oneLine(1000, 'must be one line of text without control characters');

/** A thing a host must have before its bundle works there (core/prerequisites.ts, docs/push.md). */
const prerequisite: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'kind'],
  properties: {
    host: id,
    kind: { enum: ['certificate', 'program', 'interface', 'sudo'] },
    path,
    key: path,
    commonName: text,
    service: { type: 'string', minLength: 1, maxLength: 300, pattern: ONE_LINE_TEXT_PATTERN },
    why: text,
    unit: { type: 'string', pattern: '^[A-Za-z0-9:_.@\\\\-]{1,256}$', 'x-message': 'is not a unit name' },
    user: userName,
    group: { type: 'string', pattern: SSH_USER_PATTERN, 'x-message': 'is not a group name' },
    provider: text,
    files: { type: 'array', items: path },
    name: { type: 'string', pattern: INTERFACE_PATTERN, 'x-message': 'is not an interface name' },
    named: { type: 'boolean' },
  },
};

/** A file of the bundle itself (the runbook, the README), with no host. */
const bundleFile = closedRecord(['path', 'sha256', 'mode'], {
  path: { type: 'string', minLength: 1, maxLength: 4096 },
  sha256,
  mode,
});

/** Hosts that push updates one at a time, in this order: a voting group's or an entrypoint's. */
const serialGroup = closedRecord(['id', 'kind', 'hosts'], {
  id,
  kind: { enum: ['group', 'entrypoint'] },
  hosts: { type: 'array', items: id },
});

/** The manifest schema. */
export const manifestSchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Topoforge bundle manifest, format 1',
  ...closedRecord(['format', 'design', 'hosts', 'files'], {
    format: { const: 1, 'x-message': 'must be 1: this is not a Topoforge manifest of format 1' },
    design: closedRecord(['name', 'sha256'], {
      name: oneLine(200, 'must be one line of text without control characters'),
      sha256,
    }),
    hosts: { type: 'array', items: host },
    files: { type: 'array', items: file },
    bundleFiles: { type: 'array', items: bundleFile },
    secrets: { type: 'array', items: secretFile },
    prerequisites: { type: 'array', items: prerequisite },
    serial: { type: 'array', items: serialGroup },
  }),
};
