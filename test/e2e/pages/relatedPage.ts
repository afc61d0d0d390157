/**
 * Page object for the Related-work view: tabs, buttons and facts are found by their visible names, as a
 * user (or a screen reader) finds them.
 */
import type { Locator, Page } from 'playwright-core';

export class RelatedPage {
  constructor(readonly page: Page) {}

  /** Opens the app and switches to the Related work view. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByTestId('app-info').waitFor({ timeout: 30_000 });
    await this.page.getByRole('tab', { name: 'Related work' }).click();
  }

  /** Selects one of the panels (Jacot NTK, Weighted NTK, Kernel regression, Recurrent NTK, Random features). */
  async panel(name: string): Promise<void> {
    await this.page.getByRole('tab', { name, exact: true }).click();
    await this.page.getByRole('region', { name }).waitFor();
  }

  button(name: string): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  /** Clicks an action and waits until the panel is no longer computing; returns the error shown, if any. */
  async compute(action: string, timeout = 120_000): Promise<string | null> {
    await this.button(action).click();
    await this.page.waitForFunction(() => !document.body.innerText.includes('Computing…'), undefined, { timeout });
    const err = this.page.getByTestId('related-error');
    return (await err.count()) > 0 ? ((await err.textContent()) ?? '').trim() : null;
  }

  fact(testid: string): Locator {
    return this.page.getByTestId(testid);
  }
}
