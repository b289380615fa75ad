// Parse every string of a translations JSON file as Home Assistant's frontend does
// (new IntlMessageFormat(text, language)) and print one JSON report per string:
// {"key": "a.b.c", "error": null | "<parser error>", "arguments": [...], "tags": [...],
//  "format_error": null | "<message>"}. Usage: node check_icu.mjs <file.json>
import { readFileSync } from "node:fs";
import { IntlMessageFormat } from "intl-messageformat";

const TYPE_ARGUMENT_KINDS = new Set([1, 2, 3, 4, 5, 6]); // argument, number, date, time, select, plural
const TYPE_TAG = 8;

function* strings(node, path) {
  if (typeof node === "string") {
    yield [path.join("."), node];
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      yield* strings(value, [...path, key]);
    }
  }
}

function collect(elements, found) {
  for (const element of elements) {
    if (TYPE_ARGUMENT_KINDS.has(element.type)) found.arguments.add(element.value);
    if (element.type === TYPE_TAG) {
      found.tags.add(element.value);
      collect(element.children, found);
    }
    for (const option of Object.values(element.options ?? {})) {
      collect(option.value, found);
    }
  }
}

function check(text) {
  const report = { error: null, arguments: [], tags: [], format_error: null };
  let message;
  try {
    message = new IntlMessageFormat(text, "en");
  } catch (err) {
    report.error = err.message;
    return report;
  }
  const found = { arguments: new Set(), tags: new Set() };
  collect(message.getAst(), found);
  report.arguments = [...found.arguments].sort();
  report.tags = [...found.tags].sort();
  const values = Object.fromEntries(report.arguments.map((name) => [name, "x"]));
  try {
    message.format(values);
  } catch (err) {
    report.format_error = err.message;
  }
  return report;
}

const data = JSON.parse(readFileSync(process.argv[2], "utf8"));
const reports = [];
for (const [key, text] of strings(data, [])) {
  reports.push({ key, ...check(text) });
}
process.stdout.write(JSON.stringify(reports) + "\n");
