// The one way the UI reaches Rollcall's engine. `tauri.ts` implements it over Tauri IPC;
// `fake.ts` implements it in memory for component tests. Components receive a Backend and
// never import either implementation themselves.

/** The made-up organisation the app explores in demo mode. */
export interface DemoStatus {
  tenant_name: string;
  tenant_domain: string;
  people: number;
  authority_url: string;
}

/** What the window needs to know at start. */
export interface AppStatus {
  version: string;
  demo: DemoStatus | null;
}

/** A failure reported by the engine: a stable code to branch on and a message to show. */
export class BackendError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
  }
}

export interface Backend {
  appStatus(): Promise<AppStatus>;
}
