import { standardTier } from '../pricing/service-tier.js';
import type { Usage } from '../record.js';

/** Longer `service_tier` values are cut: the value only selects a price, and a known one is short. */
const MAX_TIER_LENGTH = 32;

/**
 * `usage` with the service tier a response reports (OpenAI's `service_tier` on a Chat Completions or Responses
 * body, or on a stream's usage chunk / final response), when that tier is not the standard one (`default`;
 * `auto` is what a request asks for, not a tier). The response's tier, not the request's, is what was billed.
 */
export function withServiceTier(usage: Usage | undefined, tier: unknown): Usage | undefined {
  if (usage === undefined || typeof tier !== 'string' || tier === '' || standardTier(tier)) return usage;
  return { ...usage, serviceTier: tier.slice(0, MAX_TIER_LENGTH) };
}
