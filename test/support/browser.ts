import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium: playwright-core drives it and downloads no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium for the browser tests. A missing browser fails the test with how to install
 * it, never skips it: the dashboard would otherwise go untested without anyone noticing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: the dashboard test needs Chromium. Install it as root with ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does this on a clean machine)',
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
