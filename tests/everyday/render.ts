// Renders Mermaid text the way GitHub does (mermaid.js in a browser): in Debian's headless
// Chromium, with the mermaid devDependency. Returns what the drawn SVG holds, or Mermaid's error.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { tempDir } from "../support/nix.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

export interface Drawn {
  error: string | null;
  /** Text of every drawn box (groups and nodes), with its CSS classes. */
  boxes: { text: string; classes: string }[];
  /** Number of drawn arrows. */
  edges: number;
  svg: string;
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--virtual-time-budget=10000",
];

function page(source: string): string {
  const mermaidJs = pathToFileURL(
    path.join(repoRoot, "node_modules/mermaid/dist/mermaid.min.js"),
  ).href;
  return `<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#fff">
<div id="out" style="display:inline-block;padding:8px"></div><pre id="status" style="display:none">pending</pre>
<script src="${mermaidJs}"></script>
<script>
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
const src = ${JSON.stringify(source)};
mermaid.render("fleet", src).then(({ svg }) => {
  const out = document.getElementById("out");
  out.innerHTML = svg;
  const boxes = [...out.querySelectorAll("g.node")].map((g) => ({ text: g.textContent.trim(), classes: g.getAttribute("class") }));
  const edges = out.querySelectorAll("g.edgePaths path, path.flowchart-link").length;
  document.getElementById("status").textContent = JSON.stringify({ error: null, boxes, edges });
}).catch((e) => {
  document.getElementById("status").textContent = JSON.stringify({ error: String(e && e.message || e), boxes: [], edges: 0 });
});
</script></body></html>`;
}

export async function drawMermaid(source: string, screenshot?: string): Promise<Drawn> {
  const dir = tempDir("nixverse-mermaid-");
  const html = path.join(dir, "page.html");
  writeFileSync(html, page(source));
  const url = pathToFileURL(html).href;
  const dom = await execa(
    CHROMIUM,
    [...FLAGS, `--user-data-dir=${path.join(dir, "profile")}`, "--dump-dom", url],
    {
      reject: false,
      timeout: 60_000,
    },
  );
  const status = /<pre id="status"[^>]*>([^<]*)<\/pre>/.exec(dom.stdout)?.[1];
  if (status === undefined || status === "pending") {
    return {
      error: `chromium drew nothing (exit ${dom.exitCode}): ${dom.stderr.slice(0, 500)}`,
      boxes: [],
      edges: 0,
      svg: "",
    };
  }
  const unescape = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  const parsed = JSON.parse(unescape(status)) as Omit<Drawn, "svg">;
  if (screenshot) {
    await execa(
      CHROMIUM,
      [
        ...FLAGS,
        `--user-data-dir=${path.join(dir, "profile2")}`,
        `--screenshot=${screenshot}`,
        "--window-size=1000,700",
        url,
      ],
      { reject: false, timeout: 60_000 },
    );
  }
  return { ...parsed, svg: /<svg[\s\S]*<\/svg>/.exec(dom.stdout)?.[0] ?? "" };
}
