// The home screen as an admin meets it: the window opens on it once a connection has a
// learning platform (on the wizard otherwise), each connection's last and next sync, the
// client secret's countdown, the platform's health, the way into the wizard to change a part,
// and the safety limits. Mounted against the fake backend.
import { describe, expect, it } from 'vitest';

import App from '../App.svelte';
import { createFakeBackend, fakeConnection, fakeRun, counts, CONSENT_MISSING, type FakeSyncOptions } from '../lib/backend/fake';
import Home from '../routes/home/Home.svelte';
import { all, byTestId, click, has, settle, show, text, type } from './page';

async function openApp(sync: FakeSyncOptions) {
  const backend = createFakeBackend({ sync });
  const page = show(App, { backend });
  await settle();
  return { backend, page };
}

async function openHome(sync: FakeSyncOptions) {
  const backend = createFakeBackend({ sync });
  const edits: { profile: string; part: string }[] = [];
  let setUps = 0;
  const page = show(Home, {
    backend,
    connections: sync.connections ?? [],
    onSetUp: () => (setUps += 1),
    onEdit: (profile: string, part: string) => edits.push({ profile, part }),
    onRefresh: () => {},
  });
  await settle();
  return { backend, page, edits, setUps: () => setUps };
}

describe('the window opens', () => {
  it('on the home screen when a connection has a learning platform', async () => {
    const { backend, page } = await openApp({ connections: [fakeConnection()] });
    expect(backend.sync.record.connectionLists).toBe(1);
    expect(has(page, 'home')).toBe(true);
    expect(has(page, 'step-title')).toBe(false);
    expect(text(page, 'connection-name')).toBe('northwind');
  });

  it('on the wizard when no connection has a learning platform yet', async () => {
    const { page } = await openApp({ connections: [fakeConnection({ target: null })] });
    expect(has(page, 'home')).toBe(false);
    expect(text(page, 'step-title')).toContain('Connect Microsoft Entra ID');
    expect(has(page, 'wizard-home')).toBe(false);
  });

  it('opens the wizard at the step to change and comes back home from it', async () => {
    const { page } = await openApp({ connections: [fakeConnection()] });
    click(page, 'edit-audience');
    await settle();
    expect(text(page, 'step-title')).toBe('Who gets an account?');
    // The step acts on the connection being changed, not a new one.
    expect(has(page, 'audience-needs-save')).toBe(false);
    click(page, 'wizard-home');
    await settle();
    expect(has(page, 'home')).toBe(true);
  });

  it('opens the wizard at Welcome to set up another connection', async () => {
    const { page } = await openApp({ connections: [fakeConnection()] });
    click(page, 'set-up-another');
    await settle();
    expect(text(page, 'step-title')).toContain('Connect Microsoft Entra ID');
    expect(has(page, 'wizard-home')).toBe(true);
  });
});

