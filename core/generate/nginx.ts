/** nginx configs. Placeholder until the nginx generator lands: generates nothing. */
import type { Generator } from './context';

/** Files of every nginx in the design. */
export const generateNginx: Generator = () => [];
