import type { JSONSchemaType } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { DocumentState, RecentDesign, SaveDesignRequest } from '../../core/host';
import { requestSchemas, requestValidators } from '../../electron/main/host-schemas';

describe('the schemas of IPC requests', () => {
  it('are typed against the requests they check, so a drift does not compile', () => {
    // @ts-expect-error RecentDesign requires usedAt: a schema that lost it is no JSONSchemaType<RecentDesign>
    const lostField: JSONSchemaType<RecentDesign> = {
      type: 'object',
      properties: { fileName: { type: 'string' }, location: { type: 'string' } },
      required: ['fileName', 'location'],
      additionalProperties: false,
    };
    // @ts-expect-error `location` is optional in SaveDesignRequest, so its schema must be nullable
    const requiredOnOneSide: JSONSchemaType<SaveDesignRequest> = {
      type: 'object',
      properties: { fileName: { type: 'string' }, text: { type: 'string' }, location: { type: 'string' } },
      required: ['fileName', 'text'],
      additionalProperties: false,
    };
    // @ts-expect-error `dirty` is a boolean in DocumentState, not a string
    const wrongType: JSONSchemaType<DocumentState> = {
      type: 'object',
      properties: {
        fileName: { type: 'string' },
        location: { type: 'string', nullable: true },
        dirty: { type: 'string' },
      },
      required: ['fileName', 'dirty'],
      additionalProperties: false,
    };
    // The type checks above are the test (npm run typecheck); these keep the values used.
    expect([lostField, requiredOnOneSide, wrongType].map((schema) => schema.type)).toEqual([
      'object',
      'object',
      'object',
    ]);
    expect(Object.keys(requestSchemas)).toEqual(Object.keys(requestValidators));
  });

  it('accept what the preload sends and refuse anything else, null for an absent field included', () => {
    const save = requestValidators.saveDesign;
    expect(save({ fileName: 'a.topo.json', text: '{}' })).toBe(true);
    expect(save({ fileName: 'a.topo.json', text: '{}', location: '/home/ada/a.topo.json' })).toBe(true);
    expect(save({ fileName: 'a.topo.json', text: '{}', location: null })).toBe(false);
    expect(save.errors).toEqual([{ instancePath: '/location', message: 'must not be null' }]);
    expect(save({ fileName: 'a.topo.json', text: '{}', extra: 1 })).toBe(false);
    expect(save({ fileName: '', text: '{}' })).toBe(false);

    const push = requestValidators.pushRequest;
    expect(push({ designText: '{}', hosts: ['lb-1'] })).toBe(true);
    expect(push({ designText: '{}', hosts: null })).toBe(false);
    expect(push({ designText: '{}', confirmedHostKeys: [{ host: 'lb-1', fingerprint: 'SHA256:x' }] })).toBe(
      false,
    );

    const collect = requestValidators.collectRequest;
    expect(collect({ targets: ['root@10.0.0.5', 'ops@[2001:db8::7]:2222'] })).toBe(true);
    expect(
      collect({
        targets: ['root@10.0.0.5'],
        confirmedHostKeys: [{ host: 'host-10-0-0-5', fingerprint: `SHA256:${'A'.repeat(43)}` }],
      }),
    ).toBe(true);
    expect(collect({ targets: [] })).toBe(false);
    expect(collect({ targets: ['x'.repeat(301)] })).toBe(false);
    expect(collect({ targets: ['root@10.0.0.5'], root: '/srv' })).toBe(false);
    expect(collect({ targets: ['root@10.0.0.5'], confirmedHostKeys: null })).toBe(false);

    const image = requestValidators.exportImage;
    expect(image({ fileName: 'a.svg', format: 'svg', dataUrl: 'data:image/svg+xml;base64,AAAA' })).toBe(true);
    expect(image({ fileName: 'a.svg', format: 'svg', dataUrl: 'data:text/html,<script>' })).toBe(false);
  });
});
