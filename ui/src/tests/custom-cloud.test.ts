// "Other (advanced)" on the Cloud step, as an admin meets it against the fake backend: the two
// address fields appear only for it, each address is judged as typed with the reason under its
// own field, Next stays closed until both are accepted, and the addresses travel with the cloud
// to discovery, the check and Save.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';

import App from '../App.svelte';
import { tauriBackend } from '../lib/backend/tauri';
import { createFakeBackend, FAKE_CLIENT_ID, FAKE_TENANT_ID, type FakeBackend } from '../lib/backend/fake';

let mounted: ReturnType<typeof mount> | null = null;

afterEach(() => {
  clearMocks();
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = '';
});

async function settle(ms = 0): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  flushSync();
}

async function open(): Promise<{ page: HTMLElement; backend: FakeBackend }> {
  const target = document.createElement('div');
  document.body.append(target);
  const backend = createFakeBackend();
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

/** Types into a field without waiting for the pause after which it is checked. */
function typeOnly(root: HTMLElement, id: string, value: string): void {
  const input = byTestId<HTMLInputElement>(root, id);
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

async function type(root: HTMLElement, id: string, value: string): Promise<void> {
  typeOnly(root, id, value);
  // Checks wait for a short pause in typing (and a tenant lookup for another).
  await settle(600);
}

function nextIsOpen(page: HTMLElement): boolean {
  return !byTestId<HTMLButtonElement>(page, 'wizard-next').disabled;
}

async function chooseOther(page: HTMLElement): Promise<void> {
  await click(page, 'wizard-next');
  expect(byTestId(page, 'step-title').textContent).toContain('Which Microsoft cloud');
  await click(page, 'cloud-custom');
}

const SIGN_IN = 'http://127.0.0.1:8400';
const GRAPH = 'http://localhost:8401';

describe('Other (advanced) cloud', () => {
  it('asks for the two addresses only when Other is chosen', async () => {
    const { page } = await open();
    await click(page, 'wizard-next');
    expect(has(page, 'custom-addresses')).toBe(false);
    expect(nextIsOpen(page)).toBe(true);

    await click(page, 'cloud-custom');
    expect(byTestId(page, 'custom-addresses').textContent).toContain('Sign-in address');
    expect(byTestId(page, 'custom-addresses').textContent).toContain('Microsoft Graph address');
    // Nothing typed yet: no complaint, but Next waits for both addresses and says so.
    expect(has(page, 'error-authority-url')).toBe(false);
    expect(has(page, 'error-graph-url')).toBe(false);
    expect(nextIsOpen(page)).toBe(false);
    expect(byTestId(page, 'wizard-next-hint').textContent).toBe(
      'Enter both addresses; Next opens once Rollcall accepts them.',
    );

    await click(page, 'cloud-usgov');
    expect(has(page, 'custom-addresses')).toBe(false);
    expect(nextIsOpen(page)).toBe(true);
    expect(has(page, 'wizard-next-hint')).toBe(false);
  });

  it("shows the engine's reason under the address it concerns and keeps Next closed", async () => {
    const { page } = await open();
    await chooseOther(page);

    await type(page, 'input-authority-url', 'http://example.com');
    const authorityError = byTestId(page, 'error-authority-url');
    expect(authorityError.textContent).toContain(
      'The authority_url http://example.com uses plain http on another computer, which would send the secret unprotected.',
    );
    expect(byTestId(page, 'input-authority-url').parentElement?.contains(authorityError)).toBe(true);
    expect(byTestId(page, 'input-authority-url').getAttribute('aria-invalid')).toBe('true');
    expect(has(page, 'error-graph-url')).toBe(false);
    expect(nextIsOpen(page)).toBe(false);

    await type(page, 'input-graph-url', 'ftp://x');
    const graphError = byTestId(page, 'error-graph-url');
    expect(graphError.textContent).toContain('The graph_url ftp://x must start with https:// (or http:// on this computer only).');
    expect(byTestId(page, 'input-graph-url').parentElement?.contains(graphError)).toBe(true);
    expect(byTestId(page, 'error-authority-url').textContent).toContain('plain http on another computer');
    expect(nextIsOpen(page)).toBe(false);

    await type(page, 'input-authority-url', SIGN_IN);
    expect(has(page, 'error-authority-url')).toBe(false);
    expect(has(page, 'error-graph-url')).toBe(true);
    expect(nextIsOpen(page)).toBe(false);

    await type(page, 'input-graph-url', '');
    expect(byTestId(page, 'error-graph-url').textContent).toContain('The graph_url "" is not a web address.');
    expect(nextIsOpen(page)).toBe(false);
  });

  it('opens Next once both addresses are accepted, and closes it again as soon as one changes', async () => {
    const { page } = await open();
    await chooseOther(page);
    await type(page, 'input-authority-url', SIGN_IN);
    expect(nextIsOpen(page)).toBe(false);
    await type(page, 'input-graph-url', GRAPH);
    expect(has(page, 'error-authority-url')).toBe(false);
    expect(has(page, 'error-graph-url')).toBe(false);
    expect(nextIsOpen(page)).toBe(true);

    // A change is not trusted before the engine has judged it.
    typeOnly(page, 'input-graph-url', 'http://graph.example.com');
    expect(nextIsOpen(page)).toBe(false);
    await settle(600);
    expect(byTestId(page, 'error-graph-url').textContent).toContain('plain http on another computer');
    expect(nextIsOpen(page)).toBe(false);

    await type(page, 'input-graph-url', 'http://[::1]:8401');
    expect(nextIsOpen(page)).toBe(true);
  });

  it('keeps the addresses when going back and forth', async () => {
    const { page } = await open();
    await chooseOther(page);
    await type(page, 'input-authority-url', SIGN_IN);
    await type(page, 'input-graph-url', GRAPH);
    await click(page, 'wizard-next');
    expect(byTestId(page, 'step-title').textContent).toBe('Create an app registration');

    await click(page, 'wizard-back');
    expect(byTestId<HTMLInputElement>(page, 'cloud-custom').checked).toBe(true);
    expect(byTestId<HTMLInputElement>(page, 'input-authority-url').value).toBe(SIGN_IN);
    expect(byTestId<HTMLInputElement>(page, 'input-graph-url').value).toBe(GRAPH);
    expect(nextIsOpen(page)).toBe(true);

    // Another cloud and back: the addresses are still there.
    await click(page, 'cloud-global');
    await click(page, 'cloud-custom');
    await settle();
    expect(byTestId<HTMLInputElement>(page, 'input-authority-url').value).toBe(SIGN_IN);
    expect(byTestId<HTMLInputElement>(page, 'input-graph-url').value).toBe(GRAPH);
    expect(nextIsOpen(page)).toBe(true);

    // From the step list too.
    await click(page, 'wizard-next');
    await click(page, 'step-link-cloud');
    expect(byTestId<HTMLInputElement>(page, 'input-graph-url').value).toBe(GRAPH);
  });

  it('sends the addresses with the cloud to discovery, the check and Save', async () => {
    const { page, backend } = await open();
    await chooseOther(page);
    await type(page, 'input-authority-url', `${SIGN_IN}/`);
    await type(page, 'input-graph-url', GRAPH);
    await click(page, 'wizard-next');

    await click(page, 'open-new-registration');
    expect(backend.record.opened).toEqual([`${SIGN_IN}/new-registration`]);

    await click(page, 'wizard-next');
    await type(page, 'input-tenant', FAKE_TENANT_ID);
    await type(page, 'input-client-id', FAKE_CLIENT_ID);
    const custom = { id: 'custom', authority_url: `${SIGN_IN}/`, graph_url: GRAPH };
    expect(backend.record.lookups.at(-1)).toEqual({ cloud: custom, tenant: FAKE_TENANT_ID });

    await click(page, 'wizard-next');
    await type(page, 'input-secret', 'abc~DEF.ghi_JKL-mno0123456789pqrstuvwxyz');
    await click(page, 'wizard-next');
    await settle();
    expect(backend.record.checks.at(-1)?.cloud).toEqual(custom);

    await click(page, 'wizard-next');
    await settle();
    await click(page, 'save-connection');
    await settle();
    expect(has(page, 'saved')).toBe(true);
    expect(backend.record.saved[0].connection.cloud).toEqual(custom);
  });
});

describe('custom cloud over Tauri IPC', () => {
  it('hands the addresses to the commands under the names the shell reads', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((command, args) => {
      calls.push([command, args]);
      return command === 'check_inputs' ? [] : { entered: null, tenant_id: null, diagnosis: null };
    });
    const cloud = { id: 'custom', authority_url: SIGN_IN, graph_url: GRAPH };
    await tauriBackend.checkInputs({ authority_url: 'ftp://x', graph_url: '' });
    await tauriBackend.findTenant(cloud, 'northwind.example');
    expect(calls).toEqual([
      ['check_inputs', { tenant: null, clientId: null, secret: null, authorityUrl: 'ftp://x', graphUrl: '' }],
      ['find_tenant', { cloud, tenant: 'northwind.example' }],
    ]);
  });
});
