import { App, Stack } from 'aws-cdk-lib';
import { TwinscaleConfigSchema } from '../lib/config.js';
import { Twinscale } from '../lib/twinscale.js';

/** `npx cdk deploy` (and `-c planScheduleMinutes=10` and the like: see infra/lib/config.ts). */
const app = new App();
const context = Object.fromEntries(
  Object.keys(TwinscaleConfigSchema.shape).flatMap((k) => {
    const v = app.node.tryGetContext(k);
    return v === undefined ? [] : [[k, v]];
  }),
);
const stack = new Stack(app, app.node.tryGetContext('stackName') ?? 'Twinscale', {
  description: 'Twinscale: predictive autoscaling on a digital twin of each service',
});
new Twinscale(stack, 'Twinscale', context);
app.synth();
