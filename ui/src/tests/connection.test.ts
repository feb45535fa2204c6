// The connection steps as an admin meets them, against the fake backend: problems appear under
// the field they are about, the Secret ID is caught at once, the permission checklist follows
// the check, and the verdict lists each problem with its fix.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';

import App from '../App.svelte';
import {
  CONSENT_MISSING,
  consentMissingReport,
  createFakeBackend,
  FAKE_CLIENT_ID,
  FAKE_DEMO,
  FAKE_TENANT_ID,
  greenReport,
  type FakeBackend,
  type FakeBackendOptions,
} from '../lib/backend/fake';
import type { Diagnosis } from '../lib/backend/backend';

let mounted: ReturnType<typeof mount> | null = null;

afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = '';
});

async function settle(ms = 0): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  flushSync();
}

async function open(options: FakeBackendOptions = {}): Promise<{ page: HTMLElement; backend: FakeBackend }> {
  const target = document.createElement('div');
  document.body.append(target);
  const backend = createFakeBackend(options);
  mounted = mount(App, { target, props: { backend } });
  await settle();
  return { page: target, backend };
}

function byTestId<T extends HTMLElement = HTMLElement>(root: HTMLElement, id: string): T {
  const found = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`nothing on the page has data-testid="${id}"`);
  return found;
}

function has(root: HTMLElement, id: string): boolean {
  return root.querySelector(`[data-testid="${id}"]`) !== null;
}

async function click(root: HTMLElement, id: string): Promise<void> {
  byTestId(root, id).click();
  await settle();
}

async function type(root: HTMLElement, id: string, value: string): Promise<void> {
  const input = byTestId<HTMLInputElement>(root, id);
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  // Input checks wait for a short pause in typing, then the tenant lookup for another.
  await settle(600);
}

async function goToStep(page: HTMLElement, steps: number): Promise<void> {
  for (let i = 0; i < steps; i += 1) await click(page, 'wizard-next');
}

async function fillIds(page: HTMLElement): Promise<void> {
  await goToStep(page, 3);
  await type(page, 'input-tenant', FAKE_TENANT_ID);
  await type(page, 'input-client-id', FAKE_CLIENT_ID);
}

async function reachPermissions(page: HTMLElement): Promise<void> {
  await fillIds(page);
  await click(page, 'wizard-next');
  await type(page, 'input-secret', 'abc~DEF.ghi_JKL-mno0123456789pqrstuvwxyz');
  await click(page, 'wizard-next');
  await settle();
}

describe('app registration', () => {
  it('opens the new-registration page of the chosen cloud and offers the name to copy', async () => {
    const { page, backend } = await open();
    await goToStep(page, 1);
    await click(page, 'cloud-usgov');
    await click(page, 'wizard-next');
    expect(byTestId(page, 'registration-steps').textContent).toContain('Accounts in this organizational directory only');
    expect(has(page, 'copy-app-name')).toBe(true);
    await click(page, 'open-new-registration');
    expect(backend.record.opened).toEqual(['https://entra.example/usgov/new-registration']);
  });
});

describe('tenant and app IDs', () => {
  it('shows each problem under its own field as it is typed, and keeps Next closed', async () => {
    const { page } = await open();
    await goToStep(page, 3);
    await type(page, 'input-tenant', 'not a tenant!');
    expect(byTestId(page, 'error-tenant').textContent).toContain('is not a tenant ID or a domain');
    expect(has(page, 'error-client-id')).toBe(false);
    // The error sits in the tenant's field block, not the client ID's.
    expect(byTestId(page, 'input-tenant').parentElement?.contains(byTestId(page, 'error-tenant'))).toBe(true);

    await type(page, 'input-client-id', 'nope');
    expect(byTestId(page, 'error-client-id').textContent).toContain('not a GUID');
    expect(byTestId(page, 'input-client-id').parentElement?.contains(byTestId(page, 'error-client-id'))).toBe(true);
    expect(byTestId<HTMLButtonElement>(page, 'wizard-next').disabled).toBe(true);

    await type(page, 'input-tenant', 'northwind.example');
    expect(has(page, 'error-tenant')).toBe(false);
    expect(byTestId(page, 'tenant-found').textContent).toContain(
      `Found your organisation: northwind.example (${FAKE_TENANT_ID})`,
    );
    await type(page, 'input-client-id', FAKE_CLIENT_ID);
    expect(has(page, 'error-client-id')).toBe(false);
    expect(byTestId<HTMLButtonElement>(page, 'wizard-next').disabled).toBe(false);
  });

  it('says under the tenant field when no such organisation exists', async () => {
    const { page } = await open();
    await goToStep(page, 3);
    await type(page, 'input-tenant', 'nobody.example');
    expect(byTestId(page, 'error-tenant-lookup').textContent).toContain('The tenant was not found');
    expect(has(page, 'tenant-found')).toBe(false);
  });

  it('shows the demo values only in demo mode', async () => {
    const real = await open();
    await goToStep(real.page, 3);
    expect(has(real.page, 'demo-values')).toBe(false);
    unmount(mounted!);
    mounted = null;
    document.body.innerHTML = '';

    const demo = await open({ demo: FAKE_DEMO });
    await goToStep(demo.page, 3);
    await settle();
    expect(byTestId(demo.page, 'demo-values').textContent).toContain('Demo values');
    expect(byTestId(demo.page, 'demo-tenant-id').textContent).toBe(FAKE_TENANT_ID);
    expect(byTestId(demo.page, 'demo-client-id-no_consent').textContent).toBe('12121212-3434-5656-7878-909090909090');
  });
});

