// The stamp in a generated flake.nix: a hash of what nixverse-gen wrote, so that a hand edit
// (typically an input added to flake.nix, as a Nixverse user would) is noticed instead of being
// overwritten by the next generation. Pure.

import { createHash } from "node:crypto";

const STAMP = "# nixverse-gen: sha256 of the text below, to notice hand edits:";
const STAMP_LINE = new RegExp(
  `^${STAMP.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} ([0-9a-f]{64})$`,
  "m",
);

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** The flake text with its stamp line, put after the header comment. */
export function stampFlake(text: string): string {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => !l.startsWith("#"));
  const head = lines.slice(0, at).join("\n");
  const body = lines.slice(at).join("\n");
  return `${head}${head ? "\n" : ""}${STAMP} ${sha256(body)}\n${body}`;
}

/** Whether the file was changed since nixverse-gen stamped it; null when it has no stamp. */
export function editedSinceStamp(text: string): boolean | null {
  const m = STAMP_LINE.exec(text);
  if (!m) return null;
  const body = text.slice(m.index + m[0].length + 1);
  return sha256(body) !== m[1];
}
