/** The bundle's README.md runbook. Placeholder until the runbook generator lands. */
import type { BundleFile } from './bundle';
import type { GenerationContext } from './context';

/** The runbook of a bundle, written from the design and the files generated for it. */
export function generateRunbook(_context: GenerationContext, _files: readonly BundleFile[]): BundleFile[] {
  return [];
}
