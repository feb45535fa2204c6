// The wizard's state: which step is showing, how far the admin has got, and the answers
// given so far. Steps read and write the answers; the frame moves between steps.
import { DEFAULT_CLOUD, type CloudId } from './clouds';

export interface WizardAnswers {
  cloud: CloudId;
}

export class Wizard {
  /** Index of the step being shown. */
  current = $state(0);
  /** Index of the furthest step reached; steps up to it can be revisited from the list. */
  reached = $state(0);
  answers: WizardAnswers = $state({ cloud: DEFAULT_CLOUD });

  readonly stepCount: number;

  constructor(stepCount: number) {
    this.stepCount = stepCount;
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
