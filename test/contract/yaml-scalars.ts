/**
 * The scalar values of a YAML file, in document order, with their keys: enough to read the PromQL out of
 * Prometheus rule files and promtool test files (`record`, `alert`, `expr`, `series`, `labels`, annotations)
 * without a YAML dependency. Reads plain, single- and double-quoted scalars on one line and block scalars
 * (`|`, `>`, with chomping indicators); a key whose value is a mapping or a list yields nothing. Flow collections
 * and multi-line quoted scalars, which these files do not use, are not read: the tests that use this check they
 * found every `expr:` a plain line count finds.
 */
export interface YamlScalar {
  key: string;
  value: string;
  /** 1-based line of the key. */
  line: number;
}

const KEY_LINE = /^(\s*(?:-\s+)?)([A-Za-z_][\w-]*):(?:\s+(.*))?$/;

export function yamlScalars(text: string): YamlScalar[] {
  const lines = text.split('\n');
  const scalars: YamlScalar[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = KEY_LINE.exec(lines[i] ?? '');
    if (!match) continue;
    const line = i + 1;
    const keyColumn = (match[1] ?? '').length;
    const key = match[2] ?? '';
    const raw = (match[3] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const block = /^([|>])([+-]?)\d*(?:\s+#.*)?$/.exec(raw);
    if (block) {
      const body: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1] ?? '';
        if (next.trim() !== '' && next.length - next.trimStart().length <= keyColumn) break;
        body.push(next);
        i++;
      }
      const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
      const content = body.map((l) => l.slice(indent));
      const joined = block[1] === '|' ? content.join('\n') : foldLines(content);
      const chomped = block[2] === '+' ? joined : `${joined.trimEnd()}${block[2] === '-' ? '' : '\n'}`;
      scalars.push({ key, value: chomped, line });
      continue;
    }
    scalars.push({ key, value: inlineScalar(raw), line });
  }
  return scalars;
}

function inlineScalar(raw: string): string {
  if (raw.startsWith("'")) {
    const end = raw.lastIndexOf("'");
    return raw.slice(1, end).replaceAll("''", "'");
  }
  if (raw.startsWith('"')) {
    const end = raw.lastIndexOf('"');
    return JSON.parse(raw.slice(0, end + 1)) as string;
  }
  return raw.replace(/\s+#.*$/, '');
}

/** `>` folding: lines of one paragraph join with a space; an empty line is a line break. */
function foldLines(lines: readonly string[]): string {
  let result = '';
  let previousEmpty = true;
  for (const line of lines) {
    if (line.trim() === '') {
      result += '\n';
      previousEmpty = true;
    } else {
      result += previousEmpty ? line : ` ${line}`;
      previousEmpty = false;
    }
  }
  return result;
}
