import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { TwinscaleProps } from '../../infra/lib/config.js';
import { Twinscale } from '../../infra/lib/twinscale.js';

/**
 * The deployment's security rules on every variant of the template (twinscale.test.ts checks the
 * default one in detail): the API takes only IAM-signed calls, and every right to change capacity
 * is conditioned on the managed tag, including the rights capacity-plan apply adds.
 */
function template(props: TwinscaleProps = {}) {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Twinscale');
  new Twinscale(stack, 'Twinscale', props);
  return Template.fromStack(stack);
}

type Statement = {
  Effect: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, string>>;
};
const statements = (t: Template): Statement[] =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );

/** Actions that change a scalable resource: anything on these services but reading it. */
const changesCapacity = (action: string) =>
  /^(autoscaling|application-autoscaling|ecs):/.test(action) && !/:(Describe|List|Get)/.test(action);

const VARIANTS: [string, TwinscaleProps][] = [
  ['default', {}],
  ['capacityPlanApply', { capacityPlanApply: true }],
  ['a custom managed tag', { managedTagKey: 'team:autoscale', capacityPlanApply: true }],
];

describe.each(VARIANTS)('the deployment (%s)', (_name, props) => {
  const t = template(props);
  const tagKey = props.managedTagKey ?? 'twinscale:managed';

  test('every API Gateway method requires IAM (SigV4) auth; none is open (NONE) or custom-authorized', () => {
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method')) as {
      Properties: { HttpMethod: string; AuthorizationType?: string };
    }[];
    expect(methods.length).toBeGreaterThan(0);
    for (const m of methods) expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
  });

  test(`every right to change capacity is conditioned on aws:ResourceTag/${tagKey} = true`, () => {
    const scaling = statements(t).filter(
      (s) => s.Effect === 'Allow' && [s.Action].flat().some(changesCapacity),
    );
    expect(scaling.length).toBeGreaterThan(0);
    for (const s of scaling) expect(s.Condition?.StringEquals?.[`aws:ResourceTag/${tagKey}`]).toBe('true');
  });
});