describe('a connection on the home screen', () => {
  it('shows the last sync with its counts and problems, and no schedule yet', async () => {
    const last = fakeRun({ applied: counts({ create: 8, adopt: 2, update: 6, deactivate: 3 }), errors: 2, held: 0, outcome: 'problems' });
    const { page } = await openHome({ connections: [fakeConnection({ last_run: last })] });
    expect(text(page, 'last-sync-counts')).toBe('10 new, 6 changed, 0 switched back on, 3 switched off');
    expect(text(page, 'last-sync-outcome')).toBe('Done with problems');
    expect(text(page, 'last-sync-problems')).toContain('2 problems');
    expect(text(page, 'next-sync')).toContain('No schedule yet');
    expect(byTestId(page, 'sync-now').className).toContain('primary');
    expect(all(page, 'sync-now')).toHaveLength(1);
  });

  it('says when a connection has never synced', async () => {
    const { page } = await openHome({ connections: [fakeConnection({ last_run: null })] });
    expect(text(page, 'last-sync-never')).toBe('Never synced yet');
  });

  it('counts down to the client secret expiry, warning from 30 days and alarmed once expired', async () => {
    const cases: [number, string, string][] = [
      [120, 'ok', 'expires in 120 days'],
      [12, 'warning', 'expires in 12 days'],
      [-3, 'error', 'expired'],
    ];
    for (const [days, level, words] of cases) {
      document.body.innerHTML = '';
      const { page } = await openHome({ connections: [fakeConnection({ secret_days_left: days })] });
      expect(byTestId(page, 'secret-expiry').dataset.level).toBe(level);
      expect(text(page, 'secret-expiry')).toContain(words);
    }
  });

  it('checks the learning platform: "Working", or what is wrong with how to fix it', async () => {
    const good = await openHome({ connections: [fakeConnection()] });
    expect(good.backend.sync.record.targetChecks).toEqual(['northwind']);
    expect(text(good.page, 'platform-working')).toBe('Working');

    document.body.innerHTML = '';
    const bad = await openHome({ connections: [fakeConnection()], targetDiagnoses: [{ ...CONSENT_MISSING, code: 'target_token_rejected', title: 'The platform refused the token' }] });
    expect(has(bad.page, 'platform-working')).toBe(false);
    expect(text(bad.page, 'diagnosis-target_token_rejected')).toContain('The platform refused the token');
  });

  it('lists several connections, each opening its own page', async () => {
    const { page } = await openHome({ connections: [fakeConnection(), fakeConnection({ name: 'staff-only', last_run: null })] });
    expect(all(page, 'connection-entry')).toHaveLength(2);
    all(page, 'connection-entry')[1].click();
    await settle();
    expect(text(page, 'connection-name')).toBe('staff-only');
    click(page, 'all-connections');
    expect(all(page, 'connection-entry')).toHaveLength(2);
  });

  it('asks to edit the wizard parts by their step id', async () => {
    const { page, edits } = await openHome({ connections: [fakeConnection()] });
    click(page, 'edit-platform');
    click(page, 'edit-mapping');
    click(page, 'edit-audience');
    expect(edits).toEqual([
      { profile: 'northwind', part: 'platform' },
      { profile: 'northwind', part: 'mapping' },
      { profile: 'northwind', part: 'audience' },
    ]);
  });
});

describe('safety limits', () => {
  it('checks each field as typed and saves whole numbers only', async () => {
    const { backend, page } = await openHome({ connections: [fakeConnection()], safety: { max_deactivations: 50, max_deactivation_percent: 10 } });
    click(page, 'edit-safety');
    await settle();
    expect(byTestId<HTMLInputElement>(page, 'safety-count').value).toBe('50');
    const save = byTestId<HTMLButtonElement>(page, 'safety-save');

    type(page, 'safety-percent', '0');
    expect(text(page, 'safety-percent-problem')).toContain('outside 1 to 100');
    expect(save.disabled).toBe(true);
    type(page, 'safety-percent', '101');
    expect(save.disabled).toBe(true);
    type(page, 'safety-percent', '25');
    type(page, 'safety-count', '12.5');
    expect(text(page, 'safety-count-problem')).toContain('not a whole number');
    expect(save.disabled).toBe(true);
    type(page, 'safety-count', '80');
    expect(has(page, 'safety-count-problem')).toBe(false);
    click(page, 'safety-save');
    await settle();
    expect(backend.sync.record.safetySaved).toEqual([{ profile: 'northwind', safety: { max_deactivations: 80, max_deactivation_percent: 25 } }]);
    expect(has(page, 'safety-saved')).toBe(true);
  });
});

describe('the log folder', () => {
  it('opens from the home screen, for the admin or support to read', async () => {
    const { backend, page } = await openHome({ connections: [fakeConnection()] });
    expect(backend.record.logFolderOpened).toBe(0);
    click(page, 'open-log-folder');
    await settle();
    expect(backend.record.logFolderOpened).toBe(1);
    expect(has(page, 'log-folder-problem')).toBe(false);
  });
});
