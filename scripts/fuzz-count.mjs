// Sums the case counts the fuzz files recorded (test/fuzz/runs.ts) and prints the total.
import { readFileSync } from "node:fs";

const lines = readFileSync("test-results/fuzz/counts.jsonl", "utf8").trim().split("\n");
let total = 0;
for (const line of lines) {
  const { file, cases } = JSON.parse(line);
  console.log(`fuzz ${file.padEnd(12)} ${String(cases).padStart(9)} cases`);
  total += cases;
}
console.log(`fuzz total        ${String(total).padStart(9)} cases`);
