import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PAGE_DIR, PAGE_MODULES, readPageAsset } from './page-assets.js';

const PAGE_SOURCES = fileURLToPath(new URL('./page/', import.meta.url));

describe('page assets', () => {
  it('allow-lists exactly the modules of src/page, which the build compiles into the served folder', () => {
    const modules = readdirSync(PAGE_SOURCES)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => file.replace(/\.ts$/, '.js'));
    expect([...PAGE_MODULES].sort()).toEqual(modules.sort());
    expect(PAGE_DIR).toBe(fileURLToPath(new URL('../dist/page/', import.meta.url)));
    for (const module of PAGE_MODULES) {
      expect(existsSync(`${PAGE_DIR}${module}`), `${module} (npm run build makes it)`).toBe(true);
    }
  });

  it('reads nothing outside the allow-list', async () => {
    for (const name of ['page/main.ts', 'page/format.d.ts', 'page/../index.js', 'index.js', 'page-html.js', 'page/']) {
      expect(await readPageAsset(name), name).toBeUndefined();
    }
    expect((await readPageAsset('page/format.js'))?.body).toContain('export function formatUsd');
  });
});
