/**
 * The secret path through push (docs/push.md, "Secrets"): before the hosts are pushed, each
 * selected host's secret files are rendered from the store (created there on first deploy) and
 * join its bundle files, to be planned, uploaded, swapped and reloaded by the same machinery; after
 * the push, a rotation that reached every host of its scope is recorded as rolled out.
 *
 * A secret file's content never leaves this process except in the upload itself: plans and
 * diffs say {@link SECRET_NOT_SHOWN}, reports and events carry only its path and action.
 */
import type { PushFile, PushManifest } from '../push/bundle';
import type { HostReport } from '../push/types';
import { SecretStoreError } from './store';
import type { SecretStore } from './store';
import { SecretManifestError, prepareSecretUploads } from './uploads';
import { SecretValueError } from '../../core/generate/secrets';

/** The secret files of each selected host, as push files, and the scopes whose rotation rolls out. */
export interface SecretPushPlan {
  files: Map<string, PushFile[]>;
  /** Scopes whose files go out with `replace` (a rotation), with every host of each scope. */
  rollouts: Map<string, string[]>;
}

/** Why the secrets cannot be prepared: the store or the manifest's secret files; `path` names which. */
export interface SecretPushProblem {
  message: string;
  path: string;
}

/**
 * Renders the secret files of `hosts` from `store`: creating each missing secret, except in a dry
 * run, which creates and records nothing (a secret not created yet plans as a file to create).
 */
export async function secretPushPlan(
  manifest: Pick<PushManifest, 'design' | 'hosts' | 'secrets'>,
  store: SecretStore,
  hosts: readonly string[],
  dryRun: boolean,
): Promise<{ ok: true; plan: SecretPushPlan } | { ok: false; problem: SecretPushProblem }> {
  const files = new Map<string, PushFile[]>();
  const rollouts = new Map<string, string[]>();
  if ((manifest.secrets ?? []).length === 0) return { ok: true, plan: { files, rollouts } };
  let uploads;
  try {
    uploads = await prepareSecretUploads(manifest, store, { hosts, create: !dryRun });
  } catch (error) {
    if (error instanceof SecretStoreError || error instanceof SecretValueError)
      return {
        ok: false,
        problem: {
          message: `the secret store cannot give this bundle's secrets: ${error.message}`,
          path: error instanceof SecretStoreError ? error.path : store.directory,
        },
      };
    if (error instanceof SecretManifestError)
      return { ok: false, problem: { message: error.message, path: error.path } };
    throw error;
  }
  for (const [host, list] of uploads) {
    files.set(
      host,
      list.map((upload): PushFile => ({
        host,
        path: upload.path,
        content: upload.content,
        sha256: upload.sha256,
        mode: upload.mode,
        owner: upload.owner,
        reload: upload.reload,
        policy: upload.policy,
        secret: true,
      })),
    );
    for (const upload of list) {
      if (upload.policy !== 'replace') continue;
      const scopeHosts = (manifest.secrets ?? [])
        .filter((file) => file.scope === upload.scope)
        .map((file) => file.host);
      rollouts.set(upload.scope, [...new Set(scopeHosts)]);
    }
  }
  return { ok: true, plan: { files, rollouts } };
}

/**
 * After a push: each rotating scope whose every host now has its files (changed or unchanged in
 * this push) is rolled out, so later pushes are create-only again. Returns the report's lines:
 * what still waits, and what `rotate --finish` may now do.
 */
export async function finishSecretRollouts(
  manifest: Pick<PushManifest, 'design'>,
  store: SecretStore,
  rollouts: ReadonlyMap<string, readonly string[]>,
  reports: readonly HostReport[],
): Promise<string[]> {
  const warnings: string[] = [];
  const statusOf = new Map(reports.map((report) => [report.host, report.status]));
  for (const [scope, hosts] of rollouts) {
    const missing = hosts.filter((host) => {
      const status = statusOf.get(host);
      return status === undefined || status === 'failed';
    });
    if (missing.length > 0) {
      warnings.push(
        `the new secrets of ${scope} have not reached ${missing.join(', ')}: push ${missing.length === 1 ? 'it' : 'them'} ` +
          'again to finish the rotation (hosts keep accepting the previous values meanwhile)',
      );
      continue;
    }
    try {
      await store.markRolledOut(manifest.design.name, scope);
    } catch (error) {
      warnings.push(`cannot record that the secrets of ${scope} rolled out: ${(error as Error).message}`);
    }
  }
  return warnings;
}
