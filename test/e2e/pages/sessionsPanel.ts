/**
 * Page object for the Sessions tab, found as a user (or a screen reader) finds it: by the tab's name,
 * the region's name and the buttons' accessible names.
 */
import type { Locator } from 'playwright-core';
import type { WorkbenchPage } from './workbenchPage';

export class SessionsPanel {
  constructor(private readonly wb: WorkbenchPage) {}

  get region(): Locator {
    return this.wb.page.getByRole('region', { name: 'Sessions' });
  }

  async show(): Promise<void> {
    await this.wb.tab('Sessions').click();
    await this.region.waitFor();
  }

  /** Opens a session's runs (by its name, the toggle button's name). */
  async expand(name: string): Promise<void> {
    await this.wb.page.getByRole('button', { name, exact: true }).click();
    await this.wb.page.locator('[data-run]').first().waitFor();
  }

  runStatus(): Promise<string> {
    return this.wb.page.locator('[data-run] [data-test="run-status"]').first().innerText();
  }

  /** The Open button of a run, by its accessible name "Open run <id> (…)". */
  openButton(runId?: string): Locator {
    return this.wb.page.getByRole('button', { name: runId ? new RegExp(`^Open run ${runId} \\(`) : /^Open run / }).first();
  }

  async open(runId?: string): Promise<void> {
    await this.openButton(runId).click();
  }

  async resume(): Promise<void> {
    await this.wb.page
      .getByRole('button', { name: /^Resume run / })
      .first()
      .click();
  }

  /** A session action by its accessible name, e.g. action('Delete', 'Default session'). */
  action(verb: 'Rename' | 'Duplicate' | 'Delete', session: string): Locator {
    return this.wb.page.getByRole('button', { name: `${verb} session “${session}”`, exact: true });
  }
}
