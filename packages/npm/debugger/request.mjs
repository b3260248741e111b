// Pure helpers of the debugger page (no DOM, no network): read a pasted HTTP request, and write a
// signed sample back out as raw HTTP or as a curl command. Tested by tests/node/suite.mjs.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // a header name (RFC 9110 token)
const REQUEST_LINE = /^([A-Z]+)\s+(\S+)\s+HTTP\/\d(?:\.\d)?$/;

/**
 * Splits pasted text into `{method, target, headers: [[name, value]], body, problems}`. The request
 * line is optional; headers end at the first empty line; the body is everything after it, as is.
 * Values are trimmed like a server does (optional whitespace); continuation lines are joined.
 */
export function parseRawRequest(text) {
  const sep = /\r?\n\r?\n/.exec(text);
  const head = sep ? text.slice(0, sep.index) : text;
  const body = sep ? text.slice(sep.index + sep[0].length) : '';
  const lines = head.split(/\r?\n/);
  let method = null;
  let target = null;
  const first = lines[0] !== undefined ? lines[0].trim() : '';
  const m = REQUEST_LINE.exec(first);
  if (m) {
    [, method, target] = m;
    lines.shift();
  }
  const { headers, problems } = parseHeaderLines(lines.join('\n'));
  if (!headers.length && text.trim() !== '') problems.push('no headers found before the first empty line');
  return { method, target, headers, body, problems };
}

/** `Name: value` lines to `{headers: [[name, value]], problems}` (blank lines ignored). */
export function parseHeaderLines(text) {
  const headers = [];
  const problems = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    if (/^[ \t]/.test(raw) && headers.length) {
      headers[headers.length - 1][1] += ' ' + raw.trim(); // obsolete line folding
      continue;
    }
    const colon = raw.indexOf(':');
    if (colon <= 0 || !TOKEN.test(raw.slice(0, colon).trim())) {
      problems.push(`not a header line (expected "Name: value"): ${raw.length > 60 ? raw.slice(0, 57) + '…' : raw}`);
      continue;
    }
    headers.push([raw.slice(0, colon).trim(), raw.slice(colon + 1).trim()]);
  }
  return { headers, problems };
}

/** The value of a header (case-insensitive; the first one), or undefined. */
export function headerValue(headers, name) {
  const lower = name.toLowerCase();
  const hit = headers.find(([n]) => n.toLowerCase() === lower);
  return hit ? hit[1] : undefined;
}

/** A raw HTTP/1.1 request, LF line endings (what the text box shows). */
export function toRawRequest({ method = 'POST', url, headers, body }) {
  const u = new URL(url);
  const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`];
  for (const [n, v] of headers) lines.push(`${n}: ${v}`);
  return `${lines.join('\n')}\n\n${body}`;
}

/** Quotes for a POSIX shell (single quotes; a single quote becomes '\''). */
export function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/** A curl command that sends exactly this request (the body byte for byte via --data-binary). */
export function toCurl({ method = 'POST', url, headers, body }) {
  const parts = [`curl -X ${method} ${shellQuote(url)}`];
  for (const [n, v] of headers) parts.push(`-H ${shellQuote(`${n}: ${v}`)}`);
  parts.push(`--data-binary ${shellQuote(body)}`);
  return parts.join(' \\\n  ');
}
