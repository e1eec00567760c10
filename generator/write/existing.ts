// What the generator's owned paths hold on disk now.

import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { GeneratedFile } from "../render/generated.js";
import { OWNED_DIR } from "../render/generated.js";

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
  /** Owned files the new generation no longer has. */
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
  const remove = [...existing.keys()].filter((rel) => !wanted.has(rel)).sort();
  return { write, remove };
}
