import generated from './model.generated.json' with { type: 'json' };
import type { ServiceModel } from '../model.js';

/** The EventBridge service model (AWS JSON 1.1, target prefix AWSEvents), generated from AWS's own model. */
export const eventsModel = generated as unknown as ServiceModel;
