/** redis configs. Placeholder until the redis generator lands: generates nothing. */
import type { Generator } from './context';

/** Files of every redis in the design. */
export const generateRedis: Generator = () => [];
