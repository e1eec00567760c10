// The one place diagnostics become text: `file:line:col: error: message (hint)`, then, when the
// place is known, the code frame Nix prints (the line before, the line, a caret, the line after).

import { readFileSync } from "node:fs";
import path from "node:path";
import type { Diagnostic } from "../errors.js";
import { formatDiagnostic } from "../errors.js";
import type { CliContext } from "./command.js";
import { paintDiagnostic, style } from "./style.js";

/** The lines around line:column of text, Nix-style; "" when the position is not in the text. */
export function codeFrame(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  const at = lines[line - 1];
  if (at === undefined) return "";
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const row = (n: number) => `  ${String(n).padStart(width)}| ${lines[n - 1]}`.trimEnd();
  // Tabs stay tabs under the caret so it lines up however the terminal renders them.
  const lead = at.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, " ");
  const out = [""];
  for (let n = first; n <= last; n++) {
    out.push(row(n));
    if (n === line) out.push(`  ${" ".repeat(width)}| ${lead}^`);
  }
  // A trailing empty last line (the file's final newline) says nothing.
  if (out.at(-1) === `  ${String(last).padStart(width)}|` && last !== line) out.pop();
  return `${out.join("\n")}\n`;
}

/** Prints diagnostics to stderr; files are read relative to `root` for the code frames. */
export function reportDiagnostics(ctx: CliContext, ds: Diagnostic[], root = ctx.cwd): void {
  const st = style(ctx.color);
  for (const d of ds) {
    ctx.stderr.write(`${paintDiagnostic(formatDiagnostic(d), st)}\n`);
    if (d.file === undefined || d.line === undefined) continue;
    let text: string;
    try {
      text = readFileSync(path.resolve(root, d.file), "utf8");
    } catch {
      continue;
    }
    ctx.stderr.write(st.dim(codeFrame(text, d.line, d.column ?? 1)));
    ctx.stderr.write("\n");
  }
}
