import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_STYLE } from './page-style.js';

/**
 * The page's ES modules, compiled from `src/page/*.ts` by the package build: the only files served from the
 * `page/` folder (with their source maps). A test checks this list against `src/page`.
 */
export const PAGE_MODULES: readonly string[] = [
  'main.js',
  'charts.js',
  'filters.js',
  'format.js',
  'page-data.js',
  'table.js',
];

/**
 * Where the compiled page is. From `dist/` (the package as installed) it is `dist/page/`, beside this module;
 * from `src/` (the sources, run by vitest) it is the build's `../dist/page/` too: `npm run build` makes it.
 */
export const PAGE_DIR: string = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../dist/page/' : './page/', import.meta.url),
);

/** A file the dashboard serves. */
export interface PageAsset {
  body: string;
  contentType: string;
  /** The page's own files change with the package; uPlot's only with its version. */
  cacheControl: string;
}

/** A file of the page that should be there could not be read (the page not built, uplot not installed). */
export class DashboardAssetError extends Error {
  override readonly name = 'DashboardAssetError';
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const OWN = 'no-cache';
const UPLOT = 'public, max-age=86400';

/**
 * The file at `name` (a path under the dashboard's mount point, without the leading `/`), or undefined when the
 * dashboard has no such file: only the allow-listed names are ever read from disk.
 * @throws {DashboardAssetError} when an allow-listed file cannot be read.
 */
export async function readPageAsset(name: string): Promise<PageAsset | undefined> {
  if (name === 'dashboard.css') return { body: DASHBOARD_STYLE, contentType: CSS, cacheControl: OWN };
  if (name === 'uplot.js') return uplotAsset('uplot/dist/uPlot.iife.min.js', JS);
  if (name === 'uplot.css') return uplotAsset('uplot/dist/uPlot.min.css', CSS);
  if (!name.startsWith('page/')) return undefined;
  const file = name.slice('page/'.length);
  const isMap = file.endsWith('.map');
  if (!PAGE_MODULES.includes(isMap ? file.slice(0, -'.map'.length) : file)) return undefined;
  const body = await cachedRead(
    `${PAGE_DIR}${file}`,
    () => `the dashboard page is not built (no ${file} in ${PAGE_DIR}): run npm run build`,
  );
  return { body, contentType: isMap ? 'application/json; charset=utf-8' : JS, cacheControl: OWN };
}

async function uplotAsset(specifier: string, contentType: string): Promise<PageAsset> {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve(specifier);
  } catch (error) {
    throw new DashboardAssetError(`${specifier} is not installed; the dashboard's charts need the uplot package`, {
      cause: error,
    });
  }
  const body = await cachedRead(path, () => `cannot read ${specifier}`);
  return { body, contentType, cacheControl: UPLOT };
}

const files = new Map<string, Promise<string>>();

// Read once; a failed read is forgotten, so the next request tries again (after a build, say).
async function cachedRead(path: string, explain: () => string): Promise<string> {
  let file = files.get(path);
  if (!file) {
    file = readFile(path, 'utf8');
    files.set(path, file);
    file.catch(() => files.delete(path));
  }
  try {
    return await file;
  } catch (error) {
    throw new DashboardAssetError(explain(), { cause: error });
  }
}
