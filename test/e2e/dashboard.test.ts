import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.js';
import { bundleDashboard, WebBundleError } from '../../local/runtime/web-assets.js';
import { launchChromium } from '../support/browser.js';
import { until as waitUntil } from '../support/until.js';

/** As fast as the machine goes: about 0.1 s per 5 trace minutes. */
const SPEED = 100_000;
const OUTPUT = 'test-output';

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) =>
  waitUntil(what, probe, timeoutMs);

type ChartName = 'demand' | 'capacity' | 'scenario';
/** What web/app.ts exposes on `window` (this file is type-checked without the DOM library). */
type DashboardGlobal = {
  twinscale: { charts: Record<ChartName, { data: ArrayLike<number | null | undefined>[] }> };
};

/** A chart's data as the page's uPlot instance holds it: x, then each series (null or undefined: no value). */
const chartData = (page: Page, chart: ChartName) =>
  page.evaluate(
    (name) =>
      (globalThis as unknown as DashboardGlobal).twinscale.charts[name].data.map((ys) => Array.from(ys)),
    chart,
  );

/** Values (not gaps) in each series of a chart. */
const valuesPerSeries = async (page: Page, chart: ChartName) =>
  (await chartData(page, chart)).slice(1).map((ys) => ys.filter((v) => v !== null && v !== undefined).length);

/** A number the page writes in a data attribute (data-points, data-markers, data-t). */
const numberIn = async (page: Page, selector: string, attribute: string) =>
  Number(await page.locator(selector).getAttribute(attribute));

