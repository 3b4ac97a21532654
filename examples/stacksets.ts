import { App } from 'aws-cdk-lib';
import { OrganizationCacheStack } from './stacksets-stack';

/*
 * A pull-through cache in every account of some organizational units, with CloudFormation
 * StackSets (service-managed, automatic deployment to new accounts). Deploy it once from the
 * management account or a StackSets delegated administrator account:
 *
 *   npx cdk deploy --app "npx ts-node --prefer-ts-exts examples/stacksets.ts" \
 *     -c organizationalUnits=ou-abcd-11111111 -c regions=us-east-1,eu-west-1 \
 *     -c operationsEventBusArn=arn:aws:events:us-east-1:999999999999:event-bus/operations
 *
 * Then put the Docker Hub token in every account and region (docs/multi-account.md, "Every
 * account of an organization").
 */
const app = new App();
const list = (name: string, fallback: string) => String(app.node.tryGetContext(name) ?? fallback).split(',').filter(v => v !== '');
new OrganizationCacheStack(app, 'OrganizationPullThroughCache', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  organizationalUnits: list('organizationalUnits', 'ou-abcd-11111111'),
  regions: list('regions', 'us-east-1,eu-west-1'),
  operationsEventBusArn: String(app.node.tryGetContext('operationsEventBusArn') ?? 'arn:aws:events:us-east-1:999999999999:event-bus/operations'),
});
app.synth();
