/** keepalived configs. Placeholder until the keepalived generator lands: generates nothing. */
import type { Generator } from './context';

/** Files of every keepalived in the design. */
export const generateKeepalived: Generator = () => [];
