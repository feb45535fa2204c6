// The mapping step as an admin meets it, against the fake backend: the accounts shown on real
// people, the user name choice tried before anything is saved, who cannot be sent and why,
// extra fields added and removed, and Save sending exactly what is shown.
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';

import { byTestId, click, close, has, nextButton, openAt, settle, text, type } from './setup-page';

afterEach(() => close());

function values(page: HTMLElement): Record<string, string> {
  const rows = [...page.querySelectorAll<HTMLElement>('[data-testid="mapping-value"]')];
  return Object.fromEntries(rows.map((row) => [row.querySelector('th')?.textContent?.trim() ?? '', row.querySelector('td')?.textContent?.trim() ?? '']));
}

function unsendable(page: HTMLElement): string[] {
  return [...page.querySelectorAll<HTMLElement>('[data-testid="unsendable-person"] strong')].map((name) => name.textContent ?? '');
}

async function choose(page: HTMLElement, id: string, value: string): Promise<void> {
  const select = byTestId<HTMLSelectElement>(page, id);
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  flushSync();
  await settle();
}

describe('mapping', () => {
  it('shows the first person as they would sign in, with the values their account gets', async () => {
    const { page, backend } = await openAt('mapping');
    expect(text(page, 'step-title')).toBe('What each account looks like');
    expect(backend.setup.previews).toEqual([{ profile: 'entra', mapping: null }]);
    expect(text(page, 'mapping-sentence')).toBe('José Müller-Łukasiewicz will sign in as jose.muller@northwind-academy.example');
    expect(values(page)).toMatchObject({
      'User name': 'jose.muller@northwind-academy.example',
      'First name': 'José',
      'Last name': 'Müller-Łukasiewicz',
      Email: 'j.muller-lukasiewicz@northwind-academy.example',
    });
    expect(byTestId<HTMLInputElement>(page, 'username-userPrincipalName').checked).toBe(true);
    expect(text(page, 'unsendable')).toContain('All 6 people in scope can be sent');
  });

  it('changes the sentence, the samples and who cannot be sent with the user name choice, before anything is saved', async () => {
    const { page, backend } = await openAt('mapping');
    await click(page, 'username-mail');
    expect(text(page, 'mapping-sentence')).toBe('José Müller-Łukasiewicz will sign in as j.muller-lukasiewicz@northwind-academy.example');
    expect(values(page)['User name']).toBe('j.muller-lukasiewicz@northwind-academy.example');
    expect(text(page, 'mapping-samples')).toContain('Kwame Mensah → no user name');
    expect(text(page, 'unsendable-summary')).toBe("3 people can't be sent: their email address is empty");
    expect(unsendable(page)).toEqual(['Kwame Mensah', 'Mei Tanaka', 'Omar Haddad']);
    expect(text(page, 'unsendable-no_username')).toContain('has no mail in Entra');
    expect(backend.setup.previews.at(-1)).toEqual({ profile: 'entra', mapping: { username: 'mail', custom: {} } });
    expect(backend.setup.mappings).toEqual([]);
    expect(nextButton(page).disabled).toBe(true);

    await click(page, 'username-employeeId');
    expect(text(page, 'mapping-sentence')).toBe('José Müller-Łukasiewicz will sign in as E-1001');
    expect(text(page, 'unsendable-summary')).toBe("2 people can't be sent: their employee ID is empty");
    expect(unsendable(page)).toEqual(['Mei Tanaka', 'Sofia Rossi']);

    await click(page, 'username-userPrincipalName');
    expect(has(page, 'unsendable-summary')).toBe(false);
    expect(has(page, 'unsendable-none')).toBe(true);
    expect(backend.setup.mappings).toEqual([]);
  });

  it('needs nothing changed: Save keeps the default, and "Save and go to sync" goes on', async () => {
    const { page, backend, finished } = await openAt('mapping');
    expect(text(page, 'wizard-next')).toBe('Save and go to sync');
    expect(nextButton(page).disabled).toBe(true);
    await click(page, 'save-mapping');
    expect(backend.setup.mappings).toEqual([{ profile: 'entra', mapping: { username: 'userPrincipalName', custom: {} } }]);
    expect(has(page, 'mapping-saved')).toBe(true);
    expect(nextButton(page).disabled).toBe(false);
    await click(page, 'wizard-next');
    expect(finished).toEqual(['entra']);
  });

  it('adds and removes extra fields, shows them on the person, and saves exactly what is shown', async () => {
    const { page, backend } = await openAt('mapping');
    const costCenter = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter';
    const division = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division';

    await choose(page, 'custom-source', 'companyName');
    await click(page, 'add-custom');
    expect(text(page, 'custom-problem')).toContain('Type the SCIM attribute');
    expect(has(page, 'custom-fields')).toBe(false);

    type(page, 'custom-path', costCenter);
    await click(page, 'add-custom');
    expect(has(page, 'custom-problem')).toBe(false);
    expect(text(page, 'custom-field-companyName')).toContain(costCenter);
    expect(values(page)[costCenter]).toBe('Northwind Academy');
    // A property already sent cannot be chosen twice.
    const offered = [...byTestId<HTMLSelectElement>(page, 'custom-source').options].map((option) => option.value);
    expect(offered).toEqual(['', 'department', 'employeeId']);

    await choose(page, 'custom-source', 'department');
    type(page, 'custom-path', division);
    await click(page, 'add-custom');
    await click(page, 'remove-custom-companyName');
    expect(has(page, 'custom-field-companyName')).toBe(false);
    expect(values(page)[costCenter]).toBeUndefined();
    expect(values(page)[division]).toBe('Science');
    expect(backend.setup.mappings).toEqual([]);

    await click(page, 'username-mail');
    await click(page, 'save-mapping');
    expect(backend.setup.mappings).toEqual([{ profile: 'entra', mapping: { username: 'mail', custom: { department: division } } }]);
    expect(nextButton(page).disabled).toBe(false);

    // A change after saving closes Next until it is saved too.
    await click(page, 'remove-custom-department');
    expect(nextButton(page).disabled).toBe(true);
  });

  it('opens a saved connection with its saved mapping', async () => {
    const { page } = await openAt('mapping', { setup: { mapping: { username: 'employeeId', custom: { companyName: 'organization' } } } });
    expect(has(page, 'wizard-back')).toBe(false);
    expect(byTestId<HTMLInputElement>(page, 'username-employeeId').checked).toBe(true);
    expect(text(page, 'mapping-sentence')).toBe('José Müller-Łukasiewicz will sign in as E-1001');
    expect(text(page, 'custom-field-companyName')).toContain('organization');
  });
});
