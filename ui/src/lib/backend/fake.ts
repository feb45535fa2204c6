// An in-memory Backend for component tests: answers from the options it was made with.
import type { AppStatus, Backend, DemoStatus } from './backend';

export const FAKE_DEMO: DemoStatus = {
  tenant_name: 'Northwind Academy',
  tenant_domain: 'northwind-academy.example',
  people: 250,
  authority_url: 'http://127.0.0.1:8400',
};

export interface FakeBackendOptions {
  demo?: DemoStatus | null;
  version?: string;
}

export function createFakeBackend(options: FakeBackendOptions = {}): Backend {
  const status: AppStatus = {
    version: options.version ?? '0.0.0-test',
    demo: options.demo ?? null,
  };
  return {
    appStatus: async () => structuredClone(status),
  };
}
