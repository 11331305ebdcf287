/**
 * The JSON Schema (draft 2020-12) of design format 1, docs/design-file.md.
 *
 * `x-message` is an annotation of ours: what a person reads when a value fails the keyword next
 * to it ("is not an IPv4 or IPv6 address or a DNS name"); the loader uses it instead of ajv's
 * generic text. The build turns this schema into standalone validation code
 * (`scripts/build-schema.ts`), so no schema is compiled at run time.
 */
import {
  GROUP_KINDS,
  LINK_KINDS,
  LISTEN_PROTOCOLS,
  SERVICE_KINDS,
  SERVICE_MODES,
  ENTRYPOINT_VIAS,
} from '../model';
import { REMOTE_ROOT_PATTERN } from '../bundle-path';
import { GROUP_DESCRIPTORS } from '../groups';
import type { ServiceKind } from '../model';
import {
  ABSOLUTE_PATH_PATTERN,
  ADDRESS_PATTERN,
  COMMAND_PATTERN,
  ENGINE_PATTERN,
  ID_PATTERN,
  INTERFACE_PATTERN,
  IP_PATTERN,
  MULTI_LINE_TEXT_PATTERN,
  ONE_LINE_TEXT_PATTERN,
  SERVER_NAME_PATTERN,
  STORAGE_ENDPOINT_PATTERN,
  URL_PATH_PATTERN,
  USER_PATTERN,
} from './patterns';
import { HOST_KEY_SCHEMA, TOKEN_SCHEMA, closedObject, type Schema } from './fragments';

const id = (description: string): Schema => ({
  type: 'string',
  pattern: ID_PATTERN,
  'x-message': 'is not a valid id: use 1 to 63 lowercase letters, digits and "-", starting with a letter',
  description,
});

/**
 * The lists of the design whose items have ids, in the order the loader checks them. A reference
 * names an item of some of them.
 */
export const ID_COLLECTIONS = ['sites', 'hosts', 'services', 'groups', 'entrypoints'] as const;
/** A list of the design whose items have ids. */
export type IdCollection = (typeof ID_COLLECTIONS)[number];

/**
 * An id that names another item: `x-references` lists the collections it may come from. This one
 * mark drives the loader's dangling-reference problems, the inspector's pickers and rename
 * (`./references.ts` reads it).
 */
const reference = (description: string, targets: readonly IdCollection[]): Schema => ({
  ...id(description),
  'x-references': targets,
});

const text = (maxLength: number, description: string): Schema => ({
  type: 'string',
  minLength: 1,
  maxLength,
  pattern: ONE_LINE_TEXT_PATTERN,
  'x-message': 'must be one line of text without control characters',
  description,
});

const port = (description: string): Schema => ({
  type: 'integer',
  minimum: 1,
  maximum: 65535,
  description,
});

const absolutePath = (description: string): Schema => ({
  type: 'string',
  pattern: ABSOLUTE_PATH_PATTERN,
  'x-message': 'must be an absolute path of letters, digits and . _ @ + - / without ".." segments',
  description,
});

const failureRate = (description: string): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: ['mtbfHours', 'mttrHours'],
  description,
  properties: {
    mtbfHours: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1e9,
      description: 'Mean time between failures, hours.',
    },
    mttrHours: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1e9,
      description: 'Mean time to repair, hours.',
    },
  },
});

const objectives = closedObject(
  'The resiliency policy: longest single-failure interruption and yearly availability.',
  {
    rtoSeconds: { type: 'number', minimum: 0, maximum: 31_536_000 },
    availability: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  },
);

const commonServiceProperties = {
  id: id('Unique id of the service.'),
  kind: { type: 'string', description: 'What the service is.' },
  host: reference('Host the service runs on; none for an external service.', ['hosts']),
  group: reference('Group the service belongs to.', ['groups']),
  label: text(200, 'Name shown on the canvas.'),
  mode: {
    enum: [...SERVICE_MODES],
    description: 'active; hot-standby takes over by itself; cold-standby waits for a person.',
  },
  port: port('Main listening port; each kind has a default.'),
  capacity: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 1_000_000,
    description: 'Work the service can carry, used by pools.',
  },
  availability: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 1,
    description: 'For a service with no host: the share of the time it is up (its SLA).',
  },
  manualRecoveryMinutes: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 525_600,
    description: 'For a cold standby: minutes a person takes to start it.',
  },
} satisfies Schema;

