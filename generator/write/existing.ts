// What the generator's owned paths hold on disk now.

import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { GeneratedFile } from "../render/generated.js";
import { GENERATED_MARK, OWNED_DIR } from "../render/generated.js";

/** The generator's mark in the first lines: only such files are ever removed by `gen`. */
export function isGenerated(content: string): boolean {
  return content
    .split("\n")
    .slice(0, 3)
    .some((l) => l.includes(GENERATED_MARK));
}

export async function readOwned(root: string): Promise<Map<string, GeneratedFile>> {
  const out = new Map<string, GeneratedFile>();
  const add = async (rel: string) => {
    const full = path.join(root, rel);
    const [content, st] = await Promise.all([readFile(full, "utf8"), stat(full)]);
    out.set(rel, { content, executable: (st.mode & 0o100) !== 0 });
  };
  try {
    await add("flake.nix");
  } catch {
    /* no flake.nix yet */
  }
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(
      entries.map((e) => {
        const r = `${rel}/${e.name}`;
        return e.isDirectory() ? walk(r) : e.isFile() ? add(r) : Promise.resolve();
      }),
    );
  };
  await walk(OWNED_DIR);
  return out;
}

export interface Changes {
  /** New or different content or mode. */
  write: string[];
  /** Files the generator wrote (they carry its mark) that the new generation no longer has. */
  remove: string[];
}

export function changesBetween(
  existing: Map<string, GeneratedFile>,
  wanted: Map<string, GeneratedFile>,
): Changes {
  const write = [...wanted]
    .filter(([rel, f]) => {
      const old = existing.get(rel);
      return !old || old.content !== f.content || old.executable !== f.executable;
    })
    .map(([rel]) => rel)
    .sort();
  // A file of the user's under nixverse/ (no mark) is never removed.
  const remove = [...existing]
    .filter(([rel, f]) => !wanted.has(rel) && isGenerated(f.content))
    .map(([rel]) => rel)
    .sort();
  return { write, remove };
}
