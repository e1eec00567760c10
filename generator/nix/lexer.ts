// The Nix 2.8 lexer, rule for rule (src/libexpr/lexer.l): the same start conditions, the same
// longest-match-then-first-rule choice, the same odd corners (`a:b` is a URI, `1/2` a path,
// `''$` an escaped dollar). Tokens are produced in one pass: flex's lexer never depends on the
// parser, so the token stream is a pure function of the text.

import type { Comment, Pos, Span } from "./ast.js";

export type TokenType =
  | "ID"
  | "INT"
  | "FLOAT"
  | "STR"
  | "IND_STR"
  | "PATH"
  | "HPATH"
  | "SPATH"
  | "URI"
  | "PATH_END"
  | "DOLLAR_CURLY"
  | "IND_STRING_OPEN"
  | "IND_STRING_CLOSE"
  | "ELLIPSIS"
  | "IF"
  | "THEN"
  | "ELSE"
  | "ASSERT"
  | "WITH"
  | "LET"
  | "IN"
  | "REC"
  | "INHERIT"
  | "OR_KW"
  | "EQ"
  | "NEQ"
  | "LEQ"
  | "GEQ"
  | "AND"
  | "OR"
  | "IMPL"
  | "UPDATE"
  | "CONCAT"
  | "CHAR"
  | "EOF"
  | "ERROR";

export interface Token {
  type: TokenType;
  /** The source text of the token (empty for PATH_END and EOF). */
  text: string;
  /** STR / IND_STR: the decoded text; CHAR: the character; ERROR: the message. */
  value: string;
  /** IND_STR only: raw text that takes part in indentation stripping (Nix's `hasIndentation`). */
  indentation: boolean;
  span: Span;
}

const KEYWORDS: Record<string, TokenType> = {
  if: "IF",
  then: "THEN",
  else: "ELSE",
  assert: "ASSERT",
  with: "WITH",
  let: "LET",
  in: "IN",
  rec: "REC",
  inherit: "INHERIT",
  or: "OR_KW",
};

const OPERATORS: Record<string, TokenType> = {
  "...": "ELLIPSIS",
  "==": "EQ",
  "!=": "NEQ",
  "<=": "LEQ",
  ">=": "GEQ",
  "&&": "AND",
  "||": "OR",
  "->": "IMPL",
  "//": "UPDATE",
  "++": "CONCAT",
};

/** Nix's own words for `|>` / `<|` without `experimental-features = pipe-operators`. */
export const PIPE_OPERATORS_MESSAGE =
  "experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it";
export const PIPE_OPERATORS_HINT =
  "a fleet's files must evaluate on a default Nix: write `f x` instead of `x |> f` or `f <| x`";

const PC = "[a-zA-Z0-9._\\-+]";
const re = (s: string) => new RegExp(s, "y");

// DEFAULT-state rules in lexer.l order (ties go to the earlier rule).
type DefaultRule =
  | "op"
  | "id"
  | "int"
  | "float"
  | "dollarCurly"
  | "rbrace"
  | "lbrace"
  | "quote"
  | "indOpen"
  | "pathStart"
  | "path"
  | "hpath"
  | "spath"
  | "uri"
  | "ws"
  | "lineComment"
  | "blockComment"
  | "any";
const DEFAULT_RULES: [DefaultRule, RegExp][] = [
  ["op", re("\\.\\.\\.|==|!=|<=|>=|&&|\\|\\||->|//|\\+\\+|\\|>|<\\|")],
  ["id", re("[a-zA-Z_][a-zA-Z0-9_'\\-]*")],
  ["int", re("[0-9]+")],
  ["float", re("(?:[1-9][0-9]*\\.[0-9]*|0?\\.[0-9]+)(?:[Ee][+-]?[0-9]+)?")],
  ["dollarCurly", re("\\$\\{")],
  ["rbrace", re("\\}")],
  ["lbrace", re("\\{")],
  ["quote", re('"')],
  ["indOpen", re("''(?: *\\n)?")],
  ["hpath", re(`~(?:\\/${PC}+)+\\/?`)],
  ["spath", re(`<${PC}+(?:\\/${PC}+)*>`)],
  ["ws", re("[ \\t\\r\\n]+")],
  ["lineComment", re("#[^\\r\\n]*")],
  // pathStart, path, uri, blockComment and any are matched by hand below.
];

