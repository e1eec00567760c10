// Types for synthetic.mjs (imported by tests/perf).
export const SYSTEMS_OUTPUTS: string;
export interface SyntheticOptions {
  privateShare?: number;
  groups?: number;
  nested?: boolean;
  systems?: boolean;
  shape?: "anchor";
}
export function writeSyntheticFleet(root: string, n: number, options?: SyntheticOptions): void;
