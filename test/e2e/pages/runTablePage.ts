/** Page object for the Run table view: found by accessible names, as a user or a screen reader finds it. */
import type { Locator, Page } from 'playwright-core';

export class RunTablePage {
  constructor(readonly page: Page) {}

  get table(): Locator {
    return this.page.getByRole('table', { name: 'Runs', exact: true });
  }

  async open(): Promise<void> {
    await this.page.getByRole('tab', { name: 'Run table', exact: true }).click();
    await this.table.waitFor();
  }

  async filter(expr: string): Promise<void> {
    await this.page.getByLabel('Filter runs', { exact: true }).fill(expr);
  }

  async filterError(): Promise<string> {
    return ((await this.page.getByTestId('filter-error').textContent()) ?? '').trim();
  }

  async waitForRows(n: number, timeout = 30_000): Promise<void> {
    await this.page.waitForFunction((k) => document.querySelectorAll('table[aria-label="Runs"] tbody tr').length === k, n, { timeout, polling: 100 });
  }

  /** The shown cells of a column, by its header's id (the name a filter uses). */
  async column(id: string): Promise<string[]> {
    return this.page.evaluate((colId) => {
      const t = document.querySelector('table[aria-label="Runs"]')!;
      const heads = [...t.querySelectorAll('thead th')];
      const k = heads.findIndex((h) => h.querySelector('button')?.getAttribute('title')?.startsWith(`${colId} `));
      return [...t.querySelectorAll('tbody tr')].map((tr) => tr.children[k]?.textContent?.trim() ?? '');
    }, id);
  }

  async selectAllShown(): Promise<void> {
    await this.page.getByRole('checkbox', { name: 'Select all shown runs' }).check();
  }

  async clearSelection(): Promise<void> {
    const clear = this.page.getByRole('button', { name: 'Clear selection', exact: true });
    if (await clear.isEnabled()) await clear.click();
  }

  /** The names of the series a comparison chart (by its test id) draws now (its cell lists them in data-series). */
  async chartSeriesNames(testid: string): Promise<string[]> {
    const raw = await this.page.getByTestId(testid).locator('xpath=..').getAttribute('data-series');
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  /** Every field of the configuration form: its label and value. */
  async formValues(): Promise<Record<string, string | boolean>> {
    return this.page.evaluate(() => {
      const out: Record<string, string | boolean> = {};
      const form = document.querySelector('form[aria-label="Configuration"]')!;
      for (const el of form.querySelectorAll('input, select')) {
        const e = el as HTMLInputElement;
        if (!e.id.startsWith('cfg-') || e.type === 'file') continue;
        out[e.id] = e.type === 'checkbox' ? e.checked : e.value;
      }
      return out;
    });
  }
}
