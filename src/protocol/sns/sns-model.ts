import generated from './model.generated.json' with { type: 'json' };
import type { ServiceModel } from '../model.js';

/** The SNS service model (AWS Query), generated from AWS's own model. */
export const snsModel = generated as unknown as ServiceModel;
