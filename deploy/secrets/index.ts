/**
 * Secrets of a deployment (docs/push.md), for push and the `topoforge secrets` command: the store
 * on the architect's machine, the secret files a bundle's hosts need, rendered from it, what the
 * daemon catalogue allows of them, and the secret path through push.
 */
export {
  SECRETS_DIRECTORY_VARIABLE,
  SecretStore,
  SecretStoreError,
  appDataDirectory,
  designFolderOf,
  secretStoreDirectory,
} from './store';
export type { RotationState, ScopeSecrets, SecretStoreOptions, SecretSummary } from './store';
export {
  SECRET_NOT_SHOWN,
  SecretManifestError,
  completeSecretRollouts,
  prepareSecretUploads,
  readSecretFiles,
} from './uploads';
export type { SecretUpload } from './uploads';
export { matchSecretCatalogue } from './catalogue';
export type { SecretCatalogueProblem } from './catalogue';
export { finishSecretRollouts, secretPushPlan } from './push';
export type { SecretPushPlan, SecretPushProblem } from './push';
