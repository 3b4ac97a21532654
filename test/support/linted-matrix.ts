import { App, AppProps } from 'aws-cdk-lib';
import { buildMatrix, MATRIX_ENV } from './matrix';
import { KubernetesStack } from '../../examples/kubernetes-stack';

/**
 * The configuration matrix (test/support/matrix.ts) plus the stacks that need a newer aws-cdk-lib than the
 * supported floor (2.221): the Kubernetes example uses aws-eks-v2. cdk-nag (test/nag.test.ts) and
 * cfn-lint (scripts/synth-matrix.ts) run only on the pinned and the newest aws-cdk-lib, so they check
 * this one; test/support/matrix.ts stays importable by the tests of the floor run.
 */
export function buildLintedMatrix(appProps: AppProps = {}): App {
  const app = buildMatrix(appProps);
  // Environment-agnostic, as a reader would deploy it: the VPC takes its AZs with Fn::GetAZs (a
  // stack with an env and no context lookup would get placeholder AZs, which cfn-lint flags).
  new KubernetesStack(app, 'KubernetesExample', {
    kubectlLayerArn: `arn:aws:lambda:${MATRIX_ENV.region}:111122220006:layer:kubectl:1`,
  });
  return app;
}
