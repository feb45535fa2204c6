// The one list of wizard steps, in order. A step is built by giving it a component; steps
// without one are shown in the list as upcoming and cannot be entered yet.
import type { Component } from 'svelte';

import type { Wizard } from '../../lib/wizard/wizard.svelte';
import Cloud from './Cloud.svelte';
import Welcome from './Welcome.svelte';

/** What every step component receives. */
export interface StepProps {
  wizard: Wizard;
}

export interface StepDefinition {
  id: string;
  /** The short name in the step list. */
  label: string;
  /** The question or heading shown above the step's content. */
  title: string;
  component?: Component<StepProps>;
  /** The label of the forward button on this step; "Next" unless given. */
  nextLabel?: string;
}

export const STEPS: readonly StepDefinition[] = [
  {
    id: 'welcome',
    label: 'Welcome',
    title: 'Connect Microsoft Entra ID to your learning platform',
    component: Welcome,
    nextLabel: 'Get started',
  },
  {
    id: 'cloud',
    label: 'Cloud',
    title: 'Which Microsoft cloud is your organisation on?',
    component: Cloud,
  },
  { id: 'app-registration', label: 'App registration', title: 'Create an app registration' },
  { id: 'ids', label: 'Tenant & app IDs', title: 'Copy your tenant and app IDs' },
  { id: 'secret', label: 'Client secret', title: 'Create a client secret' },
  { id: 'permissions', label: 'Permissions', title: 'Grant permissions' },
  { id: 'result', label: 'Result', title: 'Check the connection' },
];