describe('Function: bundleDashboard', () => {
  it('throws a WebBundleError naming the file and line when the page does not compile', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'twinscale-web-'));
    const entry = join(dir, 'app.ts');
    writeFileSync(entry, 'const ok = 1;\nconst broken: number = ;\n');

    // Act
    const bundle = () => bundleDashboard(entry);

    // Assess
    try {
      expect(bundle).toThrow(WebBundleError);
      expect(bundle).toThrow(/could not be bundled:\n.*app\.ts:2:\d+: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the dashboard in a real browser, on the local runtime', () => {
  const home = mkdtempSync(join(tmpdir(), 'twinscale-dashboard-'));
  const pageErrors: string[] = [];
  let browser: Browser;
  let rt: Runtime;
  let page: Page;

  beforeAll(async () => {
    // the browser first: without Chromium the test fails at once, with how to install it
    browser = await launchChromium();
    rt = await startRuntime({ home, host: '127.0.0.1', port: 0, speed: SPEED }, () => {});
    await until('the first decisions', async () => {
      const r = await fetch(`${rt.url}/twins/checkout/decisions?limit=1`);
      return ((await r.json()) as { items?: unknown[] }).items?.length ? true : undefined;
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${rt.url}/#twin=checkout`);
  });

  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test("draws the twin's demand, forecast band and capacity with its decisions from the API", async () => {
    // Act: the page loads and refreshes on its own
    await until('decision markers', async () =>
      (await numberIn(page, '#capacity-chart', 'data-markers')) > 0 ? true : undefined,
    );

    // Assess
    const [p10, p90, p50, demand] = await valuesPerSeries(page, 'demand');
    expect(demand).toBeGreaterThan(200); // a day of 5-minute samples is 288
    expect(Math.min(p10, p90, p50)).toBeGreaterThan(0);
    const [capacity, , scaled, failed, recordedOnly] = await valuesPerSeries(page, 'capacity');
    expect(capacity).toBeGreaterThan(0);
    expect(scaled + failed + recordedOnly).toBeGreaterThan(0);
    expect(await page.locator('#demand-chart canvas').count()).toBe(1);
    const rows = page.getByTestId('decision-row');
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await rows.first().locator('td').nth(3).textContent()).toMatch(/\w/); // bound by
    expect(await page.locator('#twin-heading').textContent()).toBe('checkout');
    expect(await page.locator('#clock').textContent()).toMatch(/^Trace time 2026-11-\d\d \d\d:\d\d UTC$/);
    expect(await page.getByTestId('errors').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  test('moves with the runtime clock', async () => {
    const before = await numberIn(page, '#clock', 'data-t');

    const after = await until('the next refresh', async () => {
      const t = await numberIn(page, '#clock', 'data-t');
      return t > before ? t : undefined;
    });

    expect(after).toBeGreaterThan(before);
  });

  test('shows the dependency graph, and says when there is no drift and no violation', async () => {
    await page.waitForSelector('#graph svg');

    expect(await page.locator('#graph [data-node]').count()).toBe(3);
    expect(await page.locator('#graph line.edge').count()).toBe(2);
    expect(await page.locator('#graph-edges li').allTextContents()).toEqual(
      expect.arrayContaining(['storefront calls checkout', 'feed-ingest calls checkout']),
    );
    expect(await page.locator('#drift-body').textContent()).toContain('None');
    expect(await page.locator('#violations-body').textContent()).toContain('None');
  });

  test('runs a what-if from the form and draws it over the baseline, with the scores side by side', async () => {
    // Prepare: demand doubled from hour 9 to 12 of the replayed day, 3 instances lost at hour 10
    await page.getByLabel('Days replayed').fill('1');
    await page.getByLabel('Surge factor (×)').fill('2');
    await page.getByLabel('Surge from hour').fill('9');
    await page.getByLabel('Surge until hour').fill('12');
    await page.getByLabel('Instances lost').fill('3');
    await page.getByLabel('Lost at hour').fill('10');

    // the first poll of the run is held, so the page is seen while the scenario runs
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/scenarios/*', async (route) => {
      await held;
      await route.continue();
    });

    // Act
    await page.getByRole('button', { name: 'Run scenario' }).click();
    await page.locator('#scenario-progress').waitFor({ state: 'visible' });
    const whileRunning = await page.locator('#scenario-status').getAttribute('data-state');
    release();
    await page.waitForSelector('#scenario-status:is([data-state="succeeded"], [data-state="failed"])', {
      timeout: 30_000,
    });
    await page.unroute('**/scenarios/*');

    // Assess
    expect(whileRunning).toBe('running');
    expect(await page.locator('#scenario-progress').isHidden()).toBe(true);
    expect(await page.locator('#scenario-status').textContent()).toMatch(/^Scenario \S+ on checkout done/);
    const [, asItWas, whatIf] = (await chartData(page, 'scenario')) as number[][];
    expect(asItWas).toHaveLength(288); // a day in 5-minute slots
    // hours 9 to 12 are slots 108 to 143: the what-if's demand is the baseline's doubled there, only there
    for (let slot = 108; slot < 144; slot++) expect(whatIf[slot]).toBeCloseTo(2 * asItWas[slot], 0);
    expect(whatIf.slice(0, 108)).toEqual(asItWas.slice(0, 108));
    expect(whatIf.slice(144)).toEqual(asItWas.slice(144));
    const header = await page.locator('#scenario-scores-head th').allTextContents();
    expect(header).toEqual(
      expect.arrayContaining(['twin: as it was', 'twin: what-if', 'target-tracking: as it was']),
    );
    const breach = await page
      .locator('#scenario-scores-body tr[data-score="breachMinutes"] td')
      .allTextContents();
    expect(breach).toHaveLength(4);
    for (const cell of breach) expect(cell).toMatch(/^[\d,]+$/);
    // a verdict per policy against the default SLO (1 % of the day's 1,440 minutes)
    expect(await page.locator('#scenario-slo').textContent()).toContain('at most 14 breach minutes');
    expect(
      await page
        .locator('#scenario-verdicts li')
        .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-policy'))),
    ).toEqual(['twin', 'target-tracking']);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
  });

  test("shows the API's message when it refuses a scenario", async () => {
    // Prepare: a surge that ends before it starts
    await page.getByLabel('Surge from hour').fill('12');
    await page.getByLabel('Surge until hour').fill('9');

    // Act
    await page.getByRole('button', { name: 'Run scenario' }).click();
    await page.waitForSelector('#scenario-status[data-state="failed"]');

    // Assess
    expect(await page.locator('#scenario-status').textContent()).toContain(
      'toMinute must be after fromMinute',
    );
    // the previous test's result is not left under the error, as if it were this one's
    expect(await page.locator('#scenario-result').isHidden()).toBe(true);
  });

  test('runs a scenario written in YAML: a flash crowd in the forecast, a second policy, each with its verdict', async () => {
    // Prepare: two forecast hours after the replayed day; a flash crowd 30 minutes into them, while
    // the metrics are out, and a policy with half again as much headroom beside the live one
    await page.getByText('Or write the scenario (YAML or JSON)').click();
    await page
      .getByLabel('Scenario document')
      .fill(
        [
          'days: 1',
          'forecastHours: 2',
          'whatIf:',
          '  demand:',
          '    - { kind: flash-crowd, atMinute: 1470, peak: 3, riseMinutes: 5, decayMinutes: 60, decay: linear }',
          '  metricOutages:',
          '    - { fromMinute: 1470, toMinute: 1480 }',
          'policies:',
          '  - name: twin',
          '  - name: roomy',
          '    settings: { headroom: 0.5 }',
          'slo: { maxBreachMinutes: 30 }',
          '',
        ].join('\n'),
      );

    // Act
    await page.getByRole('button', { name: 'Run scenario' }).click();
    await page.waitForSelector('#scenario-status:is([data-state="succeeded"], [data-state="failed"])', {
      timeout: 60_000,
    });

    // Assess: the status, then the chart: a day and two hours of slots, the crowd only in slots 294–306
    expect(await page.locator('#scenario-status').textContent()).toMatch(/^Scenario \S+ on checkout done/);
    const data = (await chartData(page, 'scenario')) as number[][];
    const [, asItWas, whatIf] = data;
    expect(asItWas).toHaveLength(312);
    expect(whatIf.slice(0, 294)).toEqual(asItWas.slice(0, 294));
    expect(whatIf.slice(307)).toEqual(asItWas.slice(307));
    for (let slot = 295; slot < 306; slot++) expect(whatIf[slot]).toBeGreaterThan(asItWas[slot]);
    // demand twice, the first policy's fleet twice, then roomy's and target tracking's
    expect(data).toHaveLength(7);
    expect(await numberIn(page, '#scenario-chart', 'data-policies')).toBe(3);
    const forecastFrom = await numberIn(page, '#scenario-chart', 'data-forecast-from');
    expect(forecastFrom / 1000).toBe(data[0][288]);
    expect(await page.locator('#scenario-window').textContent()).toContain("the twin's forecast");
    const header = await page.locator('#scenario-scores-head th').allTextContents();
    expect(header).toEqual(expect.arrayContaining(['roomy: as it was', 'roomy: what-if']));
    const verdicts = page.locator('#scenario-verdicts li');
    expect(await verdicts.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-policy')))).toEqual([
      'twin',
      'roomy',
      'target-tracking',
    ]);
    for (const text of await verdicts.allTextContents())
      expect(text).toMatch(
        /^\S+: (holds the SLO \(\d+ breach minutes, at most 30\)|does not hold the SLO \(\d+ breach minutes, at most 30\)\. (Would hold with|Nothing tried holds|maxInstances))/,
      );
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-scenario.png'), fullPage: true });
  });

  test("shows the sample tenant group's forecast band, and plans its next day by instance type", async () => {
    // Prepare: the sample twins share the tenant tag (local/runtime/sample-twins.ts)
    const group = page.locator('[data-testid="group"][data-tenant="acme"]');
    await group.waitFor({ timeout: 30_000 });
    expect(await numberIn(page, '[data-testid="group-band"]', 'data-points')).toBe(24);

    // Act
    await group.locator('[data-testid="plan-button"]').click();

    // Assess: 24 hours × the types used, and what the simulator made of the plan
    const table = page.locator('[data-testid="group"][data-tenant="acme"] [data-testid="plan-table"]');
    await table.waitFor({ timeout: 30_000 });
    expect(await table.locator('tbody tr').count()).toBe(24);
    expect(await table.locator('thead th').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('[data-testid="plan-summary"]').textContent()).toMatch(
      /^(Recommended|Failed the simulator check): p90 at 60 % utilization, [\d.,]+ USD for the day/,
    );
    expect(pageErrors).toEqual([]);
  });

  test('switching twin redraws the charts with that twin', async () => {
    await page.getByLabel('Twin').selectOption('storefront');

    await until('the twin redrawn', async () =>
      (await page.locator('#twin-heading').textContent()) === 'storefront' &&
      (await numberIn(page, '#demand-chart', 'data-points')) > 0
        ? true
        : undefined,
    );

    expect(page.url()).toContain('#twin=storefront');
    expect(await page.getByTestId('scenario-status').getAttribute('data-state')).toBe('idle');
  });
});