const PATH_CONT = re(`${PC}*(?:\\/${PC}+)+\\/?|${PC}*\\/|${PC}+`);

// The string-body rules of lexer.l, scanned by hand rather than as regexes: a JS regex over an
// alternation backtracks through a stack that a 10 MB literal exhausts (a RangeError).
//   STRING     ([^$"\\]|\$[^{"\\]|\\.|\$\\.)+  and the same followed by `$` before `"`
//   IND_STRING ([^$']|\$[^{']|'[^'$])+
// Each position allows at most one alternative, so the greedy match is a plain forward scan.

// The rules that start with a run of characters any position inside that run could also start
// (lexer.l's `{PATH_CHAR}*/${`, `{PATH_CHAR}*(/{PATH_CHAR}+)+/?` and `[a-zA-Z][a-zA-Z0-9+\-.]*:…`)
// are matched by hand too: as regexes each was tried at every position of a run that never
// matched (2,000,000 `-`), rescanning the rest of the run each time, quadratic. The run's end is
// remembered, so every character is scanned a bounded number of times.
//   pathStart  PC* "/${"  |  "~/${"
//   path       PC* ("/" PC+)+ "/"?
//   uri        [a-zA-Z] [a-zA-Z0-9+\-.]* ":" [a-zA-Z0-9%/?:@&=+$,\-_.!~*']+
// PC contains neither `/` nor `:`, so a greedy run is the only way to reach either: no
// backtracking alternative exists, and the match is decided at the run's end.

/** Characters examined by the hand scans of runs and block comments (tests check it is linear). */
export const scanWork = { chars: 0 };

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isAlnum = (c: number) => isLetter(c) || (c >= 48 && c <= 57);
/** {PATH_CHAR}: [a-zA-Z0-9._\-+] */
const isPathChar = (c: number) => isAlnum(c) || c === 46 || c === 95 || c === 45 || c === 43;
/** The scheme of a URI after its first letter: [a-zA-Z0-9+\-.] */
const isSchemeChar = (c: number) => isAlnum(c) || c === 43 || c === 45 || c === 46;
/** After the colon: [a-zA-Z0-9%/?:@&=+$,\-_.!~*'] */
const URI_PUNCTUATION = new Set([..."%/?:@&=+$,-_.!~*'"].map((c) => c.charCodeAt(0)));
const isUriChar = (c: number) => isAlnum(c) || URI_PUNCTUATION.has(c);

/** The end of the maximal run of one character class from a position, remembered for the run. */
class Runs {
  private from = -1;
  private to = -1;
  constructor(
    private readonly s: string,
    private readonly inClass: (c: number) => boolean,
  ) {}
  end(at: number): number {
    // Every position inside the remembered run ends where the run does.
    if (at >= this.from && at <= this.to) return this.to;
    let e = at;
    while (e < this.s.length && this.inClass(this.s.charCodeAt(e))) e++;
    scanWork.chars += e - at + 1;
    this.from = at;
    this.to = e;
    return e;
  }
}

