/**
 * Page object for the Experiments view: presets, fields and buttons by their visible names, the progress
 * line, the verdict badge and the figures by test id.
 */
import type { Locator, Page } from 'playwright-core';

export class ExperimentsPage {
  constructor(readonly page: Page) {}

  /** Opens the app and switches to the Experiments view. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByTestId('app-info').waitFor({ timeout: 30_000 });
    await this.page.getByRole('tab', { name: 'Experiments' }).click();
  }

  /** Selects a preset by its id (E1 … E9, E2-orth, E4-orth). */
  async preset(id: string): Promise<void> {
    await this.page.getByRole('tab', { name: new RegExp(`^${id} · `) }).click();
    await this.page.getByTestId('experiment-claim').waitFor();
  }

  field(label: string): Locator {
    return this.page.getByLabel(label, { exact: true });
  }

  /** Clicks Run and waits for the verdict badge; returns its text. */
  async run(id: string, timeout = 240_000): Promise<string> {
    await this.page.getByRole('button', { name: `Run ${id}`, exact: true }).click();
    const verdict = this.page.getByTestId('experiment-verdict');
    await verdict.waitFor({ timeout });
    return (await verdict.textContent()) ?? '';
  }

  progress(): Locator {
    return this.page.getByTestId('experiment-progress');
  }

  /** Opens the Sweep form (a grid over any config fields). */
  async sweep(): Promise<void> {
    await this.page.getByRole('tab', { name: /^Sweep · / }).click();
    await this.page.getByTestId('sweep-form').waitFor();
  }

  /** Clicks Run sweep and waits until the progress line says it finished; returns that line. */
  async runSweep(timeout = 240_000): Promise<string> {
    await this.page.getByRole('button', { name: 'Run sweep', exact: true }).click();
    const line = this.page.getByTestId('sweep-progress');
    await this.page.getByText(/^(Finished|Failed|Cancelled): /).waitFor({ timeout });
    return (await line.textContent()) ?? '';
  }
}
