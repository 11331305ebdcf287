/**
 * JSON Schemas of what the page may send over each channel (electron/preload/protocol.ts),
 * compiled with ajv on the Node side (no CSP there). Every object is closed (no unknown keys),
 * every string bounded, so a message is exactly what the preload builds or it is refused.
 */
import Ajv from 'ajv';
import type {
  DocumentState,
  ImageExportRequest,
  PushRequest,
  RecentDesign,
  RecoveryCopy,
  SaveDesignRequest,
} from '../../core/host';
import type { BundleExportMessage } from '../preload/protocol';
import type { Validator } from './ipc';

/** The longest design text accepted, in characters: far above the 10,000-service benchmark. */
export const MAX_DESIGN_TEXT = 64 * 1024 * 1024;
/** The longest picture accepted as a `data:` URL. */
export const MAX_IMAGE_DATA_URL = 256 * 1024 * 1024;

const fileName = { type: 'string', minLength: 1, maxLength: 255 } as const;
const location = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const designText = { type: 'string', maxLength: MAX_DESIGN_TEXT } as const;

/** A design id (SPEC section 1), as a host of `hosts` or of a confirmed key. */
const hostId = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } as const;
/** An OpenSSH `SHA256:` fingerprint: 32 bytes in base64 without padding. */
const fingerprint = { type: 'string', pattern: '^SHA256:[A-Za-z0-9+/]{43}$' } as const;
/** More hosts than any design the app can draw; a longer list is not from the dialog. */
export const MAX_PUSH_HOSTS = 10_000;

const closed = (properties: Record<string, object>, required: string[]) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

const ajv = new Ajv({ allErrors: false, strict: true });

/** The validators of the requests, one per channel that takes one. */
export const requestValidators = {
  recentDesign: ajv.compile<RecentDesign>(
    closed({ fileName, location, usedAt: { type: 'string', maxLength: 64 } }, [
      'fileName',
      'location',
      'usedAt',
    ]),
  ) as Validator<RecentDesign>,
  saveDesign: ajv.compile<SaveDesignRequest>(
    closed({ fileName, text: designText, location }, ['fileName', 'text']),
  ) as Validator<SaveDesignRequest>,
  exportBundle: ajv.compile<BundleExportMessage>(
    closed({ name: fileName, designText }, ['name', 'designText']),
  ) as Validator<BundleExportMessage>,
  exportImage: ajv.compile<ImageExportRequest>(
    closed(
      {
        fileName,
        format: { enum: ['png', 'svg'] },
        dataUrl: {
          type: 'string',
          maxLength: MAX_IMAGE_DATA_URL,
          pattern: '^data:image/(?:png|svg\\+xml)[;,]',
        },
      },
      ['fileName', 'format', 'dataUrl'],
    ),
  ) as Validator<ImageExportRequest>,
  documentState: ajv.compile<DocumentState>(
    closed({ fileName, location, dirty: { type: 'boolean' } }, ['fileName', 'dirty']),
  ) as Validator<DocumentState>,
  recoveryCopy: ajv.compile<RecoveryCopy>(
    closed({ fileName, location, text: designText }, ['fileName', 'text']),
  ) as Validator<RecoveryCopy>,
  pushRequest: ajv.compile<PushRequest>(
    closed(
      {
        designText,
        hosts: { type: 'array', items: hostId, maxItems: MAX_PUSH_HOSTS, uniqueItems: true },
        confirmedHostKeys: {
          type: 'array',
          maxItems: MAX_PUSH_HOSTS,
          items: closed({ host: hostId, fingerprint }, ['host', 'fingerprint']),
        },
      },
      ['designText'],
    ),
  ) as Validator<PushRequest>,
};
