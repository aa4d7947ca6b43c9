/** An e-mail as a test reads it: decoded headers and bodies. */
export interface MailMessage {
  /** Header values by lower-case name, RFC 2047 encoded words decoded; the first of repeated headers. */
  headers: Record<string, string>;
  subject: string;
  /** Every `text/plain` part, decoded, joined by blank lines. */
  text: string;
  /** Every `text/html` part, decoded, joined by blank lines. */
  html: string;
}

/**
 * Parses an RFC 5322 message with MIME parts (multipart nested to any depth; quoted-printable, base64, 7bit and
 * 8bit bodies). Enough to read what Alertmanager sends; not a general-purpose mail parser (no charsets but UTF-8
 * and ASCII, no attachments).
 */
export function parseMailMessage(raw: string): MailMessage {
  const texts: string[] = [];
  const htmls: string[] = [];
  const top = splitEntity(raw);
  collectBodies(top, texts, htmls);
  return {
    headers: top.headers,
    subject: top.headers.subject ?? '',
    text: texts.join('\n\n'),
    html: htmls.join('\n\n'),
  };
}

interface Entity {
  headers: Record<string, string>;
  body: string;
}

function splitEntity(raw: string): Entity {
  const match = /\r?\n\r?\n/.exec(raw);
  const head = match === null ? raw : raw.slice(0, match.index);
  const body = match === null ? '' : raw.slice(match.index + match[0].length);
  const headers: Record<string, string> = {};
  // Unfold continuation lines first: a header may span several lines.
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] ??= decodeEncodedWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function collectBodies(entity: Entity, texts: string[], htmls: string[]): void {
  const contentType = entity.headers['content-type'] ?? 'text/plain';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (boundary === undefined) return;
    const sections = entity.body.split(`--${boundary}`);
    // sections[0] is the preamble; the one starting with `--` is the epilogue after the closing delimiter.
    for (const section of sections.slice(1)) {
      if (section.startsWith('--')) break;
      collectBodies(splitEntity(section.replace(/^\r?\n/, '')), texts, htmls);
    }
    return;
  }
  const decoded = decodeBody(entity.body, entity.headers['content-transfer-encoding'] ?? '7bit');
  if (mediaType === 'text/plain') texts.push(decoded);
  else if (mediaType === 'text/html') htmls.push(decoded);
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.trim().toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

function decodeQuotedPrintable(body: string): string {
  // Soft line breaks (`=` at the end of a line) join lines; `=XX` is one byte of the UTF-8 text.
  const joined = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
}

/** RFC 2047 `=?UTF-8?q?...?=` and `=?UTF-8?b?...?=` words in a header value. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g, (_word, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replaceAll('_', ' ')),
    );
}
