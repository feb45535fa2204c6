// The update notice as an admin meets it: a newer version offered with what changed, one
// button that installs and restarts, progress while it downloads, and refusals in plain words
// (a sync running, a bundle that fails verification) with the notice kept for another try.
// Being offline is one quiet line; up to date, nothing shows. Mounted against the fake backend.
import { describe, expect, it } from 'vitest';

import App from '../App.svelte';
import { createFakeBackend } from '../lib/backend/fake';
import { createFakeUpdates, fakeAvailable, type FakeUpdateOptions } from '../lib/backend/fake-update';
import UpdateNotice from '../lib/UpdateNotice.svelte';
import { click, has, settle, show, text } from './page';

const BUSY = {
  code: 'busy',
  message: 'A sync of "northwind" is running, so the update was not installed. It will be offered again when the sync finishes; nothing was changed.',
};
const UNVERIFIED = {
  code: 'update_unverified',
  message: 'This update could not be verified and was not installed. The download of Rollcall 0.2.0 does not carry a valid signature from the Rollcall project.',
};

async function notice(options: FakeUpdateOptions) {
  const updates = createFakeUpdates(options);
  const page = show(UpdateNotice, { backend: updates.methods });
  await settle();
  return { page, record: updates.record };
}

describe('the update notice', () => {
  it('offers a newer version with what changed and installs and restarts on one click', async () => {
    const { page, record } = await notice({
      check: fakeAvailable({ version: '0.2.0', notes: 'Faster reads.\nA clearer history.' }),
      progress: [{ downloaded: 5 * 1024 * 1024, total: 10 * 1024 * 1024 }],
    });
    expect(record.checks).toBe(1);
    expect(text(page, 'update-title')).toBe('Rollcall 0.2.0 is available');
    expect(text(page, 'update-notes')).toContain('Faster reads.');
    expect(text(page, 'update-install')).toBe('Install and restart');
    expect(record.installs).toBe(0);

    click(page, 'update-install');
    expect(text(page, 'update-progress')).toContain('Downloading and checking the signature');
    await settle();
    expect(record.installs).toBe(1);
    expect(record.restarts).toBe(1);
    expect(text(page, 'update-installed')).toContain('Rollcall 0.2.0 is installed');
  });

  it('shows how far the download is', async () => {
    const updates = createFakeUpdates({ check: fakeAvailable() });
    const reporter: { report: (progress: { downloaded: number; total: number | null }) => void } = { report: () => {} };
    const held = new Promise<never>(() => {});
    const page = show(UpdateNotice, {
      backend: {
        ...updates.methods,
        installUpdate: (onProgress) => {
          reporter.report = onProgress;
          return held;
        },
      },
    });
    await settle();
    click(page, 'update-install');
    reporter.report({ downloaded: 3 * 1024 * 1024, total: 12 * 1024 * 1024 });
    await settle();
    expect(text(page, 'update-progress')).toContain('25% (3.0 MB of 12.0 MB)');
    expect(page.querySelector('progress')?.value).toBe(25);
    expect(page.querySelector<HTMLButtonElement>('[data-testid="update-install"]')?.disabled).toBe(true);
  });

  it('refuses while a sync runs, says so, and installs when asked again after it', async () => {
    const { page, record } = await notice({ check: fakeAvailable(), installs: [BUSY, { kind: 'installed', version: '0.2.0' }] });
    click(page, 'update-install');
    await settle();
    expect(text(page, 'update-message')).toBe(BUSY.message);
    expect(record.restarts).toBe(0);
    expect(text(page, 'update-title')).toBe('Rollcall 0.2.0 is available');

    click(page, 'update-install');
    await settle();
    expect(record.installs).toBe(2);
    expect(record.restarts).toBe(1);
    expect(has(page, 'update-message')).toBe(false);
  });

  it('refuses a bundle that fails verification and installs nothing', async () => {
    const { page, record } = await notice({ check: fakeAvailable(), installs: [UNVERIFIED] });
    click(page, 'update-install');
    await settle();
    expect(text(page, 'update-message')).toMatch(/^This update could not be verified and was not installed\./);
    expect(record.restarts).toBe(0);
    expect(has(page, 'update-installed')).toBe(false);
  });

  it('in demo mode says the bundle was downloaded and verified and restarts nothing', async () => {
    const message = 'Rollcall 0.2.0 was downloaded and its signature verified. Demo mode does not install updates, so nothing was changed.';
    const { page, record } = await notice({ check: fakeAvailable(), installs: [{ kind: 'verified', version: '0.2.0', message }] });
    click(page, 'update-install');
    await settle();
    expect(text(page, 'update-message')).toBe(message);
    expect(record.restarts).toBe(0);
    expect(has(page, 'update-install')).toBe(false);
  });

  it('offers a restart again when the restart itself had to wait', async () => {
    const { page, record } = await notice({ check: fakeAvailable(), restartError: BUSY });
    click(page, 'update-install');
    await settle();
    expect(text(page, 'update-installed')).toContain('used once Rollcall restarts');
    expect(text(page, 'update-message')).toBe(BUSY.message);
    click(page, 'update-restart');
    await settle();
    expect(record.restarts).toBe(2);
  });

  it('says in one quiet line when the update server cannot be reached', async () => {
    const line = 'Rollcall could not reach its update server (this computer may be offline), so it does not know whether a newer version is out.';
    const { page } = await notice({ check: { kind: 'unreachable', message: line } });
    expect(text(page, 'update-unreachable')).toBe(line);
    expect(has(page, 'update-notice')).toBe(false);
    expect(page.querySelector('[role="alert"]')).toBeNull();
  });

  it('shows nothing when Rollcall is up to date or did not check', async () => {
    for (const check of [{ kind: 'up_to_date' }, { kind: 'not_checked' }] as const) {
      const { page } = await notice({ check });
      expect(page.textContent?.trim()).toBe('');
    }
  });

  it('is on the window from the start, above the wizard', async () => {
    const backend = createFakeBackend({ update: { check: fakeAvailable({ version: '0.3.1' }) } });
    const page = show(App, { backend });
    await settle();
    expect(backend.updates.checks).toBe(1);
    expect(text(page, 'update-title')).toBe('Rollcall 0.3.1 is available');
    expect(has(page, 'step-title')).toBe(true);
  });
});