const command: Schema = {
  type: 'string',
  maxLength: 1024,
  pattern: COMMAND_PATTERN,
  'x-message':
    'must be an absolute program path followed by plain arguments (letters, digits and . _ @ + / = : , % -), one space apart',
  description: 'ExecStart of the generated systemd unit.',
};

const listen = {
  type: 'array',
  minItems: 1,
  maxItems: 64,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['port', 'protocol'],
    properties: {
      port: port('Listening port.'),
      protocol: { enum: [...LISTEN_PROTOCOLS], description: 'http, https or tcp.' },
    },
  },
  description: 'Ports the balancer listens on.',
} satisfies Schema;

const tls = {
  type: 'object',
  additionalProperties: false,
  required: ['cert', 'key'],
  properties: {
    cert: absolutePath('Certificate file on the host.'),
    key: absolutePath('Private key file on the host (a path, never the key itself).'),
  },
} satisfies Schema;

/**
 * `auth` and `authReason` of the kinds that authenticate by default (docs/design-file.md). Turning
 * authentication off takes a reason in words, which the rule `security.open-datastore` quotes.
 */
const authentication = (what: string): { auth: Schema; authReason: Schema } => ({
  auth: {
    type: 'boolean',
    default: true,
    description: `${what}; false lets anyone who reaches it in, and needs an authReason.`,
  },
  authReason: text(500, 'Why this service may let clients in without authentication.'),
});

const AUTH_REASON_REQUIRED: Schema = {
  if: { properties: { auth: { const: false } }, required: ['auth'] },
  then: {
    required: ['authReason'],
    'x-message':
      "auth: false needs an 'authReason': say in words why this service may let anyone who reaches it in",
  },
};

const kindProperties = {
  nginx: {
    properties: {
      listen,
      tls,
      serverName: {
        type: 'string',
        maxLength: 253,
        pattern: SERVER_NAME_PATTERN,
        'x-message': 'is not a DNS name (a leading "*." is allowed)',
      },
    },
  },
  haproxy: {
    authenticates: true,
    properties: {
      listen,
      tls,
      stats: {
        type: 'object',
        additionalProperties: false,
        required: ['port'],
        properties: {
          port: port('Port of the statistics page.'),
          expose: {
            type: 'boolean',
            description:
              "Serve it on the host's address too, behind a password; by default it binds to loopback only.",
          },
        },
      },
      ...authentication('The statistics page asks for a password when it is exposed'),
    },
  },
  app: {
    properties: {
      healthCheck: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: {
          path: {
            type: 'string',
            pattern: URL_PATH_PATTERN,
            'x-message':
              'must be an HTTP path starting with "/" without spaces, quotes, braces, ";", "$" or "#"',
          },
          port: port('Port of the health check, default the service port.'),
          intervalMs: { type: 'integer', minimum: 100, maximum: 3_600_000 },
        },
      },
      command,
      stateful: { type: 'boolean', description: 'Keeps local data that must be shared.' },
    },
  },
  capture: { properties: { delivery: { enum: ['failover', 'even'] }, command } },
  router: { properties: { command } },
  processing: { properties: { command } },
  reporting: { properties: { command } },
  mongodb: {
    authenticates: true,
    properties: {
      priority: { type: 'number', minimum: 0, maximum: 1000 },
      votes: { enum: [0, 1] },
      hidden: { type: 'boolean' },
      ...authentication('mongod requires authentication (keyFile, authorization)'),
    },
  },
  arbiter: {
    authenticates: true,
    properties: { command, ...authentication('The arbiter requires authentication') },
  },
  redis: {
    authenticates: true,
    properties: {
      primary: { type: 'boolean' },
      replicaPriority: {
        type: 'integer',
        minimum: 0,
        maximum: 1000,
        default: 100,
        description: 'Sentinel promotes the replica with the lowest; 0 means Sentinel never promotes it.',
      },
      ...authentication('Redis requires a password (ACL users)'),
    },
  },
  sentinel: {
    authenticates: true,
    properties: { command, ...authentication('Sentinel requires a password') },
  },
  storage: {
    required: ['type'],
    properties: {
      type: { enum: ['nfs', 's3'] },
      ha: { type: 'boolean', description: 'Externally highly available.' },
      endpoint: {
        type: 'string',
        maxLength: 512,
        pattern: STORAGE_ENDPOINT_PATTERN,
        'x-message': 'must be an NFS export "server:/path" or an s3:// or https:// URL',
      },
      mountPoint: absolutePath('Where NFS storage is mounted, default /mnt/<id>.'),
    },
  },
  database: {
    required: ['engine'],
    properties: {
      engine: {
        type: 'string',
        pattern: ENGINE_PATTERN,
        'x-message': 'must be a short name such as PostgreSQL or SQL Server',
      },
      ha: { type: 'boolean', description: 'Externally highly available.' },
    },
  },
} satisfies Record<ServiceKind, { properties: Schema; required?: string[]; authenticates?: true }>;

