import { App } from 'aws-cdk-lib';
import { ReferenceStack } from './reference-stack';

const app = new App();
new ReferenceStack(app, 'PullThroughCacheExample', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
