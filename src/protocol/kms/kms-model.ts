import generated from './model.generated.json' with { type: 'json' };
import type { ServiceModel } from '../model.js';

/** The KMS service model (AWS JSON 1.1, target prefix TrentService), generated from AWS's own model. */
export const kmsModel = generated as unknown as ServiceModel;
