// The learning platform step as an admin meets it, against the fake backend: the address and
// token checked as typed with the problem under its field, Save and check with each finding and
// its fix, the demo platform filled in, CSV files in a chosen folder, and changing a saved
// connection without typing its token again.
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Diagnosis } from '../lib/backend/backend';
import { FAKE_DEMO, FAKE_DEMO_PLATFORM, TOKEN_REJECTED } from '../lib/backend/fake';
import { Wizard } from '../lib/wizard/wizard.svelte';
import { byTestId, click, close, has, nextButton, openAt, settle, text, type } from './setup-page';

afterEach(() => {
  close();
  vi.useRealTimers();
});

const NO_FILTER: Diagnosis = {
  code: 'target_no_filter',
  severity: 'warning',
  title: 'The platform cannot look accounts up by user name',
  cause: 'The SCIM service answered 400 to a filter on userName.',
  fix: 'Ask your platform to switch on SCIM filtering; until then every sync reads all accounts.',
  link: 'https://learn.example.com/admin/scim',
};

const NOT_SCIM: Diagnosis = {
  code: 'target_not_scim',
  severity: 'error',
  title: 'The address is not a SCIM service',
  cause: 'https://learn.example.com/ answered with a web page, not SCIM.',
  fix: 'Use the SCIM base URL from the platform\'s provisioning settings; it often ends in /scim/v2.',
  link: 'https://learn.example.com/admin/integrations',
};

