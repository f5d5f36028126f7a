/**
 * After `npm run test:faults`: prints the scenario table from the rows the
 * fault tests recorded (test-results/faults/rows.jsonl) and writes it into
 * docs/reliability.md between its `faults:table` markers.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { markdownTable, type ScenarioRow } from "../test/faults/support/table.js";

const all = readFileSync("test-results/faults/rows.jsonl", "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as ScenarioRow & { full?: boolean });
// The long form's rows when there are any (a short run may have appended its own since).
const rows = all.some((r) => r.full) ? all.filter((r) => r.full) : all;
const table = markdownTable(rows);
const extras = rows.filter((r) => r.extra).map((r) => `- ${r.scenario}: ${r.extra}`);
const block = `${table}\n\n${extras.join("\n")}\n`;
console.log(block);
const doc = "docs/reliability.md";
const text = readFileSync(doc, "utf8");
const begin = "<!-- faults:table:begin -->";
const end = "<!-- faults:table:end -->";
const a = text.indexOf(begin);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error(`${doc}: markers ${begin} / ${end} not found`);
writeFileSync(doc, `${text.slice(0, a + begin.length)}\n${block}${text.slice(b)}`);
console.log(`wrote the table into ${doc}`);
