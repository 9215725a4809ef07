import generated from './model.generated.json' with { type: 'json' };
import type { ServiceModel } from '../model.js';

/** The IAM service model, generated from AWS's own model. */
export const iamModel = generated as unknown as ServiceModel;
