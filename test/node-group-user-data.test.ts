import { Annotations as CoreAnnotations, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PullThroughCache, UpstreamRegistry } from '../src';
import { newEnvStack } from './support/cache-fixtures';

const ID = 'cdk-pull-through-cache:nodeScriptUserDataNotMime';

function cacheOf(stack: Stack): PullThroughCache {
  return new PullThroughCache(stack, 'Cache', { upstreams: [{ registry: UpstreamRegistry.kubernetes() }] });
}

function plainUserData(script: string): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  userData.addCommands(script);
  return userData;
}

/** The README's way: the script as the shell part of a MIME multi-part document. */
function multipartUserData(script: string): ec2.UserData {
  const userData = new ec2.MultipartUserData();
  userData.addPart(ec2.MultipartBody.fromRawBody({ contentType: 'text/x-shellscript; charset="us-ascii"', body: script }));
  return userData;
}

/** An EKS managed node group (eks.Nodegroup) on a launch template with this user data. */
function nodeGroup(stack: Stack, userData: ec2.UserData, props: Partial<eks.NodegroupProps> = {}, machineImage?: ec2.IMachineImage): eks.Nodegroup {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'],
  });
  const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'my-cluster', vpc });
  const launchTemplate = new ec2.LaunchTemplate(stack, 'NodeTemplate', { userData, machineImage });
  return new eks.Nodegroup(stack, 'Nodes', {
    cluster,
    nodeRole: new iam.Role(stack, 'NodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
    launchTemplateSpec: { id: Token.asString(launchTemplate.launchTemplateId), version: launchTemplate.latestVersionNumber },
    ...props,
  });
}

function warnings(stack: Stack) {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(ID));
}

describe('the node script in a managed node group\'s user data that is not MIME multi-part', () => {
  test('an AL2023 node group with UserData.forLinux() gets the warning, on the node group, naming the launch template and the fix', () => {
    const stack = newEnvStack();
    nodeGroup(stack, plainUserData(cacheOf(stack).containerdNodeScript()), { amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD });
    expect(warnings(stack)).toEqual([{
      id: '/Stack/Nodes',
      level: 'warning',
      entry: expect.objectContaining({
        data: expect.stringMatching(new RegExp(
          "^the launch template 'Stack/NodeTemplate/Resource' of this managed node group has containerdNodeScript\\(\\) \\(Python: containerd_node_script\\(\\)\\) "
          + 'in user data that is not MIME multi-part: EKS merges .* ec2\\.MultipartUserData .*addPart \\(Python: add_part\\).*'
          + 'MultipartBody\\.fromRawBody \\(Python: MultipartBody\\.from_raw_body\\).*\\[ack: cdk-pull-through-cache:nodeScriptUserDataNotMime\\]$')),
      }),
    }]);
  });

  test('without an AMI type (EKS picks Amazon Linux) and on AL2 as well', () => {
    for (const amiType of [undefined, eks.NodegroupAmiType.AL2_X86_64]) {
      const stack = newEnvStack();
      nodeGroup(stack, plainUserData(cacheOf(stack).containerdNodeScript()), { amiType });
      expect(warnings(stack)).toHaveLength(1);
    }
  });

  test('a plain CfnNodegroup is checked too', () => {
    const stack = newEnvStack();
    const launchTemplate = new ec2.LaunchTemplate(stack, 'NodeTemplate', { userData: plainUserData(cacheOf(stack).containerdNodeScript()) });
    new eks.CfnNodegroup(stack, 'Nodes', {
      clusterName: 'my-cluster',
      nodeRole: 'arn:aws:iam::111122223333:role/node',
      subnets: ['subnet-1'],
      launchTemplate: { id: launchTemplate.launchTemplateId },
    });
    expect(warnings(stack).map(w => w.id)).toEqual(['/Stack/Nodes']);
  });

  test.each<[string, (stack: Stack) => void]>([
    ['MIME multi-part user data (the README\'s example)', stack =>
      nodeGroup(stack, multipartUserData(cacheOf(stack).containerdNodeScript()), { amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD })],
    ['Bottlerocket, whose user data is TOML', stack =>
      nodeGroup(stack, plainUserData(cacheOf(stack).containerdNodeScript()), { amiType: eks.NodegroupAmiType.BOTTLEROCKET_X86_64 })],
    ['a custom AMI, whose user data EKS passes as it is', stack =>
      nodeGroup(stack, plainUserData(cacheOf(stack).containerdNodeScript()), {}, ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-12345678' }))],
    ['user data without the script', stack => {
      cacheOf(stack).containerdNodeScript();
      nodeGroup(stack, plainUserData('echo hello'), { amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD });
    }],
    ['an EC2 launch template with no node group', stack => {
      new ec2.LaunchTemplate(stack, 'NodeTemplate', { userData: plainUserData(cacheOf(stack).containerdNodeScript()) });
    }],
  ])('no warning for %s', (_what, build) => {
    const stack = newEnvStack();
    build(stack);
    expect(warnings(stack)).toEqual([]);
  });

  test('the warning can be acknowledged on a scope above the node group (it is added at synthesis)', () => {
    const stack = newEnvStack();
    nodeGroup(stack, plainUserData(cacheOf(stack).containerdNodeScript()));
    CoreAnnotations.of(stack).acknowledgeWarning(ID, 'the AMI is set elsewhere');
    expect(warnings(stack)).toEqual([]);
  });
});

test('a launch template whose data resolves to null: the aspect passes, and the CDK\'s own check reports it', () => {
  const stack = newEnvStack();
  cacheOf(stack).containerdNodeScript();
  // A token that resolves to null: the warning's aspect must cope with data it cannot read.
  const launchTemplate = new ec2.CfnLaunchTemplate(stack, 'Empty', { launchTemplateData: Lazy.any({ produce: () => null }) });
  new eks.CfnNodegroup(stack, 'Nodes', {
    clusterName: 'c', nodeRole: 'arn:aws:iam::111122223333:role/node', subnets: ['subnet-1'], launchTemplate: { id: launchTemplate.ref },
  });
  // Aspects run before the template is rendered: the error is aws-cdk-lib's, not a TypeError of ours.
  expect(() => Annotations.fromStack(stack)).toThrow(/launchTemplateData: required but missing/);
});
