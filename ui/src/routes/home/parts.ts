// The parts of a set-up connection the home screen lets the admin change. Each but the safety
// limits and the notifications is a step of the setup wizard, opened by its step id.
export type EditPart = 'audience' | 'platform' | 'mapping' | 'safety' | 'notify';

/** The parts the home screen edits itself; the others open the wizard. */
export type HomePart = 'safety' | 'notify';

export const EDIT_PARTS: readonly { part: EditPart; label: string }[] = [
  { part: 'audience', label: 'Who gets an account' },
  { part: 'platform', label: 'Learning platform' },
  { part: 'mapping', label: 'Accounts' },
  { part: 'safety', label: 'Safety limits' },
  { part: 'notify', label: 'Notifications' },
];
