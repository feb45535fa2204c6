// The parts of a set-up connection the home screen lets the admin change. Each but the safety
// limits is a step of the setup wizard, opened by its step id.
export type EditPart = 'audience' | 'platform' | 'mapping' | 'safety';

export const EDIT_PARTS: readonly { part: EditPart; label: string }[] = [
  { part: 'audience', label: 'Who gets an account' },
  { part: 'platform', label: 'Learning platform' },
  { part: 'mapping', label: 'Accounts' },
  { part: 'safety', label: 'Safety limits' },
];
