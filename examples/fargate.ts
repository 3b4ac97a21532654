import { App } from 'aws-cdk-lib';
import { FargateStack } from './fargate-stack';

const app = new App();
new FargateStack(app, 'PullThroughCacheFargate', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
