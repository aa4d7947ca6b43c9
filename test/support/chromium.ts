import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian's `chromium` package (`apt-get install -y chromium`, as `.ci/run` does) puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

// Headless in a container: no sandbox (no user namespaces), no GPU, and nothing that talks to the network on its own.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches the system Chromium through `playwright-core` (which downloads no browser of its own).
 * @throws Error naming the install command when Chromium is missing, rather than playwright's long message.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}
