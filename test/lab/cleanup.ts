/**
 * Vitest setup file: after each test file, remove the temporary folders its tests took from
 * `test/lab/temporary.ts` and did not remove themselves. A run leaves nothing in /tmp.
 */
import { afterAll } from 'vitest';
import { removeTemporaryFolders } from './temporary';

afterAll(removeTemporaryFolders);