/** The schema of one service kind's own fields, with their keys as types for `./shape.ts`. */
export type KindProperties = typeof kindProperties;
/** The schema of the fields every service has. */
export type CommonServiceProperties = typeof commonServiceProperties;

const serviceBranches = SERVICE_KINDS.map((kind) => {
  const own: { properties: Schema; required?: string[]; authenticates?: true } = kindProperties[kind];
  return {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'kind', ...(own.required ?? [])],
    properties: { ...commonServiceProperties, ...own.properties, kind: { const: kind } },
    ...(own.authenticates ? AUTH_REASON_REQUIRED : {}),
  };
});

/** The fields every group has, whatever its kind. */
const COMMON_GROUP_FIELDS = ['id', 'kind', 'label'] as const;

/**
 * One branch per group kind: a field of another kind (a `quorum` on a `pool`) is refused at its
 * path, in words that name the kind and its fields. The fields of a kind are its descriptor's
 * (core/groups), so a kind's fields are listed once.
 */
const groupKindBranches = GROUP_KINDS.map((kind) => {
  const own = new Set<string>([...COMMON_GROUP_FIELDS, ...GROUP_DESCRIPTORS[kind].inspectorFields]);
  const others = [...new Set(GROUP_KINDS.flatMap((k) => GROUP_DESCRIPTORS[k].inspectorFields))].filter(
    (field) => !own.has(field),
  );
  const fields = [...own].filter((field) => field !== 'id' && field !== 'kind').join(', ');
  return {
    if: { properties: { kind: { const: kind } }, required: ['kind'] },
    then: {
      properties: Object.fromEntries(
        others.map((field) => [
          field,
          { not: {}, 'x-message': `is not a field of a ${kind} group; its fields are ${fields}` },
        ]),
      ),
    },
  };
});