/** Lengths of the hand-matched DEFAULT rules at one position (-1: no match). */
function runRules(
  s: string,
  at: number,
  pathRun: Runs,
  segRun: Runs,
  schemeRun: Runs,
  uriRun: Runs,
): { pathStart: number; path: number; uri: number } {
  let pathStart = s.startsWith("~/${", at) ? 4 : -1;
  let path = -1;
  const r = pathRun.end(at);
  if (s.startsWith("/${", r)) pathStart = r - at + 3;
  // ("/" PC+)+ "/"?: only reached when a path does match, and then the token covers it.
  let j = r;
  while (s.charCodeAt(j) === 47 && isPathChar(s.charCodeAt(j + 1))) j = segRun.end(j + 1);
  if (j > r) path = (s.charCodeAt(j) === 47 ? j + 1 : j) - at;
  let uri = -1;
  if (isLetter(s.charCodeAt(at))) {
    const colon = schemeRun.end(at + 1);
    if (s.charCodeAt(colon) === 58) {
      const e = uriRun.end(colon + 1);
      if (e > colon + 1) uri = e - at;
    }
  }
  return { pathStart, path, uri };
}

/** End of the longest STRING body from `at` (`at` itself when none). */
function stringBodyEnd(s: string, at: number): number {
  let i = at;
  for (;;) {
    const c = s[i];
    if (c === undefined || c === '"') return i;
    if (c === "\\") {
      if (i + 1 >= s.length) return i;
      i += 2;
    } else if (c === "$") {
      const n = s[i + 1];
      if (n === undefined || n === "{" || n === '"') return i;
      if (n === "\\") {
        if (i + 2 >= s.length) return i;
        i += 3;
      } else i += 2;
    } else i += 1;
  }
}

/** End of the longest IND_STRING chunk from `at` (`at` itself when none). */
function indBodyEnd(s: string, at: number): number {
  let i = at;
  for (;;) {
    const c = s[i];
    if (c === undefined) return i;
    if (c === "$" || c === "'") {
      const n = s[i + 1];
      if (n === undefined || n === "'" || (c === "$" ? n === "{" : n === "$")) return i;
      i += 2;
    } else i += 1;
  }
}
/** lexer.l's unescapeStr: `\n \r \t`, any other escaped char is itself, CR and CRLF become LF. */
export function unescapeStr(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    let c = s[i]!;
    if (c === "\\") {
      i++;
      c = s[i] ?? "";
      out += c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c;
    } else if (c === "\r") {
      out += "\n";
      if (s[i + 1] === "\n") i++;
    } else out += c;
  }
  return out;
}

type State = "INITIAL" | "DEFAULT" | "STRING" | "IND_STRING" | "INPATH" | "INPATH_SLASH";

