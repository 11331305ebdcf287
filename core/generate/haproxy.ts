/** haproxy configs. Placeholder until the haproxy generator lands: generates nothing. */
import type { Generator } from './context';

/** Files of every haproxy in the design. */
export const generateHaproxy: Generator = () => [];
