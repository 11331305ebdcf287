/** mongodb configs. Placeholder until the mongodb generator lands: generates nothing. */
import type { Generator } from './context';

/** Files of every mongodb in the design. */
export const generateMongodb: Generator = () => [];