describe('learning platform: SCIM', () => {
  it('checks the address and the token once typing pauses and shows each problem under its field', async () => {
    vi.useFakeTimers();
    const { page, backend } = await openAt('platform');
    expect(text(page, 'step-title')).toBe('Connect your learning platform');
    type(page, 'input-target-url', 'http://learn');
    type(page, 'input-target-url', 'http://learn.example.com/scim/v2');
    await vi.advanceTimersByTimeAsync(100);
    expect(backend.setup.inputChecks).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(300);
    await settle();
    expect(backend.setup.inputChecks).toEqual([{ kind: 'scim', url: 'http://learn.example.com/scim/v2', token: '' }]);
    expect(text(page, 'error-target-url')).toContain('uses plain http');
    expect(byTestId(page, 'input-target-url').getAttribute('aria-invalid')).toBe('true');
    expect(has(page, 'error-target-token')).toBe(false);

    type(page, 'input-target-token', '"abc def"');
    await vi.advanceTimersByTimeAsync(300);
    await settle();
    expect(text(page, 'error-target-token')).toContain('spaces');

    // Plain http on this computer is the engine's to allow, and it does.
    type(page, 'input-target-url', 'http://127.0.0.1:8401/scim/v2');
    type(page, 'input-target-token', 'abc-def');
    await vi.advanceTimersByTimeAsync(300);
    await settle();
    expect(has(page, 'error-target-url')).toBe(false);
    expect(has(page, 'error-target-token')).toBe(false);
  });

  it('masks the token until Show is pressed', async () => {
    const { page } = await openAt('platform');
    const token = byTestId<HTMLInputElement>(page, 'input-target-token');
    expect(token.type).toBe('password');
    await click(page, 'toggle-target-token');
    expect(token.type).toBe('text');
    expect(text(page, 'toggle-target-token')).toBe('Hide');
  });

  it('says where the address and the token are found', async () => {
    const { page } = await openAt('platform');
    const help = text(page, 'platform-help');
    expect(help).toContain('Where do I find these?');
    expect(help).toContain('Integrations → SCIM');
    expect(help).toContain('User provisioning');
    expect(help).toContain('/scim/v2');
  });

  it('saves, checks, and shows each finding with its fix and the page to fix it; Next waits for a clean check', async () => {
    const { page, backend } = await openAt('platform', { setup: { targetDiagnoses: [[NOT_SCIM], [NO_FILTER]] } });
    type(page, 'input-target-url', 'https://learn.example.com/');
    type(page, 'input-target-token', 'good-token');
    expect(nextButton(page).disabled).toBe(true);
    await click(page, 'save-platform');
    expect(backend.setup.targets).toEqual([
      { profile: 'entra', choice: { kind: 'scim', url: 'https://learn.example.com/', token: 'good-token', chosen_folder: false } },
    ]);
    expect(backend.setup.targetChecks).toEqual(['entra']);
    expect(text(page, 'diagnosis-target_not_scim')).toContain('answered with a web page');
    expect(text(page, 'diagnosis-fix-target_not_scim')).toContain('it often ends in /scim/v2');
    await click(page, 'diagnosis-link-target_not_scim');
    expect(backend.record.opened).toEqual([NOT_SCIM.link]);
    expect(has(page, 'platform-connected')).toBe(false);
    expect(nextButton(page).disabled).toBe(true);
    expect(text(page, 'wizard-next-hint')).toContain('Save and check');

    // Fixed; what is left is a warning, which does not stop anyone.
    type(page, 'input-target-url', 'https://learn.example.com/scim/v2');
    await click(page, 'save-platform');
    expect(has(page, 'diagnosis-target_not_scim')).toBe(false);
    expect(text(page, 'diagnosis-target_no_filter')).toContain('Needs attention soon');
    expect(text(page, 'platform-connected')).toContain('Connected');
    expect(nextButton(page).disabled).toBe(false);

    // Changing the address after the check asks for another one.
    type(page, 'input-target-url', 'https://other.example.com/scim/v2');
    expect(nextButton(page).disabled).toBe(true);
  });

  it('shows "Connected" and opens Next when the check finds nothing', async () => {
    const { page } = await openAt('platform');
    type(page, 'input-target-url', 'https://learn.example.com/scim/v2');
    type(page, 'input-target-token', 'good-token');
    await click(page, 'save-platform');
    expect(text(page, 'platform-connected')).toBe('✓ Connected');
    expect(has(page, 'diagnoses')).toBe(false);
    expect(nextButton(page).disabled).toBe(false);
    await click(page, 'wizard-next');
    expect(text(page, 'step-title')).toBe('What each account looks like');
  });

  it('puts a refused address next to the address field and keeps what was typed', async () => {
    const { page, backend } = await openAt('platform');
    // Saved straight away, before the typed check has had time to run.
    type(page, 'input-target-url', 'ftp://learn.example.com/scim');
    type(page, 'input-target-token', 'good-token');
    await click(page, 'save-platform');
    expect(backend.setup.targets).toHaveLength(1);
    expect(backend.setup.targetChecks).toHaveLength(0);
    const error = byTestId(page, 'error-target-url');
    expect(error.textContent).toContain('must start with https://');
    expect(byTestId(page, 'input-target-url').closest('.field')?.contains(error)).toBe(true);
    expect(byTestId<HTMLInputElement>(page, 'input-target-url').value).toBe('ftp://learn.example.com/scim');
    expect(byTestId<HTMLInputElement>(page, 'input-target-token').value).toBe('good-token');
    expect(has(page, 'platform-failure')).toBe(false);
    expect(nextButton(page).disabled).toBe(true);
  });

  it('puts a token pasted with spaces next to the token field', async () => {
    const { page } = await openAt('platform');
    type(page, 'input-target-url', 'https://learn.example.com/scim/v2');
    type(page, 'input-target-token', 'Bearer abc');
    await click(page, 'save-platform');
    const error = byTestId(page, 'error-target-token');
    expect(error.textContent).toContain('spaces');
    expect(byTestId(page, 'input-target-token').closest('.field')?.contains(error)).toBe(true);
    expect(has(page, 'error-target-url')).toBe(false);
  });

  it('shows the platform refusing the token, and connects once a good one is pasted', async () => {
    const { page, backend } = await openAt('platform');
    type(page, 'input-target-url', 'https://learn.example.com/scim/v2');
    type(page, 'input-target-token', 'wrong-token');
    await click(page, 'save-platform');
    expect(text(page, 'diagnosis-target_token_rejected')).toContain(TOKEN_REJECTED.title);
    expect(text(page, 'diagnosis-fix-target_token_rejected')).toContain('Generate a new token');
    expect(text(page, 'token-finding')).toContain('did not accept this token');
    expect(byTestId(page, 'input-target-token').getAttribute('aria-invalid')).toBe('true');
    expect(nextButton(page).disabled).toBe(true);

    type(page, 'input-target-token', 'good-token');
    await click(page, 'save-platform');
    expect(backend.setup.targets.map((saved) => saved.choice.token)).toEqual(['wrong-token', 'good-token']);
    expect(has(page, 'diagnosis-target_token_rejected')).toBe(false);
    expect(text(page, 'platform-connected')).toContain('Connected');
  });
});

