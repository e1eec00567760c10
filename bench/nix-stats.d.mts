// Types for nix-stats.mjs (imported by tests/perf).
export const NIX_CONFIG: string;
export const NIXVERSE_FLAKE: string;
export interface Standins {
  dir: string;
  nixpkgs: string;
  darwin: string;
  stub: string;
  inputs: string;
  cleanup(): void;
}
export interface EvalStats {
  result: unknown;
  values: number;
  thunks: number;
  calls: number;
  cpuMs: number;
  wallMs: number;
  rssKb: number | null;
}
export function missing(inputsDir: string | undefined): string | null;
export function prepareStandins(inputsDir: string): Standins;
export function flakeInputNames(flakeDir: string): string[];
export function generatedOverrides(names: string[], s: Standins): string[];
export function nixverseOverrides(s: Standins): string[];
export function nixEvalStats(
  flakeDir: string,
  attr: string,
  options?: { apply?: string; overrides?: string[] },
): EvalStats;