/** Offsets of line starts; CR, LF and CRLF each end a line, as in Nix's adjustLoc. */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(source: string) {
    for (let i = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (source.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }
  pos(offset: number): Pos {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

export interface LexResult {
  tokens: Token[];
  comments: Comment[];
  lines: LineMap;
}

function matchLen(rx: RegExp, s: string, at: number): number {
  rx.lastIndex = at;
  const m = rx.exec(s);
  return m ? m[0].length : -1;
}

/**
 * Tokenises the whole source. A lexical error (trailing slash in a path, integer out of range)
 * becomes one ERROR token at its place, after which lexing stops; the parser reports it when it
 * gets there, so an earlier syntax error still wins, as in Nix.
 */
export function lex(source: string): LexResult {
  const lines = new LineMap(source);
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const stack: State[] = [];
  let state = "INITIAL" as State;
  let i = 0;
  const push = (s: State) => {
    stack.push(state);
    state = s;
  };
  const pop = () => {
    state = stack.pop() ?? "INITIAL";
  };
  const emit = (type: TokenType, start: number, end: number, value = "", indentation = false) => {
    tokens.push({
      type,
      text: source.slice(start, end),
      value,
      indentation,
      span: { start: lines.pos(start), end: lines.pos(end) },
    });
  };
  const error = (at: number, message: string) => emit("ERROR", at, at, message);
  const pathRun = new Runs(source, isPathChar);
  const segRun = new Runs(source, isPathChar);
  const schemeRun = new Runs(source, isSchemeChar);
  const uriRun = new Runs(source, isUriChar);
  // The first `*/` at or after some position: still the first for any later position before it.
  let commentClose: number | undefined;

  for (;;) {
    if (state === "STRING") {
      if (i >= source.length) break;
      const b = stringBodyEnd(source, i) - i;
      // The trailing-context rule (a body, then `$` before `"`) is longer by the `$`, so it wins.
      const a = source.startsWith('$"', i + b) ? b + 1 : -1;
      if (a > 0) {
        emit("STR", i, i + a, unescapeStr(source.slice(i, i + a)));
        i += a;
      } else if (b > 0) {
        emit("STR", i, i + b, unescapeStr(source.slice(i, i + b)));
        i += b;
      } else if (source.startsWith("${", i)) {
        push("DEFAULT");
        emit("DOLLAR_CURLY", i, i + 2);
        i += 2;
      } else if (source[i] === '"') {
        pop();
        emit("CHAR", i, i + 1, '"');
        i += 1;
      } else {
        // Only reachable at end of input: `$`, `\` or `$\` left over.
        const n = source.startsWith("$\\", i) ? 2 : 1;
        emit("STR", i, i + n, source.slice(i, i + n));
        i += n;
      }
      continue;
    }

    if (state === "IND_STRING") {
      if (i >= source.length) break;
      const chunk = indBodyEnd(source, i) - i;
      if (chunk > 0) {
        emit("IND_STR", i, i + chunk, source.slice(i, i + chunk), true);
        i += chunk;
      } else if (source.startsWith("'''", i)) {
        emit("IND_STR", i, i + 3, "''");
        i += 3;
      } else if (source.startsWith("''$", i)) {
        emit("IND_STR", i, i + 3, "$");
        i += 3;
      } else if (source.startsWith("''\\", i) && i + 3 < source.length) {
        emit("IND_STR", i, i + 4, unescapeStr(source.slice(i + 2, i + 4)));
        i += 4;
      } else if (source.startsWith("${", i)) {
        push("DEFAULT");
        emit("DOLLAR_CURLY", i, i + 2);
        i += 2;
      } else if (source.startsWith("''", i)) {
        pop();
        emit("IND_STRING_CLOSE", i, i + 2);
        i += 2;
      } else if (source[i] === "$") {
        emit("IND_STR", i, i + 1, "$");
        i += 1;
      } else {
        emit("IND_STR", i, i + 1, "'");
        i += 1;
      }
      continue;
    }

    if (state === "INPATH" || state === "INPATH_SLASH") {
      if (source.startsWith("${", i)) {
        pop();
        push("INPATH");
        push("DEFAULT");
        emit("DOLLAR_CURLY", i, i + 2);
        i += 2;
        continue;
      }
      const n = i < source.length ? matchLen(PATH_CONT, source, i) : -1;
      if (n > 0) {
        pop();
        push(source[i + n - 1] === "/" ? "INPATH_SLASH" : "INPATH");
        emit("STR", i, i + n, source.slice(i, i + n));
        i += n;
        continue;
      }
      if (state === "INPATH_SLASH") {
        error(i, "path has a trailing slash");
        break;
      }
      pop();
      emit("PATH_END", i, i);
      continue;
    }

    // INITIAL / DEFAULT
    if (i >= source.length) break;
    let best: DefaultRule = "any";
    let bestLen = 1;
    const hand = runRules(source, i, pathRun, segRun, schemeRun, uriRun);
    for (const [name, rx] of DEFAULT_RULES) {
      // lexer.l's order: pathStart, path, hpath, spath, uri
      if (name === "hpath") {
        for (const h of ["pathStart", "path"] as const) {
          if (hand[h] > bestLen || (hand[h] === bestLen && best === "any" && hand[h] > 0)) {
            best = h;
            bestLen = hand[h];
          }
        }
      }
      if (name === "ws" && hand.uri > bestLen) {
        best = "uri";
        bestLen = hand.uri;
      }
      const n = matchLen(rx, source, i);
      if (n > bestLen || (n === bestLen && best === "any" && n > 0)) {
        best = name;
        bestLen = n;
      }
    }
    if (source.startsWith("/*", i)) {
      if (commentClose === undefined || (commentClose >= 0 && commentClose < i + 2)) {
        commentClose = source.indexOf("*/", i + 2);
        scanWork.chars += (commentClose < 0 ? source.length : commentClose + 2) - (i + 2);
      }
      if (commentClose >= 0 && commentClose + 2 - i > bestLen) {
        best = "blockComment";
        bestLen = commentClose + 2 - i;
      }
    }
    const start = i;
    const end = i + bestLen;
    const text = source.slice(start, end);
    i = end;
    switch (best) {
      case "op":
        if (text === "|>" || text === "<|") {
          // Nix ≥ 2.24 lexes the pipe operators but refuses them unless the experimental feature
          // is on; we read files as Nix does by default.
          emit("ERROR", start, end, PIPE_OPERATORS_MESSAGE);
          return { tokens, comments, lines };
        }
        emit(OPERATORS[text]!, start, end);
        break;
      case "id":
        emit(Object.hasOwn(KEYWORDS, text) ? KEYWORDS[text]! : "ID", start, end, text);
        break;
      case "int": {
        if (BigInt(text) > 9223372036854775807n) {
          error(start, `invalid integer '${text}'`);
          return { tokens, comments, lines };
        }
        emit("INT", start, end, text);
        break;
      }
      case "float": {
        if (!floatInRange(text)) {
          error(start, `invalid float '${text}'`);
          return { tokens, comments, lines };
        }
        emit("FLOAT", start, end, text);
        break;
      }
      case "dollarCurly":
        push("DEFAULT");
        emit("DOLLAR_CURLY", start, end);
        break;
      case "rbrace":
        if (state !== "INITIAL") pop();
        emit("CHAR", start, end, "}");
        break;
      case "lbrace":
        push("DEFAULT");
        emit("CHAR", start, end, "{");
        break;
      case "quote":
        push("STRING");
        emit("CHAR", start, end, '"');
        break;
      case "indOpen":
        push("IND_STRING");
        emit("IND_STRING_OPEN", start, end);
        break;
      case "pathStart": {
        // `a/${`, `~/${`: the first segment alone is the path token; the rest follows in INPATH.
        const segEnd = end - 2;
        push("INPATH_SLASH");
        emit(text.startsWith("~") ? "HPATH" : "PATH", start, segEnd, source.slice(start, segEnd));
        i = segEnd;
        break;
      }
      case "path":
      case "hpath":
        push(text.endsWith("/") ? "INPATH_SLASH" : "INPATH");
        emit(best === "path" ? "PATH" : "HPATH", start, end, text);
        break;
      case "spath":
        emit("SPATH", start, end, text);
        break;
      case "uri":
        emit("URI", start, end, text);
        break;
      case "ws":
        break;
      case "lineComment":
      case "blockComment":
        comments.push({
          kind: best === "lineComment" ? "Line" : "Block",
          text,
          span: { start: lines.pos(start), end: lines.pos(end) },
        });
        break;
      case "any":
        emit("CHAR", start, end, text);
        break;
    }
  }
  if (state === "INPATH_SLASH") {
    error(i, "path has a trailing slash");
    return { tokens, comments, lines };
  }
  emit("EOF", source.length, source.length);
  return { tokens, comments, lines };
}

/** strtod sets ERANGE on overflow and on underflow to zero or a subnormal. */
function floatInRange(text: string): boolean {
  const v = Number(text.endsWith(".") ? text + "0" : text);
  if (!Number.isFinite(v)) return false;
  const mantissaNonZero = /[1-9]/.test(text.split(/[eE]/)[0]!);
  if (v === 0) return !mantissaNonZero;
  return Math.abs(v) >= 2.2250738585072014e-308;
}