describe('learning platform: reaching it', () => {
  it('follows "Who gets an account" in a new connection', async () => {
    const { page } = await openAt('audience');
    await click(page, 'wizard-next');
    expect(text(page, 'step-title')).toBe('Connect your learning platform');
    expect(has(page, 'wizard-back')).toBe(true);
  });

  it('says when no token was ever given, by the token field', async () => {
    const { page } = await openAt('platform');
    type(page, 'input-target-url', 'https://learn.example.com/scim/v2');
    await click(page, 'save-platform');
    expect(has(page, 'diagnosis-target_token_missing')).toBe(true);
    expect(text(page, 'token-finding')).toContain('No token is stored yet');
    expect(nextButton(page).disabled).toBe(true);
  });
});

describe('learning platform: demo mode', () => {
  it('fills in the demo platform, says so, and connects with one click', async () => {
    const { page, backend } = await openAt('platform', { demo: FAKE_DEMO });
    expect(byTestId<HTMLInputElement>(page, 'input-target-url').value).toBe(FAKE_DEMO_PLATFORM.url);
    expect(byTestId<HTMLInputElement>(page, 'input-target-token').value).toBe(FAKE_DEMO_PLATFORM.token);
    expect(text(page, 'demo-platform')).toContain('Demo platform');
    expect(text(page, 'demo-platform-url')).toBe(FAKE_DEMO_PLATFORM.url);
    // The demo address is plain http on this computer: nothing wrong with it.
    expect(has(page, 'error-target-url')).toBe(false);
    await click(page, 'save-platform');
    expect(backend.setup.targets[0].choice).toEqual({ kind: 'scim', url: FAKE_DEMO_PLATFORM.url, token: FAKE_DEMO_PLATFORM.token, chosen_folder: false });
    expect(text(page, 'platform-connected')).toContain('Connected');
    expect(nextButton(page).disabled).toBe(false);
  });

  it('fills in nothing and shows no demo note outside demo mode', async () => {
    const { page } = await openAt('platform');
    expect(byTestId<HTMLInputElement>(page, 'input-target-url').value).toBe('');
    expect(has(page, 'demo-platform')).toBe(false);
  });
});

describe('learning platform: CSV files', () => {
  it('lists the columns, saves the chosen folder and connects', async () => {
    const { page, backend } = await openAt('platform', { setup: { chosenFolder: '/home/admin/Rollcall exports' } });
    await click(page, 'platform-kind-csv');
    expect(has(page, 'input-target-url')).toBe(false);
    const columns = text(page, 'csv-columns');
    expect(columns).toContain('Rollcall writes users.csv with every account and a changes file per sync');
    const names = [...byTestId(page, 'csv-columns').querySelectorAll('li')].map((item) => item.textContent);
    expect(names).toEqual(['userName', 'externalId', 'givenName', 'familyName', 'displayName', 'email', 'title', 'department', 'preferredLanguage', 'country', 'employeeNumber', 'manager', 'active']);
    expect(byTestId<HTMLButtonElement>(page, 'save-platform').disabled).toBe(true);

    await click(page, 'choose-folder');
    expect(text(page, 'chosen-folder')).toContain('Rollcall exports');
    await click(page, 'save-platform');
    expect(backend.setup.targets).toEqual([{ profile: 'entra', choice: { kind: 'csv', url: null, token: null, chosen_folder: true } }]);
    expect(text(page, 'platform-connected')).toContain('Connected');
    expect(nextButton(page).disabled).toBe(false);
  });

  it('puts a folder that cannot be written next to the folder button, and keeps the choice', async () => {
    const { page, backend } = await openAt('platform', { setup: { chosenFolder: '/mnt/read-only/exports' } });
    await click(page, 'platform-kind-csv');
    await click(page, 'choose-folder');
    await click(page, 'save-platform');
    const error = byTestId(page, 'error-target-folder');
    expect(error.textContent).toContain('cannot write to /mnt/read-only/exports');
    expect(byTestId(page, 'choose-folder').closest('.field')?.contains(error)).toBe(true);
    expect(text(page, 'chosen-folder')).toContain('exports');
    expect(backend.setup.targetChecks).toHaveLength(0);
    expect(has(page, 'platform-connected')).toBe(false);
    expect(nextButton(page).disabled).toBe(true);
  });
});