describe('client secret', () => {
  it('warns at once that a GUID is the Secret ID, under the secret field', async () => {
    const { page } = await open();
    await fillIds(page);
    await click(page, 'wizard-next');
    const input = byTestId<HTMLInputElement>(page, 'input-secret');
    expect(input.type).toBe('password');
    input.value = 'b7a3c2d1-0e9f-4a8b-9c7d-6e5f4a3b2c1d';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await settle();
    expect(byTestId(page, 'error-secret').textContent).toContain('This looks like the Secret ID. Paste the Value instead');
    expect(byTestId<HTMLButtonElement>(page, 'wizard-next').disabled).toBe(true);

    await type(page, 'input-secret', 'abc~DEF.ghi_JKL-mno0123456789pqrstuvwxyz');
    expect(has(page, 'error-secret')).toBe(false);
    expect(byTestId<HTMLButtonElement>(page, 'wizard-next').disabled).toBe(false);
  });

  it('shows and hides the secret on request', async () => {
    const { page } = await open();
    await fillIds(page);
    await click(page, 'wizard-next');
    await click(page, 'toggle-secret');
    expect(byTestId<HTMLInputElement>(page, 'input-secret').type).toBe('text');
    expect(byTestId(page, 'toggle-secret').getAttribute('aria-pressed')).toBe('true');
    await click(page, 'toggle-secret');
    expect(byTestId<HTMLInputElement>(page, 'input-secret').type).toBe('password');
  });
});

describe('permissions', () => {
  it('ticks granted and crosses missing permissions, and checks again on request', async () => {
    const { page, backend } = await open({ reports: [consentMissingReport(), greenReport()] });
    await reachPermissions(page);
    expect(byTestId(page, 'permission-row-User.Read.All').dataset.state).toBe('missing');
    expect(byTestId(page, 'permission-row-GroupMember.Read.All').dataset.state).toBe('missing');
    expect(byTestId(page, 'diagnosis-admin_consent_missing').textContent).toContain('Admin consent has not been granted');
    expect(byTestId(page, 'grant-consent').dataset.url).toBe(
      `https://login.example/${FAKE_TENANT_ID}/adminconsent?client_id=${FAKE_CLIENT_ID}`,
    );
    await click(page, 'grant-consent');
    expect(backend.record.opened).toContain(`https://login.example/${FAKE_TENANT_ID}/adminconsent?client_id=${FAKE_CLIENT_ID}`);

    await click(page, 'check-again');
    await settle();
    expect(byTestId(page, 'permission-row-User.Read.All').dataset.state).toBe('granted');
    expect(byTestId(page, 'permission-row-User-LifeCycleInfo.Read.All').dataset.state).toBe('granted');
    expect(has(page, 'permissions-ok')).toBe(true);
    expect(has(page, 'grant-consent')).toBe(false);
    expect(backend.record.checks).toHaveLength(2);
    expect(backend.record.checks[0]).toMatchObject({ tenant: FAKE_TENANT_ID, client_id: FAKE_CLIENT_ID, cloud: { id: 'global' } });
  });
});

describe('result', () => {
  it('lists each problem with its fix and a button to the page that fixes it, and offers no Save', async () => {
    const { page, backend } = await open({ reports: [consentMissingReport()] });
    await reachPermissions(page);
    await click(page, 'wizard-next');
    await settle();
    expect(byTestId(page, 'verdict-problems').textContent).toContain('1 thing needs fixing');
    expect(byTestId(page, 'diagnosis-fix-admin_consent_missing').textContent).toContain(CONSENT_MISSING.fix);
    await click(page, 'diagnosis-link-admin_consent_missing');
    expect(backend.record.opened).toContain(CONSENT_MISSING.link);
    expect(has(page, 'save-connection')).toBe(false);
    expect(has(page, 'verdict-ok')).toBe(false);
  });

  it('says all is well and saves the connection when the check passes', async () => {
    const { page, backend } = await open({ reports: [greenReport()] });
    await reachPermissions(page);
    await click(page, 'wizard-next');
    await settle();
    expect(byTestId(page, 'verdict-ok').textContent).toContain('Rollcall can read your directory');
    const name = byTestId<HTMLInputElement>(page, 'input-connection-name');
    name.value = 'northwind';
    name.dispatchEvent(new Event('input', { bubbles: true }));
    await click(page, 'save-connection');
    await settle();
    expect(byTestId(page, 'saved').textContent).toContain('Saved as "northwind"');
    expect(backend.record.saved).toHaveLength(1);
    expect(backend.record.saved[0].name).toBe('northwind');
  });

  it('reaches every problem and its fix from an error, and comes back', async () => {
    const catalogue: Diagnosis[] = [CONSENT_MISSING, { ...CONSENT_MISSING, code: 'secret_wrong', title: 'The client secret is wrong', fix: 'Create a new client secret.' }];
    const { page } = await open({ reports: [consentMissingReport()], catalogue });
    await reachPermissions(page);
    await click(page, 'wizard-next');
    await settle();
    await click(page, 'see-all-problems');
    await settle();
    expect(byTestId(page, 'step-title').textContent).toBe('Problems and how to fix them');
    expect(byTestId(page, 'trouble-secret_wrong').textContent).toContain('Create a new client secret.');
    await click(page, 'troubleshooting-close');
    expect(byTestId(page, 'step-title').textContent).toBe('Check the connection');
  });
});
