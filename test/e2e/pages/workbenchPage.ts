/**
 * Page object for the workbench screen: controls are found by their visible labels and button names,
 * exactly as a user (or a screen reader) finds them.
 */
import type { Locator, Page } from 'playwright-core';

/**
 * Browser notices that are not app errors. Empty now: the CSP meta no longer carries frame-ancestors,
 * the one directive Chromium complained about. Kept so specs can share one filter.
 */
export const KNOWN_BROWSER_NOTICES: RegExp[] = [];

/** Page and console errors that are real (known browser notices removed). */
export function realErrors(errors: readonly string[]): string[] {
  return errors.filter((e) => !KNOWN_BROWSER_NOTICES.some((re) => re.test(e)));
}

export class WorkbenchPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByRole('button', { name: 'Run', exact: true }).waitFor();
    // wait for app:info: the header shows the mode and backend once the API answered
    await this.page.getByTestId('app-info').waitFor({ timeout: 30_000 });
  }

  field(label: string): Locator {
    return this.page.getByLabel(label, { exact: true });
  }

  button(name: 'Run' | 'Pause' | 'Step' | 'Stop' | 'Reset'): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  async set(label: string, value: string): Promise<void> {
    await this.field(label).fill(value);
  }

  async choose(label: string, value: string): Promise<void> {
    await this.field(label).selectOption(value);
  }

  fieldError(key: string): Locator {
    return this.page.getByTestId(`error-${key}`);
  }

  async status(): Promise<string> {
    return ((await this.page.getByTestId('run-status').textContent()) ?? '').trim();
  }

  /**
   * Clicks Run and waits until the page shows the new run (its id), so that a status read next is the new
   * run's and not the one shown before the click (a finished run reads 'finished' until the new one starts).
   */
  async startRun(timeout = 60_000): Promise<string> {
    const before = (await this.page.getByTestId('run-status').getAttribute('data-run-id')) ?? '';
    await this.button('Run').click();
    await this.page.waitForFunction(
      (b) => {
        const id = document.querySelector('[data-testid="run-status"]')?.getAttribute('data-run-id') ?? '';
        return id !== '' && id !== b;
      },
      before,
      { timeout, polling: 50 },
    );
    return (await this.page.getByTestId('run-status').getAttribute('data-run-id')) ?? '';
  }

  async waitForStatus(statuses: string[], timeout = 60_000): Promise<string> {
    await this.page.waitForFunction((s) => s.includes(document.querySelector('[data-testid="run-status"]')?.textContent?.trim() ?? ''), statuses, {
      timeout,
      polling: 50,
    });
    return this.status();
  }

  /** The last training loss shown (NaN while none). */
  async lastLoss(): Promise<number> {
    const v = await this.page.getByTestId('last-loss').getAttribute('data-value');
    return v === null || v === '' ? NaN : Number(v);
  }

  /** The first training loss of the current run (NaN while none). */
  async firstLoss(): Promise<number> {
    const v = await this.page.getByTestId('first-loss').getAttribute('data-value');
    return v === null || v === '' ? NaN : Number(v);
  }

  /** How many metric records the page holds for the current run. */
  async recordCount(): Promise<number> {
    return Number((await this.page.getByTestId('loss-points').getAttribute('data-value')) ?? '0');
  }

  /** Starts recording every distinct record count the page shows (read with seenRecordCounts). */
  async watchRecordCounts(): Promise<void> {
    await this.page.evaluate(() => {
      const el = document.querySelector('[data-testid="loss-points"]')!;
      const w = window as unknown as { __counts: number[] };
      w.__counts = [Number(el.getAttribute('data-value') ?? '0')];
      new MutationObserver(() => {
        const v = Number(el.getAttribute('data-value') ?? '0');
        if (v !== w.__counts[w.__counts.length - 1]) w.__counts.push(v);
      }).observe(el, { attributes: true });
    });
  }

  async seenRecordCounts(): Promise<number[]> {
    return this.page.evaluate(() => (window as unknown as { __counts: number[] }).__counts);
  }

  async waitForRecords(atLeast: number, timeout = 60_000): Promise<void> {
    await this.page.waitForFunction((n) => Number(document.querySelector('[data-testid="loss-points"]')?.getAttribute('data-value') ?? '0') >= n, atLeast, {
      timeout,
      polling: 100,
    });
  }

  async progressStep(): Promise<number> {
    const t = (await this.page.getByTestId('progress-steps').textContent()) ?? '';
    const m = /step ([\d,]+)/.exec(t);
    return m ? Number(m[1]!.replace(/,/g, '')) : NaN;
  }

  tab(name: string): Locator {
    return this.page.getByRole('tab', { name, exact: true });
  }

  /**
   * Chooses a file in the CSV field (as the file picker would) and waits until the field shows THIS file
   * checked (its name, no "checking"), not the previous file's verdict still on screen.
   */
  async chooseCsv(name: string, text: string): Promise<void> {
    await this.page.getByLabel('CSV file', { exact: true }).setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    await this.page.waitForFunction(
      (n) => {
        const shown = document.querySelector('[data-testid="csv-name"]')?.textContent?.trim() ?? '';
        const status = document.querySelector('[data-testid="csv-status"]')?.textContent ?? '';
        return shown.startsWith(n) && !status.includes('checking');
      },
      name,
      { polling: 50 },
    );
  }

  /** The messages under the CSV field. */
  async csvError(): Promise<string> {
    return ((await this.fieldError('csvText').textContent()) ?? '').trim();
  }

  /** Waits until the theory panel shows numbers for the form as it is now (the preview has arrived). */
  async waitForTheory(timeout = 60_000): Promise<void> {
    await this.page.waitForFunction(
      () => {
        const w = document.querySelector('[data-testid="theory-waiting"]');
        const v = document.querySelector('[data-testid="theory-lambda0"]')?.textContent?.trim() ?? '—';
        return w === null && v !== '—';
      },
      undefined,
      { timeout, polling: 100 },
    );
  }
}
