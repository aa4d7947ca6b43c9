import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Grafana itself cannot be installed here (no Debian package), so the dashboard is checked against Grafana's own
// published schema types (`@grafana/schema`, the v1 dashboard model) by the TypeScript compiler: written out as an
// object literal typed `Dashboard`, every field must exist in the schema with a value of its type (excess
// property checks included), and every enum-valued field must hold one of the enum's values.
const root = new URL('../../', import.meta.url).pathname;
const dir = join(root, 'test/deploy/.generated');

/**
 * What the v1 TypeScript model leaves out but Grafana itself writes and reads: the import-time `__inputs`,
 * `__requires` and `__elements` of an exported dashboard, a variable's `definition` (the query's display text),
 * and an ad-hoc variable's `filters` and `baseFilters`.
 */
function withoutFieldsTheModelOmits(dashboard: Record<string, unknown>): Record<string, unknown> {
  const { __inputs, __requires, __elements, ...rest } = dashboard;
  const templating = rest.templating as { list?: Record<string, unknown>[] } | undefined;
  const list = templating?.list?.map(({ definition, filters, baseFilters, ...variable }) => variable);
  return { ...rest, templating: { ...templating, list } };
}

describe('deploy/grafana/llmeter.json against Grafana’s schema', () => {
  it('typechecks as a @grafana/schema Dashboard', async () => {
    const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/llmeter.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'dashboard-schema-check.ts'),
      [
        "import type { Dashboard } from '@grafana/schema';",
        // The schema's enums (FieldColorModeId, …) as the string values JSON holds.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source text, written to a file.
        'type AsJson<T> = T extends string ? `${T}` : T extends (infer U)[] ? AsJson<U>[] : T extends object ? { [K in keyof T]: AsJson<T[K]> } : T;',
        `export const dashboard: AsJson<Dashboard> = ${JSON.stringify(withoutFieldsTheModelOmits(dashboard), null, 2)};`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../../../tsconfig.json', include: ['dashboard-schema-check.ts'] }),
    );
    const tsc = join(root, 'node_modules/.bin/tsc');
    const result = await promisify(execFile)(tsc, ['-p', join(dir, 'tsconfig.json'), '--noEmit']).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  });
});
