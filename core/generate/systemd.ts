/** systemd configs. Placeholder until the systemd generator lands: generates nothing. */
import type { Generator } from './context';

/** Files of every systemd in the design. */
export const generateSystemd: Generator = () => [];
