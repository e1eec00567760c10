import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The flake directory: --flake, else $FLAKE, else the nearest directory upwards from cwd that has
 * nodes/, inputs.nix or flake.nix (so the tool works from any subdirectory), else cwd.
 */
export function findFlakeDir(
  cwd: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  if (explicit) return path.resolve(cwd, explicit);
  if (env.FLAKE) return path.resolve(cwd, env.FLAKE);
  for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
    if (["nodes", "inputs.nix", "flake.nix"].some((f) => existsSync(path.join(d, f)))) return d;
    if (path.dirname(d) === d) return path.resolve(cwd);
  }
}
