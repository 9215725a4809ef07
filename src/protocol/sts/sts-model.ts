import generated from './model.generated.json' with { type: 'json' };
import type { ServiceModel } from '../model.js';

/** The STS service model, generated from AWS's own model. */
export const stsModel = generated as unknown as ServiceModel;
