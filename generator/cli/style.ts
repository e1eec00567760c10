// ANSI styling, only when CliContext.color says so (a TTY, no NO_COLOR, TERM not dumb): piped
// output and logs stay plain text.

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

const ansi: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
};
const plain: Style = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  green: (s) => s,
  yellow: (s) => s,
};

export function style(color: boolean): Style {
  return color ? ansi : plain;
}

/** A formatted diagnostic line with its severity word coloured. */
export function paintDiagnostic(line: string, st: Style): string {
  return line.replace(
    /(^|: )(error|warning):/,
    (_, pre: string, word: string) =>
      `${pre}${word === "error" ? st.red(`${word}:`) : st.yellow(`${word}:`)}`,
  );
}
