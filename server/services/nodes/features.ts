// Whether a node's agent said (in its last `hello`) that it has a feature: protocol changes stay additive.
import type { FeatureName } from '@/agents/protocol';

/** False when the node never answered or its agent predates the feature. */
export function nodeHasFeature(capabilities: unknown, feature: FeatureName): boolean {
  const features = (capabilities as { features?: unknown } | null)?.features;
  return Array.isArray(features) && features.includes(feature);
}