/** The design schema, format 1. */
export const designSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://topoforge.dev/schema/design-1.json',
  title: 'Topoforge design',
  type: 'object',
  additionalProperties: false,
  required: ['format', 'name', 'hosts', 'services'],
  properties: {
    format: { const: 1, 'x-message': 'must be 1: this version of Topoforge reads design format 1' },
    name: text(200, 'Name of the design.'),
    description: {
      type: 'string',
      maxLength: 10_000,
      pattern: MULTI_LINE_TEXT_PATTERN,
      'x-message': 'must be text without control characters other than tabs and newlines',
    },
    sites: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: {
          id: id('Unique id of the site.'),
          label: text(200, 'Name of the site.'),
          reliability: failureRate('How often this site fails and how long it is out.'),
        },
      },
    },
    hosts: {
      type: 'array',
      maxItems: 100_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'address'],
        properties: {
          id: id('Unique id of the host.'),
          address: {
            type: 'string',
            maxLength: 253,
            pattern: ADDRESS_PATTERN,
            'x-message': 'is not an IPv4 or IPv6 address or a DNS name',
          },
          site: reference('Site the host is in.', ['sites']),
          label: text(200, 'Name of the host.'),
          interface: {
            type: 'string',
            pattern: INTERFACE_PATTERN,
            'x-message': 'is not a network interface name (1 to 15 letters, digits and . _ : -)',
          },
          ssh: {
            type: 'object',
            additionalProperties: false,
            properties: {
              user: {
                type: 'string',
                pattern: USER_PATTERN,
                'x-message': 'is not a user name (lowercase letters, digits, "_" and "-")',
              },
              port: port('SSH port, default 22.'),
              hostKey: HOST_KEY_SCHEMA,
              root: {
                type: 'string',
                maxLength: 255,
                pattern: REMOTE_ROOT_PATTERN,
                'x-message':
                  'must be "/" or a plain absolute path of letters, digits and . _ @ + -, without "//", "." or ".." segments or a "/" at the end (e.g. /srv/stage)',
                description: 'Path prefix on the remote, default /.',
              },
              sudo: { type: 'boolean' },
            },
          },
          reliability: failureRate('How often this host fails and how long it is out.'),
        },
      },
    },
    services: {
      type: 'array',
      maxItems: 100_000,
      items: {
        type: 'object',
        required: ['kind'],
        discriminator: { propertyName: 'kind' },
        oneOf: serviceBranches,
      },
    },
    groups: {
      type: 'array',
      maxItems: 100_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'kind'],
        properties: {
          id: id('Unique id of the group.'),
          kind: { enum: [...GROUP_KINDS] },
          label: text(200, 'Name of the group.'),
          name: TOKEN_SCHEMA,
          quorum: { type: 'integer', minimum: 0, maximum: 1000 },
          masterName: TOKEN_SCHEMA,
          downAfterMs: { type: 'integer', minimum: 100, maximum: 3_600_000 },
          failoverTimeoutMs: { type: 'integer', minimum: 1000, maximum: 86_400_000 },
          minReplicasToWrite: {
            type: 'integer',
            minimum: 0,
            maximum: 1000,
            default: 0,
            description:
              'redis-sentinel: a primary refuses writes with fewer replicas up (min-replicas-to-write).',
          },
          minReplicasMaxLagSeconds: {
            type: 'integer',
            minimum: 1,
            maximum: 86_400,
            default: 10,
            description:
              'redis-sentinel: a replica counts only while it acknowledged within this many seconds.',
          },
          electionTimeoutMs: {
            type: 'integer',
            minimum: 500,
            maximum: 3_600_000,
            default: 10_000,
            description: "mongodb-replica-set: MongoDB's settings.electionTimeoutMillis.",
          },
          failoverSeconds: {
            type: 'number',
            minimum: 0,
            maximum: 86_400,
            description: 'quorum: seconds the cluster takes to move its leader; no default is known.',
          },
          load: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000_000 },
        },
        allOf: groupKindBranches,
      },
    },
    links: {
      type: 'array',
      maxItems: 1_000_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: {
          from: reference('The service that needs the other.', ['services']),
          to: reference('The service or group it needs.', ['services', 'groups']),
          kind: { enum: [...LINK_KINDS] },
          port: port('Port the traffic goes to.'),
          backup: { type: 'boolean' },
        },
      },
    },
    entrypoints: {
      type: 'array',
      maxItems: 100_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'port', 'targets', 'via'],
        properties: {
          id: id('Unique id of the entrypoint.'),
          label: text(200, 'Name of the entrypoint.'),
          port: port('Port clients connect to.'),
          targets: {
            type: 'array',
            minItems: 1,
            maxItems: 1000,
            uniqueItems: true,
            items: reference('Target.', ['services', 'groups']),
          },
          via: { enum: [...ENTRYPOINT_VIAS] },
          address: {
            type: 'string',
            pattern: IP_PATTERN,
            'x-message': 'is not an IPv4 or IPv6 address',
          },
          healthCheck: closedObject('How an external-lb checks its targets.', {
            intervalMs: { type: 'integer', minimum: 100, maximum: 3_600_000 },
            unhealthyThreshold: { type: 'integer', minimum: 1, maximum: 100 },
          }),
          objectives,
        },
        if: { properties: { via: { const: 'vip' } }, required: ['via'] },
        then: {
          required: ['address'],
          'x-message':
            "a vip entrypoint needs an 'address': the floating address keepalived moves between its targets",
        },
      },
    },
    reliability: {
      type: 'object',
      additionalProperties: false,
      description: 'Default failure rates of hosts and sites.',
      properties: {
        host: failureRate('Every host unless it sets its own.'),
        site: failureRate('Every site unless it sets its own.'),
      },
    },
    objectives,
    layout: {
      type: 'object',
      maxProperties: 1_000_000,
      propertyNames: { pattern: ID_PATTERN },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['x', 'y'],
        properties: {
          x: { type: 'number', minimum: -1e7, maximum: 1e7 },
          y: { type: 'number', minimum: -1e7, maximum: 1e7 },
          width: { type: 'number', minimum: 0, maximum: 1e6 },
          height: { type: 'number', minimum: 0, maximum: 1e6 },
          collapsed: {
            type: 'boolean',
            description: 'A pool shown as one node with a count (true) or with every member (false)',
          },
        },
      },
    },
  },
} as const satisfies Schema;
