import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";

export const REPO = resolve(import.meta.dirname, "../..");
export const VECTORS = process.env.SOPS_VECTORS_DIR ?? resolve(REPO, "../shared/sops-vectors");
export const haveVectors = existsSync(join(VECTORS, "sops-nix", "secrets.yaml"));

export const readVector = (p: string): string => readFileSync(join(VECTORS, p), "utf8");

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix = "nvg-secrets-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function skipped(reason: string): void {
  console.log(`SKIPPED: ${reason}`);
}
