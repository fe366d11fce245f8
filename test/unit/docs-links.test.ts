/**
 * The README and docs/ as a reader follows them: every relative link (and image) points at a file
 * that exists, and every `#anchor` at a heading of its page (GitHub's slugs); the README's layout
 * and docs/architecture.md name every room of src/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PAGES = [
  "README.md",
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((file) => file.endsWith(".md"))
    .map((file) => `docs/${file}`),
];

/** The page without its fenced code blocks and inline code: links there are code, not links. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "``");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = slug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function linksOf(page: string): string[] {
  const text = prose(readFileSync(path.join(ROOT, page), "utf8"));
  return [...text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

describe("the README and docs/", () => {
  it("link only to files that exist and to headings their pages have", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const link of linksOf(page)) {
        if (/^[a-z][a-z+.-]*:/i.test(link)) continue; // https:, mailto: …
        checked++;
        const [target = "", anchor] = link.split("#");
        const file = target ? path.resolve(ROOT, path.dirname(page), decodeURIComponent(target)) : path.join(ROOT, page);
        if (!existsSync(file)) {
          broken.push(`${page}: ${link} (no such file)`);
          continue;
        }
        if (anchor === undefined) continue;
        if (statSync(file).isDirectory() || !file.endsWith(".md"))
          broken.push(`${page}: ${link} (an anchor into a file that is not a page)`);
        else if (!anchorsOf(file).has(anchor)) broken.push(`${page}: ${link} (no heading with that anchor)`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it("name every room of src/ in the README's layout and in docs/architecture.md", () => {
    const rooms = readdirSync(path.join(ROOT, "src"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(rooms.length).toBeGreaterThan(10);
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const layout = readme.slice(readme.indexOf("### Layout"), readme.indexOf("\n## ", readme.indexOf("### Layout")));
    const architecture = readFileSync(path.join(ROOT, "docs/architecture.md"), "utf8");
    const owns = architecture.slice(architecture.indexOf("## What each room owns"));
    expect(rooms.filter((room) => !layout.includes(`- \`src/${room}/\` — `))).toEqual([]);
    expect(rooms.filter((room) => !owns.includes(`**${room}/**`))).toEqual([]);
  });
});
