// The wizard as an admin meets it: starting on Welcome, moving between steps, the step list,
// the demo banner and the cloud choice. Mounted against the fake backend.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';

import App from '../App.svelte';
import { createFakeBackend, FAKE_DEMO, type FakeBackendOptions } from '../lib/backend/fake';

let mounted: ReturnType<typeof mount> | null = null;

afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = '';
});

async function open(options: FakeBackendOptions = {}): Promise<HTMLElement> {
  const target = document.createElement('div');
  document.body.append(target);
  mounted = mount(App, { target, props: { backend: createFakeBackend(options) } });
  // Let the status request resolve and the page update.
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
  return target;
}

function byTestId<T extends HTMLElement = HTMLElement>(root: HTMLElement, id: string): T {
  const found = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`nothing on the page has data-testid="${id}"`);
  return found;
}

function click(root: HTMLElement, id: string): void {
  byTestId(root, id).click();
  flushSync();
}

describe('wizard', () => {
  it('starts on Welcome with one way forward and no way back', async () => {
    const page = await open();
    expect(byTestId(page, 'step-title').textContent).toContain('Connect Microsoft Entra ID');
    expect(byTestId(page, 'wizard-next').textContent?.trim()).toBe('Get started');
    expect(page.querySelector('[data-testid="wizard-back"]')).toBeNull();
    expect(page.textContent).toContain('About 10 minutes');
    expect(page.textContent).toContain('create an app registration');
  });

  it('Next moves to the cloud question and Back returns to Welcome', async () => {
    const page = await open();
    click(page, 'wizard-next');
    expect(byTestId(page, 'step-title').textContent).toBe('Which Microsoft cloud is your organisation on?');
    click(page, 'wizard-back');
    expect(byTestId(page, 'step-title').textContent).toContain('Connect Microsoft Entra ID');
  });

  it('marks the current step in the list and keeps later steps closed', async () => {
    const page = await open();
    expect(byTestId(page, 'step-welcome').getAttribute('aria-current')).toBe('step');
    expect(byTestId(page, 'step-cloud').getAttribute('aria-current')).toBeNull();
    expect(byTestId(page, 'step-cloud').dataset.state).toBe('upcoming');
    expect(page.querySelector('[data-testid="step-link-cloud"]')).toBeNull();

    click(page, 'wizard-next');
    expect(byTestId(page, 'step-cloud').getAttribute('aria-current')).toBe('step');
    expect(byTestId(page, 'step-welcome').dataset.state).toBe('done');
    expect(byTestId(page, 'step-result').dataset.state).toBe('upcoming');
    expect(page.querySelector('[data-testid="step-link-result"]')).toBeNull();

    click(page, 'step-link-welcome');
    expect(byTestId(page, 'step-title').textContent).toContain('Connect Microsoft Entra ID');
    click(page, 'step-link-cloud');
    expect(byTestId(page, 'step-title').textContent).toContain('Which Microsoft cloud');
  });

  it('lists every step of the setup in order', async () => {
    const page = await open();
    const labels = [...page.querySelectorAll('nav li .label')].map((item) => item.textContent);
    expect(labels).toEqual([
      'Welcome',
      'Cloud',
      'App registration',
      'Tenant & app IDs',
      'Client secret',
      'Permissions',
      'Result',
      'Who gets an account',
      'Learning platform',
      'Accounts',
    ]);
  });

  it('shows the demo banner with the organisation name only in demo mode', async () => {
    const demo = await open({ demo: FAKE_DEMO });
    expect(byTestId(demo, 'demo-banner').textContent).toContain(
      `you're exploring ${FAKE_DEMO.tenant_name}, a made-up organisation`,
    );
    unmount(mounted!);
    mounted = null;
    document.body.innerHTML = '';

    const real = await open({ demo: null });
    expect(real.querySelector('[data-testid="demo-banner"]')).toBeNull();
  });

  it('offers the four clouds and an advanced choice, with Worldwide chosen', async () => {
    const page = await open();
    click(page, 'wizard-next');
    const ids = [...page.querySelectorAll<HTMLInputElement>('input[name="cloud"]')].map((input) => input.value);
    expect(ids).toEqual(['global', 'usgov', 'usgov-dod', 'china', 'custom']);
    expect(byTestId<HTMLInputElement>(page, 'cloud-global').checked).toBe(true);
    expect(page.textContent).toContain('21Vianet');
    expect(page.textContent).toContain('GCC High');
    expect(page.textContent).toContain('Other (advanced)');
  });

  it('keeps the cloud choice when going back and forth', async () => {
    const page = await open();
    click(page, 'wizard-next');
    click(page, 'cloud-usgov');
    expect(byTestId<HTMLInputElement>(page, 'cloud-usgov').checked).toBe(true);

    click(page, 'wizard-back');
    click(page, 'wizard-next');
    expect(byTestId<HTMLInputElement>(page, 'cloud-usgov').checked).toBe(true);
    expect(byTestId<HTMLInputElement>(page, 'cloud-global').checked).toBe(false);
  });
});
