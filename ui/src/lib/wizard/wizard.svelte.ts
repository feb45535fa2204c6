// The wizard's state: which step is showing, how far the admin has got, and the answers
// given so far. Steps read and write the answers; the frame moves between steps.
import type {
  Backend,
  CheckReport,
  ChosenCloud,
  ConnectionRequest,
  FieldProblem,
  MappingSettings,
  TargetChoice,
  TargetKind,
} from '../backend/backend';
import { DEFAULT_CLOUD, type CloudId } from './clouds';

/** The cloud as chosen on the Cloud step. The addresses are typed only for `custom`, and kept
 * while another cloud is chosen, so switching back finds them again. */
export interface CloudAnswer extends ChosenCloud {
  id: CloudId;
}

export interface WizardAnswers {
  cloud: CloudAnswer;
  /** Directory (tenant) ID or domain, as typed. */
  tenant: string;
  /** Application (client) ID, as typed. */
  clientId: string;
  /** The client secret's Value. Kept only in memory, sent only to the engine. */
  secret: string;
  /** The expiry date the admin center showed (YYYY-MM-DD), or empty. */
  secretExpires: string;
}

/** The learning platform as typed or chosen on its step. */
export interface PlatformAnswer {
  kind: TargetKind;
  /** SCIM: the base address, as typed. */
  url: string;
  /** SCIM: the token, as typed. Kept only in memory, sent only to the engine; empty keeps the
   * stored one when `tokenStored`. */
  token: string;
  /** Whether a token is already in the keychain for the saved platform. */
  tokenStored: boolean;
  /** CSV: the folder the files go to, as chosen or saved. */
  folder: string | null;
  /** CSV: whether `folder` came from the dialog since the platform was last saved. */
  folderChosen: boolean;
}

export class Wizard {
  /** Index of the step being shown. */
  current = $state(0);
  /** Index of the furthest step reached; steps up to it can be revisited from the list. */
  reached = $state(0);
  answers: WizardAnswers = $state({
    cloud: { id: DEFAULT_CLOUD, authority_url: '', graph_url: '' },
    tenant: '',
    clientId: '',
    secret: '',
    secretExpires: '',
  });
  /** Problems with the typed values, from the engine's input checks. */
  problems: FieldProblem[] = $state([]);
  /** The custom-cloud addresses the engine last checked; problems with them are in `problems`. */
  checkedAddresses: { authority_url: string; graph_url: string } | null = $state(null);
  /** The tenant ID discovery found for the typed tenant; null until found. */
  tenantId: string | null = $state(null);
  /** The latest connection check. */
  report: CheckReport | null = $state(null);
  /** Whether a connection check is running. */
  checking = $state(false);
  /** Why the last check could not run at all (not a finding: the engine could not be asked). */
  checkFailure: string | null = $state(null);
  /** The name the connection was saved under on the Result step; null until saved. */
  savedProfile: string | null = $state(null);
  /** Whether the page of every problem and its fix is showing instead of the step. */
  troubleshooting = $state(false);

  /** The learning platform being set up. */
  platform: PlatformAnswer = $state({ kind: 'scim', url: '', token: '', tokenStored: false, folder: null, folderChosen: false });
  /** The profile whose saved platform has been read into `platform`; null until read. */
  platformLoadedFor: string | null = $state(null);
  /** The platform as it stood when it was saved and checked without errors; null until then. */
  platformPassed: string | null = $state(null);
  /** The mapping being tried; null until the engine has shown the saved one. */
  mapping: MappingSettings | null = $state(null);
  /** The mapping as it stood when last saved; null until saved. */
  mappingSaved: string | null = $state(null);
  /** The first step that can be shown: 0, or the step the wizard was opened at to change a
   * saved connection (the steps before it belong to creating one). */
  earliest = $state(0);

  readonly stepCount: number;
  readonly stepIds: readonly string[];

  /** `steps`: how many steps there are, or their ids in order (needed by `openFor`). */
  constructor(steps: number | readonly string[]) {
    this.stepIds = typeof steps === 'number' ? [] : steps;
    this.stepCount = typeof steps === 'number' ? steps : steps.length;
  }