describe('learning platform: changing a saved connection', () => {
  const saved = {
    connections: [
      {
        name: 'entra',
        enabled: true,
        broken: null,
        tenant: 'northwind-academy.example',
        target: { kind: 'scim' as const, url: 'https://learn.example.com/scim/v2' },
        secret_expires: null,
        secret_days_left: null,
        last_run: null,
        next_run: null,
        groups: 2,
        accounts: 120,
      },
    ],
  };

  it('opens at the step with the saved address, and keeps the stored token when the field is left empty', async () => {
    const { page, backend } = await openAt('platform', { demo: FAKE_DEMO, setup: saved });
    expect(text(page, 'step-title')).toBe('Connect your learning platform');
    expect(has(page, 'wizard-back')).toBe(false);
    expect(has(page, 'step-link-result')).toBe(false);
    expect(byTestId<HTMLInputElement>(page, 'input-target-url').value).toBe('https://learn.example.com/scim/v2');
    // The saved platform wins over the demo one, and the token never comes back.
    expect(byTestId<HTMLInputElement>(page, 'input-target-token').value).toBe('');
    expect(text(page, 'token-stored')).toBe('A token is stored; leave empty to keep it.');
    expect(has(page, 'demo-platform')).toBe(false);

    await click(page, 'save-platform');
    expect(backend.setup.targets).toEqual([
      { profile: 'entra', choice: { kind: 'scim', url: 'https://learn.example.com/scim/v2', token: null, chosen_folder: false } },
    ]);
    expect(text(page, 'platform-connected')).toContain('Connected');

    // A new token typed replaces the stored one.
    type(page, 'input-target-token', 'new-token');
    expect(has(page, 'token-stored')).toBe(false);
    await click(page, 'save-platform');
    expect(backend.setup.targets[1].choice.token).toBe('new-token');
  });

  it('opens a saved CSV connection with its folder and keeps it when no other is chosen', async () => {
    const csv = { connections: [{ ...saved.connections[0], target: { kind: 'csv' as const, path: '/srv/exports/learning' } }] };
    const { page, backend } = await openAt('platform', { setup: csv });
    expect(byTestId<HTMLInputElement>(page, 'platform-kind-csv').checked).toBe(true);
    expect(text(page, 'chosen-folder')).toContain('learning');
    await click(page, 'save-platform');
    expect(backend.setup.targets[0].choice).toEqual({ kind: 'csv', url: null, token: null, chosen_folder: false });
    expect(text(page, 'platform-connected')).toContain('Connected');
  });

  it('says when a step id is unknown and stays where it was', () => {
    const wizard = new Wizard(['welcome', 'platform', 'mapping']);
    expect(wizard.openFor('entra', 'nowhere')).toBe(false);
    expect(wizard.current).toBe(0);
    expect(wizard.savedProfile).toBeNull();
    expect(wizard.openFor('entra', 'mapping')).toBe(true);
    expect(wizard.current).toBe(2);
    wizard.back();
    expect(wizard.current).toBe(2);
  });
});
