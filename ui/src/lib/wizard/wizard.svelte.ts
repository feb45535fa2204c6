// The wizard's state: which step is showing, how far the admin has got, and the answers
// given so far. Steps read and write the answers; the frame moves between steps.
import type { Backend, CheckReport, ChosenCloud, ConnectionRequest, FieldProblem } from '../backend/backend';
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

  readonly stepCount: number;

  constructor(stepCount: number) {
    this.stepCount = stepCount;
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
    return this.current === 0;
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
    if (this.current > 0) {
      this.current -= 1;
    }
  }

  /** Shows a step already reached; steps not reached yet stay closed. */
  goTo(index: number): void {
    if (index >= 0 && index <= this.reached) {
      this.current = index;
    }
  }
}
