// The Microsoft clouds an organisation can be on, in the words an admin would recognise.
// The ids are the `entra.cloud` values of a profile file.

export type CloudId = 'global' | 'usgov' | 'usgov-dod' | 'china' | 'custom';

export interface CloudChoice {
  id: CloudId;
  name: string;
  description: string;
  advanced?: boolean;
}

export const CLOUDS: readonly CloudChoice[] = [
  {
    id: 'global',
    name: 'Worldwide',
    description:
      'Almost every organisation, including US Government GCC. You sign in at entra.microsoft.com.',
  },
  {
    id: 'usgov',
    name: 'US Government GCC High',
    description: 'US government agencies and contractors. You sign in at portal.azure.us.',
  },
  {
    id: 'usgov-dod',
    name: 'US Government DoD',
    description: 'The US Department of Defense. You sign in at portal.azure.us.',
  },
  {
    id: 'china',
    name: 'China, operated by 21Vianet',
    description: 'Microsoft 365 run by 21Vianet in China. You sign in at portal.azure.cn.',
  },
  {
    id: 'custom',
    name: 'Other (advanced)',
    description: 'You enter the sign-in and Microsoft Graph addresses yourself, for example for a test setup.',
    advanced: true,
  },
];

export const DEFAULT_CLOUD: CloudId = 'global';
