// Errors are values: every stage returns diagnostics with a location and a hint, and only the CLI
// turns them into text and an exit status.

export interface Location {
  /** Path as the user should see it: relative to the flake root when inside it. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units like every editor's column display. */
  column: number;
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  /** Stable machine-readable code, e.g. "node-name-invalid". Tests match on it. */
  code: string;
  /** Absent means "error": a warning never stops a command. */
  severity?: Severity;
  message: string;
  /** The file at fault; line/column when a position is known. */
  file?: string;
  line?: number;
  column?: number;
  /** What the user should do about it. */
  hint?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; errors: Diagnostic[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(...errors: Diagnostic[]): Result<T> => ({ ok: false, errors });

export function diag(
  code: string,
  message: string,
  where?: Partial<Location> & { file?: string },
  hint?: string,
): Diagnostic {
  const d: Diagnostic = { code, message };
  if (where?.file !== undefined) d.file = where.file;
  if (where?.line !== undefined) d.line = where.line;
  if (where?.column !== undefined) d.column = where.column;
  if (hint !== undefined) d.hint = hint;
  return d;
}

/** The same diagnostic as a warning: reported, but the command goes on. */
export function warning(
  code: string,
  message: string,
  where?: Partial<Location> & { file?: string },
  hint?: string,
): Diagnostic {
  return { ...diag(code, message, where, hint), severity: "warning" };
}

/** `file:line:col: error: message (hint)`: one line, the form editors and CI annotate. */
export function formatDiagnostic(d: Diagnostic): string {
  let where = "";
  if (d.file !== undefined) {
    where = d.file;
    if (d.line !== undefined) where += `:${d.line}`;
    if (d.line !== undefined && d.column !== undefined) where += `:${d.column}`;
    where += ": ";
  }
  return `${where}${d.severity ?? "error"}: ${d.message}${d.hint ? ` (${d.hint})` : ""}`;
}

/** Thrown only at I/O boundaries to carry diagnostics up to the CLI. */
export class DiagnosticError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "DiagnosticError";
  }
}

/** Collects results, keeping every error instead of stopping at the first. */
export function collect<T>(results: Result<T>[]): Result<T[]> {
  const errors: Diagnostic[] = [];
  const values: T[] = [];
  for (const r of results) {
    if (r.ok) values.push(r.value);
    else errors.push(...r.errors);
  }
  return errors.length ? { ok: false, errors } : ok(values);
}
