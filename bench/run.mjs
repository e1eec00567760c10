// Runs every bench/*.bench.mjs (or those named on the command line), prints one table and writes
// bench/results.json. Each module exports `run()` → [{ bench, size, value, unit, note? }].
import { readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { execaSync } from "execa";

const dir = new URL("./", import.meta.url);
const only = process.argv.slice(2);
const modules = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => !only.length || only.some((o) => f.startsWith(o)))
  .sort();

const rows = [];
for (const f of modules) {
  const mod = await import(new URL(f, dir).href);
  process.stderr.write(`running ${f}…\n`);
  for (const r of await mod.run()) rows.push({ file: f, ...r });
}

const fmt = (v) => (typeof v === "number" ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : String(v));
const cols = ["bench", "size", "value", "unit", "note"];
const cells = rows.map((r) => cols.map((c) => (c === "value" ? fmt(r[c]) : (r[c] ?? ""))));
const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => String(row[i]).length)));
const line = (row) =>
  row
    .map((v, i) => String(v)[i === 2 ? "padStart" : "padEnd"](widths[i]))
    .join("  ")
    .trimEnd();
let nixVersion = "n/a";
try {
  nixVersion = execaSync("nix", ["--version"]).stdout.trim();
} catch {}
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${nixVersion}`;
console.log(`machine: ${machine}\n`);
console.log(line(cols));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const row of cells) console.log(line(row));
writeFileSync(
  new URL("results.json", dir),
  `${JSON.stringify({ machine, date: new Date().toISOString(), rows }, null, 2)}\n`,
);
