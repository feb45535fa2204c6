// The one list of wizard steps, in order. A step is built by giving it a component; steps
// without one are shown in the list as upcoming and cannot be entered yet.
import type { Component } from 'svelte';

import type { Backend, DemoStatus } from '../../lib/backend/backend';
import type { Wizard } from '../../lib/wizard/wizard.svelte';
import AppRegistration from './AppRegistration.svelte';
import Audience from './Audience.svelte';
import ClientSecret from './ClientSecret.svelte';
import Cloud from './Cloud.svelte';
import Mapping from './Mapping.svelte';
import Permissions from './Permissions.svelte';
import Platform from './Platform.svelte';
import Result from './Result.svelte';
import TenantAndApp from './TenantAndApp.svelte';
import Welcome from './Welcome.svelte';

/** What every step component receives. */
export interface StepProps {
  wizard: Wizard;
  backend: Backend;
  /** The demo organisation, in demo mode. */
  demo: DemoStatus | null;
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
  /** Whether the admin may move on; always, unless given. */
  ready?: (wizard: Wizard) => boolean;
  /** Said next to the forward button while `ready` is false. */
  notReadyHint?: string;
  /** Whether the step uses the window's full width (for tables); a reading column unless set. */
  wide?: boolean;
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
    ready: (wizard) => wizard.cloudReady(),
    notReadyHint: 'Enter both addresses; Next opens once Rollcall accepts them.',
  },
  {
    id: 'app-registration',
    label: 'App registration',
    title: 'Create an app registration',
    component: AppRegistration,
    nextLabel: "I've registered the app",
  },
  {
    id: 'ids',
    label: 'Tenant & app IDs',
    title: 'Copy your tenant and app IDs',
    component: TenantAndApp,
    ready: (wizard) =>
      wizard.answers.clientId.trim() !== '' &&
      wizard.problemWith('tenant') === undefined &&
      wizard.problemWith('client_id') === undefined &&
      wizard.tenantId !== null,
    notReadyHint: 'Paste both IDs; Next opens once your organisation is found.',
  },
  {
    id: 'secret',
    label: 'Client secret',
    title: 'Create a client secret',
    component: ClientSecret,
    ready: (wizard) => wizard.answers.secret.trim() !== '' && wizard.problemWith('secret') === undefined,
    notReadyHint: "Paste the secret's Value to go on.",
  },
  {
    id: 'permissions',
    label: 'Permissions',
    title: 'Grant permissions',
    component: Permissions,
    nextLabel: 'See the result',
  },
  {
    id: 'result',
    label: 'Result',
    title: 'Check the connection',
    component: Result,
    nextLabel: 'Choose who gets an account',
    ready: (wizard) => wizard.savedProfile !== null,
    notReadyHint: 'Save the connection to choose who gets an account.',
  },
  { id: 'audience', label: 'Who gets an account', title: 'Who gets an account?', component: Audience, wide: true },
  {
    id: 'platform',
    label: 'Learning platform',
    title: 'Connect your learning platform',
    component: Platform,
    ready: (wizard) => wizard.platformReady(),
    notReadyHint: 'Save and check the learning platform to go on.',
  },
  {
    id: 'mapping',
    label: 'Accounts',
    title: 'What each account looks like',
    component: Mapping,
    nextLabel: 'Save and go to sync',
    ready: (wizard) => wizard.mappingReady(),
    notReadyHint: 'Click Save to keep how accounts look.',
  },
];