  /** Opens the wizard at one step to change the saved connection `profile`: the step and the
   * ones after it can be visited, the ones before cannot. False when no step has that id. */
  openFor(profile: string, stepId: string): boolean {
    const index = this.stepIds.indexOf(stepId);
    if (index < 0) return false;
    this.savedProfile = profile;
    this.current = index;
    this.reached = index;
    this.earliest = index;
    return true;
  }

  /** Whether the step at `index` can be shown from the step list. */
  canVisit(index: number): boolean {
    return index >= this.earliest && index <= this.reached;
  }

  /** The platform as the engine saves it. An empty token keeps the stored one (null); for CSV
   * the folder chosen in the dialog is used, or the saved one is kept. */
  targetChoice(): TargetChoice {
    const { kind, url, token, folderChosen } = this.platform;
    if (kind === 'csv') return { kind, url: null, token: null, chosen_folder: folderChosen };
    return { kind, url: url.trim(), token: token === '' ? null : token, chosen_folder: false };
  }

  /** The platform's answers in one comparable piece. */
  platformKey(): string {
    const { kind, url, token, folder } = this.platform;
    return JSON.stringify(kind === 'csv' ? { kind, folder } : { kind, url: url.trim(), token });
  }

  /** Whether the platform, exactly as it stands, was saved and checked without errors. */
  platformReady(): boolean {
    return this.platformPassed !== null && this.platformPassed === this.platformKey();
  }

  /** Whether the mapping, exactly as it stands, is saved. */
  mappingReady(): boolean {
    return this.mapping !== null && this.mappingSaved === JSON.stringify(this.mapping);
  }

  /** The problem with one field, if any. */
  problemWith(field: FieldProblem['field']): FieldProblem | undefined {
    return this.problems.find((problem) => problem.field === field);
  }

  /** Whether the chosen cloud is usable: a named cloud always is; a custom one once the engine
   * has accepted both addresses exactly as they stand now. */
  cloudReady(): boolean {
    const { id, authority_url, graph_url } = this.answers.cloud;
    if (id !== 'custom') return true;
    return (
      this.checkedAddresses !== null &&
      this.checkedAddresses.authority_url === authority_url &&
      this.checkedAddresses.graph_url === graph_url &&
      this.problemWith('authority_url') === undefined &&
      this.problemWith('graph_url') === undefined
    );
  }

  /** Replaces the problems of the fields just checked, keeping the others. */
  setProblems(fields: FieldProblem['field'][], found: FieldProblem[]): void {
    this.problems = [...this.problems.filter((problem) => !fields.includes(problem.field)), ...found];
  }

  /** The connection as typed, for the engine's check and save. */
  connection(): ConnectionRequest {
    return {
      cloud: { ...this.answers.cloud },
      tenant: this.answers.tenant.trim(),
      client_id: this.answers.clientId.trim(),
      secret: this.answers.secret,
      secret_expires: this.answers.secretExpires || null,
    };
  }

  /** Runs the connection check and keeps its report; one check at a time. */
  async runCheck(backend: Backend): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    this.checkFailure = null;
    try {
      this.report = await backend.checkConnection(this.connection());
    } catch (error) {
      this.report = null;
      this.checkFailure = error instanceof Error ? error.message : String(error);
    } finally {
      this.checking = false;
    }
  }

  get isFirst(): boolean {
    return this.current <= this.earliest;
  }

  get isLast(): boolean {
    return this.current === this.stepCount - 1;
  }

  next(): void {
    if (this.current < this.stepCount - 1) {
      this.current += 1;
      this.reached = Math.max(this.reached, this.current);
    }
  }

  back(): void {
    if (this.current > this.earliest) {
      this.current -= 1;
    }
  }

  /** Shows a step already reached; steps not reached yet stay closed. */
  goTo(index: number): void {
    if (this.canVisit(index)) {
      this.current = index;
    }
  }
}
