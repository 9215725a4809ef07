import generated from './model.generated.json' with { type: 'json' };
import type { ServiceModel } from '../model.js';

/** The SQS service model (operations, members, Query names), generated from AWS's own models. */
export const sqsModel = generated as unknown as ServiceModel;
