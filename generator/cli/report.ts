// The one place diagnostics become text: `file:line:col: error: message (hint)`, then, when the
// place is known, the code frame Nix prints (the line before, the line, a caret, the line after),
// clipped around the column when a line is long.

import { readFileSync } from "node:fs";
import path from "node:path";
import type { Diagnostic } from "../errors.js";
import { formatDiagnostic } from "../errors.js";
import type { Message, Outcome } from "../secrets/context.js";
import type { CliContext } from "./command.js";
import { paintDiagnostic, style } from "./style.js";

/** Columns of a frame line shown at most; a longer line is clipped to a window around the column. */
export const FRAME_WIDTH = 120;

/** The lines around line:column of text, Nix-style; "" when the position is not in the text. */
export function codeFrame(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  const at = lines[line - 1];
  if (at === undefined) return "";
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  // A generated one-liner can be megabytes long: every line of the frame shows the same window of
  // columns around the caret, with "…" where text was cut, so the caret still points at the column.
  const col = Math.max(0, column - 1);
  const from =
    at.length <= FRAME_WIDTH
      ? 0
      : Math.max(0, Math.min(col - FRAME_WIDTH / 2, at.length - FRAME_WIDTH));
  const clip = (s: string) => {
    if (s === "" || (from === 0 && s.length <= FRAME_WIDTH)) return s;
    const cut = s.slice(from, from + FRAME_WIDTH);
    return (from > 0 ? "…" : "") + cut + (from + FRAME_WIDTH < s.length ? "…" : "");
  };
  const row = (n: number) => `  ${String(n).padStart(width)}| ${clip(lines[n - 1]!)}`.trimEnd();
  // Tabs stay tabs under the caret so it lines up however the terminal renders them.
  const lead = (from > 0 ? " " : "") + at.slice(from, col).replace(/[^\t]/g, " ");
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

/**
 * A secrets command's Outcome, printed in order: notes to stdout, diagnostics through the printer
 * above, verbatim text to its stream. Returns the exit status.
 */
export function printOutcome(ctx: CliContext, o: Outcome, root = ctx.cwd): number {
  printMessages(ctx, o.messages, root);
  return o.status;
}

export function printMessages(ctx: CliContext, ms: Message[], root = ctx.cwd): void {
  for (const m of ms) {
    if (m.kind === "note") ctx.stdout.write(`nixverse-gen: ${m.text}\n`);
    else if (m.kind === "diagnostic") reportDiagnostics(ctx, [m.diagnostic], root);
    else ctx[m.stream].write(m.text);
  }
}
