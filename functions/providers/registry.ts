import { facebook } from './facebook.js';
import { google } from './google.js';
import { twitter } from './twitter.js';
import { weibo } from './weibo.js';
import type { ProviderAdapter, Strategy } from './types.js';

/** The one place that knows which strategies exist. Adding a provider is one entry here. */
export const providers: Readonly<Record<Strategy, ProviderAdapter>> = {
  facebook,
  'google-oauth2': google,
  twitter,
  weibo,
};

export const strategies = Object.keys(providers) as Strategy[];

export const isStrategy = (value: string): value is Strategy => Object.hasOwn(providers, value);
