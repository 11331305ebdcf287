/**
 * Secret files for live tests: rendered by the secret store's own upload function (as push does),
 * from a throwaway store, and handed to the lab as files at their production paths, with their
 * modes, inside the server's private mount namespace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../../core/generate/bundle';
import type { SecretFile, SecretName } from '../../core/generate/secrets';
import { SecretStore, prepareSecretUploads } from '../../deploy/secrets/index';
import type { SecretUpload } from '../../deploy/secrets/index';
import type { LabContext } from '../lab/processes';
import type { LabFiles, RedisLogin } from '../lab/tools';

/** A throwaway store and the secret files of a manifest, rendered from it. */
export interface LabSecrets {
  store: SecretStore;
  designName: string;
  uploads: Map<string, SecretUpload[]>;
  /** The secret files of a host, for the lab's `extraFiles`. */
  filesOf(host: string): LabFiles;
  /** The current value of a secret, as a test that logs in needs it. */
  value(scope: string, name: SecretName): Promise<string>;
  /** Every value the store holds for this design, to search outputs for. */
  allValues(): Promise<string[]>;
  /**
   * How a test logs in to a redis server (as "admin") or a sentinel (its requirepass), or null
   * when the service has no secret file and lets anyone in.
   */
  adminOf(service: { id: string }): Promise<RedisLogin | null>;
  /** How an application logs in to a redis server (as "app"). */
  clientOf(service: { id: string }): Promise<RedisLogin>;
  /** The manifest's secret files of a service. */
  filesOfService(service: { id: string }): SecretFile[];
}

/** A secret store in a temporary folder, removed when the test finishes. */
export function temporarySecretStore(context: LabContext): SecretStore {
  const directory = mkdtempSync(join(tmpdir(), 'topoforge-secrets-'));
  context.onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
  return new SecretStore({ directory });
}

/** Renders every secret file of `manifest` from a new (or the given) store. */
export async function labSecrets(
  manifest: Pick<Manifest, 'design' | 'hosts' | 'secrets'>,
  context: LabContext,
  store: SecretStore = temporarySecretStore(context),
): Promise<LabSecrets> {
  const uploads = await prepareSecretUploads(manifest, store);
  const designName = manifest.design.name;
  const value = async (scope: string, name: SecretName): Promise<string> => {
    const { values } = await store.ensure(designName, scope, [name], []);
    return values[name]!.current;
  };
  // What a daemon that takes one password holds while a rotation rolls out: the previous value.
  const sentValue = async (scope: string, name: SecretName): Promise<string> => {
    const { values } = await store.ensure(designName, scope, [name], []);
    return values[name]!.previous ?? values[name]!.current;
  };
  const filesOfService = (service: { id: string }): SecretFile[] =>
    manifest.secrets.filter((file) => file.service === service.id);
  return {
    filesOfService,
    adminOf: async (service) => {
      for (const file of filesOfService(service)) {
        if (file.render.kind === 'redis-acl')
          return { user: 'admin', password: await value(file.scope, 'redis-admin') };
        if (file.render.kind === 'sentinel-auth' && file.render.clientAuth)
          return { password: await sentValue(file.scope, 'sentinel-auth') };
      }
      return null;
    },
    clientOf: async (service) => {
      const acl = filesOfService(service).find((file) => file.render.kind === 'redis-acl');
      if (acl === undefined) throw new Error(`${service.id} has no ACL file`);
      return { user: 'app', password: await value(acl.scope, 'redis-app') };
    },
    store,
    designName,
    uploads,
    filesOf: (host) =>
      Object.fromEntries(
        (uploads.get(host) ?? []).map((upload) => [
          upload.path,
          { content: upload.content, mode: upload.mode },
        ]),
      ),
    value,
    allValues: async () => {
      const values: string[] = [];
      for (const summary of await store.list({ design: designName })) {
        const { values: held } = await store.ensure(designName, summary.scope, [summary.name], []);
        const value = held[summary.name]!;
        values.push(value.current, ...(value.previous === undefined ? [] : [value.previous]));
      }
      return values;
    },
  };
}
