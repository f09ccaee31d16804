// chromium.mjs — what the browser test scripts (gate.mjs, extension.mjs)
// share: the Chromium flags the project uses everywhere (no network chatter,
// no updates, no sandbox inside containers), the JSON config on stdin, and a
// progress log on stderr.
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

// makeLog returns a logger that prefixes its lines with `name` on stderr
// (stdout carries the script's JSON result).
export function makeLog(name) {
  return (...args) => console.error(`[${name}]`, ...args);
}

// readStdin reads all of standard input as one JSON document.
export async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}
