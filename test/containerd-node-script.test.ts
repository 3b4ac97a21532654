import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ContainerdNodeScriptOptions, PullThroughCache, UpstreamRegistry } from '../src';
import { ACCOUNT, DOMAIN, newEnvStack, REGION } from './cache-fixtures';
import { newStack } from './helpers';
import { NODE_AUTH_PROGRAM, nodeScriptParts, renderContainerdNodeScript, RETRY_DROP_IN } from '../src/private/node-script';

function smallCache(stack: Stack): PullThroughCache {
  return new PullThroughCache(stack, 'Cache', {
    upstreams: [{ registry: UpstreamRegistry.kubernetes() }, { registry: UpstreamRegistry.quay() }],
  });
}

function nodeRole(stack: Stack): iam.Role {
  return new iam.Role(stack, 'NodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
}

/** The base64-decoded user data of the stack's only launch template, resolved. */
function launchTemplateUserData(stack: Stack): unknown {
  const templates = Template.fromStack(stack).findResources('AWS::EC2::LaunchTemplate');
  const [template] = Object.values(templates);
  return template.Properties.LaunchTemplateData.UserData['Fn::Base64'];
}

describe('containerdNodeScript', () => {
  test('fetches the token of the cache\'s registry in the cache\'s region at run time', () => {
    const script = smallCache(newEnvStack()).containerdNodeScript();
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain(`readonly region='${REGION}'`);
    expect(script).toContain(`readonly registry_id='${ACCOUNT}'`);
    expect(script).toContain('aws ecr get-authorization-token --region "$region" --registry-ids "$registry_id"');
    expect(script).toContain('--query \'authorizationData[0].authorizationToken\' --output text');
  });

  test('writes every mirror of containerdMirrors(), the token under the cache host\'s header table', () => {
    const stack = newEnvStack();
    const cache = smallCache(stack);
    const script = cache.containerdNodeScript();
    for (const mirror of cache.containerdMirrors()) {
      expect(script).toContain(`write_hosts '${mirror.path}' '${mirror.mirrorEndpoint}' '${mirror.content}' || failed=1`);
    }
    expect(script).toContain('printf \'%s\\n[host."%s".header]\\n  Authorization = "Basic %s"\\n\' "$content" "$endpoint" "$token"');
    // Atomic replacement in the same directory, root-only modes.
    expect(script).toContain('tmp=$(mktemp "$dir/.hosts.toml.XXXXXX")');
    expect(script).toContain('chmod 0600 "$tmp" && mv -f "$tmp" "$path"');
    expect(script).toContain('chmod 0700 "$dir"');
  });

  test('installs a service ordered before containerd and kubelet and retried after a failure, a 6-hour timer, and runs the refresh once', () => {
    const parts = nodeScriptParts({ where: 'W', registryDomain: DOMAIN, account: ACCOUNT, region: REGION, mirrors: smallCache(newEnvStack()).containerdMirrors() });
    expect(parts.service).toContain('Before=containerd.service kubelet.service');
    expect(parts.service).toContain('After=network-online.target');
    expect(parts.service).toContain(`ExecStart=${NODE_AUTH_PROGRAM}`);
    expect(parts.service).toContain('WantedBy=multi-user.target');
    expect(parts.timer).toContain('OnActiveSec=21600s');
    expect(parts.timer).toContain('OnUnitActiveSec=21600s');
    // A failed run is rerun by systemd every 5 minutes until one succeeds: a drop-in, installed on
    // systemd 244 or newer only (older ones refuse a oneshot service with Restart=). The Go node
    // e2e test runs both branches, and the units under real systemd.
    expect(parts.service).not.toContain('Restart');
    expect(parts.retry).toBe('[Service]\nRestart=on-failure\nRestartSec=300s\n');
    expect(parts.script).toContain([
      'if [[ ${systemd_version:-0} -ge 244 ]]; then',
      `  install_file '${RETRY_DROP_IN}' 0644 <<'CDK_PULL_THROUGH_CACHE_RETRY'`,
      parts.retry + 'CDK_PULL_THROUGH_CACHE_RETRY',
      'else',
      `  rm -f '${RETRY_DROP_IN}'`,
      'fi',
      'systemctl daemon-reload',
    ].join('\n'));
    // After a failed first run, a rerun in 5 minutes, not now (it would hold containerd and kubelet).
    expect(parts.script).toMatch(/\nif ! \/usr\/local\/sbin\/ecr-pull-through-cache-auth; then\n  #[^\n]*\n  systemd-run --on-active=300 --unit=ecr-pull-through-cache-auth-retry systemctl start --no-block ecr-pull-through-cache-auth.service \\\n/);
    expect(parts.script).toContain(`${parts.program.replace(/\n$/, '')}\nCDK_PULL_THROUGH_CACHE_PROGRAM`);
    expect(parts.script).toContain('systemctl enable ecr-pull-through-cache-auth.service ecr-pull-through-cache-auth.timer');
    expect(parts.script).toMatch(/systemctl start ecr-pull-through-cache-auth.timer\n[^\n]*\nif ! \/usr\/local\/sbin\/ecr-pull-through-cache-auth; then/);
    // A subshell: `set -e` does not leak into the rest of the user data.
    expect(parts.script).toMatch(/^#!\/bin\/bash\n(#[^\n]*\n)*\(\nset -euo pipefail\n/);
    expect(parts.script.endsWith('\n)\n')).toBe(true);
  });

  test('refreshInterval and configDirectory', () => {
    const stack = newEnvStack();
    const cache = smallCache(stack);
    const script = cache.containerdNodeScript({ refreshInterval: Duration.hours(3), configDirectory: '/etc/cri/certs.d/' });
    expect(script).toContain('OnUnitActiveSec=10800s');
    expect(script).toContain('write_hosts \'/etc/cri/certs.d/registry.k8s.io/hosts.toml\'');
    expect(script).not.toContain('/etc/containerd/certs.d');
  });

  test('the same input gives the same script', () => {
    const a = smallCache(newEnvStack()).containerdNodeScript();
    const b = smallCache(newEnvStack()).containerdNodeScript();
    expect(a).toBe(b);
  });

  test('a cache imported from another account and region: the token of that registry, from that region', () => {
    const consumer = newEnvStack({ env: { account: '999988887777', region: 'us-west-2' } });
    const cache = PullThroughCache.fromPullThroughCacheAttributes(consumer, 'Shared', {
      account: '444455556666', region: 'us-east-2', upstreams: [{ registry: UpstreamRegistry.kubernetes() }],
    });
    const script = cache.containerdNodeScript();
    expect(script).toContain('readonly region=\'us-east-2\'');
    expect(script).toContain('readonly registry_id=\'444455556666\'');
    expect(script).toContain('https://444455556666.dkr.ecr.us-east-2.amazonaws.com/v2/k8scache');
  });

  test.each<[string, ContainerdNodeScriptOptions, string]>([
    ['a refresh interval under 5 minutes', { refreshInterval: Duration.minutes(1) }, 'refreshInterval (Python: refresh_interval) 1 minute must be between 5 minutes and 11 hours: ECR authorization tokens last 12 hours'],
    ['a refresh interval over 11 hours', { refreshInterval: Duration.hours(12) }, 'refreshInterval (Python: refresh_interval) 12 hours must be between 5 minutes and 11 hours'],
    ['a relative directory', { configDirectory: 'etc/certs.d' }, "configDirectory 'etc/certs.d' must be an absolute path"],
    ['a directory with a quote', { configDirectory: "/etc/it's" }, "configDirectory (Python: config_directory) '/etc/it's' must be an absolute path of letters, digits and '/._-'"],
  ])('%s is an error', (_name, options, message) => {
    const cache = smallCache(newEnvStack());
    expect(() => cache.containerdNodeScript(options)).toThrow(message);
  });

  test('every problem in one error naming the construct', () => {
    expect(() => renderContainerdNodeScript(
      { where: 'Stack/Cache', registryDomain: DOMAIN, account: '12', region: 'Europe', mirrors: [] },
      { refreshInterval: Duration.minutes(1) },
    )).toThrow(new Error([
      "PullThroughCache at 'Stack/Cache': containerdNodeScript is invalid:",
      '  - refreshInterval (Python: refresh_interval) 1 minute must be between 5 minutes and 11 hours: ECR authorization tokens last 12 hours',
      "  - the cache's account '12' must be 12 digits",
      "  - the cache's region 'Europe' is not a region name",
      '  - no upstream of the cache has a containerd mirror (see the warnings cdk-pull-through-cache:mirrorSkipped)',
    ].join('\n')));
  });

  test('a cache without mirrors is an error, with the warning saying why', () => {
    const stack = newEnvStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') });
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [{ registry: UpstreamRegistry.ecr({ role, account: '444455556666', region: 'us-west-2', repositoryPrefix: 'prod' }), prefix: 'prodmirror' }],
    });
    expect(() => cache.containerdNodeScript()).toThrow('no upstream of the cache has a containerd mirror');
    Annotations.fromStack(stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp('mirrorSkipped'));
  });

  test('a script over EC2\'s 16 KB of user data gets a warning with its size', () => {
    const scriptOf = (mirrors: number, stack = newEnvStack()) => {
      // One mirror per registry host: ECR upstreams of distinct accounts.
      const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
        upstreams: Array.from({ length: mirrors }, (_, i) => ({
          registry: UpstreamRegistry.ecr({ account: String(444455550000 + i), region: 'us-east-1' }), prefix: `mirror${i}`,
        })),
      });
      return { stack, script: cache.containerdNodeScript() };
    };
    const fits = scriptOf(28);
    expect(Buffer.byteLength(fits.script)).toBeLessThanOrEqual(16384);
    expect(Annotations.fromStack(fits.stack).findWarning('*', Match.stringLikeRegexp('nodeScriptSize'))).toEqual([]);

    const tooBig = scriptOf(40);
    const bytes = Buffer.byteLength(tooBig.script);
    expect(bytes).toBeGreaterThan(16384);
    Annotations.fromStack(tooBig.stack).hasWarning('/Stack/Cache', Match.stringLikeRegexp(
      `containerdNodeScript: the script is ${bytes} bytes \\(40 mirrors\\); EC2 accepts at most 16384 bytes of user data.*\\[ack: cdk-pull-through-cache:nodeScriptSize\\]`,
    ));
  });

  test('in an environment-agnostic stack the size counts the account, region and domain suffix at their shortest', () => {
    const scriptOf = (mirrors: number) => {
      const stack = newStack();
      const cache = PullThroughCache.fromPullThroughCacheAttributes(stack, 'Cache', {
        upstreams: Array.from({ length: mirrors }, (_, i) => ({
          registry: UpstreamRegistry.ecr({ account: String(444455550000 + i), region: 'us-east-1' }), prefix: `mirror${i}`,
        })),
      });
      const script = cache.containerdNodeScript();
      // As deployed to account 111122223333 in eu-west-1 (a region of the shortest length, 9).
      const deployed = script
        .replace(/\$\{Token\[AWS\.AccountId[^\]]*\]\}/g, '111122223333')
        .replace(/\$\{Token\[AWS\.Region[^\]]*\]\}/g, 'eu-west-1')
        .replace(/\$\{Token\[AWS\.URLSuffix[^\]]*\]\}/g, 'amazonaws.com');
      expect(deployed).not.toContain('${Token');
      return { stack, bytes: Buffer.byteLength(deployed), literalBytes: Buffer.byteLength(script.replace(/\$\{Token\[[^\]]*\]\}/g, '')) };
    };
    const fits = scriptOf(29);
    expect(fits.bytes).toBeLessThanOrEqual(16384);
    expect(Annotations.fromStack(fits.stack).findWarning('*', Match.stringLikeRegexp('nodeScriptSize'))).toEqual([]);

    // Its literal text alone fits; deployed, it does not. The warning gives a lower bound (the
    // shortest account, region and URL suffix of any partition), above 16 KB and below the real size.
    const tooBig = scriptOf(31);
    expect(tooBig.literalBytes).toBeLessThanOrEqual(16384);
    const [warning] = Annotations.fromStack(tooBig.stack).findWarning('/Stack/Cache', Match.stringLikeRegexp('nodeScriptSize'));
    const atLeast = Number(/the script is at least (\d+) bytes \(31 mirrors\)/.exec(String(warning?.entry.data))?.[1]);
    expect(atLeast).toBeGreaterThan(16384);
    expect(atLeast).toBeLessThanOrEqual(tooBig.bytes);
  });

  test('tokens pass validation: a refresh interval and a directory from parameters', () => {
    const stack = newEnvStack();
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber;
    const directory = new CfnParameter(stack, 'Directory').valueAsString;
    const script = smallCache(stack).containerdNodeScript({ refreshInterval: Duration.seconds(seconds), configDirectory: directory });
    const resolved = JSON.stringify(stack.resolve(script));
    expect(resolved).toContain('{"Ref":"Seconds"}');
    expect(resolved).toContain('{"Ref":"Directory"}');
  });

  describe('plugged into nodes', () => {
    test('ec2.UserData of a launch template: the script in the user data, env-bound literals', () => {
      const stack = newEnvStack();
      const cache = smallCache(stack);
      const role = nodeRole(stack);
      const userData = ec2.UserData.forLinux();
      userData.addCommands(cache.containerdNodeScript());
      new ec2.LaunchTemplate(stack, 'Template', { userData, role, machineImage: ec2.MachineImage.latestAmazonLinux2023() });
      cache.grantPull(role);

      const rendered = launchTemplateUserData(stack) as string;
      expect(typeof rendered).toBe('string');
      expect(rendered.startsWith('#!/bin/bash\n#!/bin/bash\n# cdk-pull-through-cache (Stack/Cache)')).toBe(true);
      expect(rendered).toContain('--registry-ids "$registry_id"');
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ecr:GetAuthorizationToken', Resource: '*' })]) },
      });
    });

    test('an environment-agnostic stack: account, region and domain resolve in the user data (Fn::Join)', () => {
      const stack = newEnvStack({});
      const cache = smallCache(stack);
      const userData = ec2.UserData.forLinux();
      userData.addCommands(cache.containerdNodeScript());
      new ec2.LaunchTemplate(stack, 'Template', { userData });
      const join = (launchTemplateUserData(stack) as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      expect(join[0]).toBe('');
      const parts = join[1];
      expect(parts).toContainEqual({ Ref: 'AWS::AccountId' });
      expect(parts).toContainEqual({ Ref: 'AWS::Region' });
      expect(parts).toContainEqual({ Ref: 'AWS::URLSuffix' });
      const text = parts.map(p => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join('');
      expect(text).toContain("readonly region='<AWS::Region>'");
      expect(text).toContain("readonly registry_id='<AWS::AccountId>'");
      expect(text).toContain('https://<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/v2/quaycache');
    });

    test('EKS managed node group on AL2023: MIME multi-part, a shell part next to the NodeConfig', () => {
      const stack = newEnvStack();
      const cache = smallCache(stack);
      const role = nodeRole(stack);
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
      const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'cluster', vpc });
      const nodeConfig = ['apiVersion: node.eks.aws/v1alpha1', 'kind: NodeConfig', 'spec:', '  kubelet:', '    flags:', '      - --node-labels=pull-through-cache=ecr'].join('\n');
      const userData = new ec2.MultipartUserData();
      userData.addPart(ec2.MultipartBody.fromRawBody({ contentType: 'text/x-shellscript; charset="us-ascii"', body: cache.containerdNodeScript() }));
      userData.addPart(ec2.MultipartBody.fromRawBody({ contentType: 'application/node.eks.aws', body: nodeConfig }));
      const launchTemplate = new ec2.LaunchTemplate(stack, 'NodeTemplate', { userData });
      new eks.Nodegroup(stack, 'Nodes', {
        cluster,
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
        launchTemplateSpec: { id: launchTemplate.launchTemplateId!, version: launchTemplate.latestVersionNumber },
        nodeRole: role,
      });
      cache.grantPull(role);

      const rendered = launchTemplateUserData(stack) as string;
      expect(rendered).toMatch(/^Content-Type: multipart\/mixed; boundary="[^"]+"\nMIME-Version: 1.0\n/);
      const shell = rendered.indexOf('Content-Type: text/x-shellscript; charset="us-ascii"\n\n#!/bin/bash\n# cdk-pull-through-cache (Stack/Cache)');
      const node = rendered.indexOf('Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig');
      expect(shell).toBeGreaterThan(0);
      expect(node).toBeGreaterThan(shell);
      Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', {
        AmiType: 'AL2023_x86_64_STANDARD',
        LaunchTemplate: { Id: Match.anyValue(), Version: Match.anyValue() },
      });
    });

    test('Karpenter EC2NodeClass: the script is its userData string', () => {
      const stack = newEnvStack();
      const cache = smallCache(stack);
      const role = nodeRole(stack);
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
      const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
        clusterName: 'cluster', vpc, kubectlRoleArn: `arn:aws:iam::${ACCOUNT}:role/kubectl`,
      });
      const script = cache.containerdNodeScript();
      cluster.addManifest('CachedNodeClass', {
        apiVersion: 'karpenter.k8s.aws/v1',
        kind: 'EC2NodeClass',
        metadata: { name: 'cached' },
        spec: {
          amiSelectorTerms: [{ alias: 'al2023@latest' }],
          role: role.roleName,
          subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'cluster' } }],
          securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'cluster' } }],
          userData: script,
        },
      });
      cache.grantPull(role);

      const manifests = Template.fromStack(stack).findResources('Custom::AWSCDK-EKS-KubernetesResource');
      const [manifest] = Object.values(manifests);
      const json = stack.resolve(manifest.Properties.Manifest) as { 'Fn::Join': [string, unknown[]] };
      const text = json['Fn::Join'][1].map(p => (typeof p === 'string' ? p : '<ref>')).join('');
      const [nodeClass] = JSON.parse(text);
      expect(nodeClass.kind).toBe('EC2NodeClass');
      expect(nodeClass.spec.userData).toBe(script);
    });
  });

  // The Go end-to-end test (test:node-e2e) runs these too, on the installed files.
  // scripts/ensure-tools.sh (the first step of `npx projen test`) installs both tools.
  test('shellcheck passes on the boot script and the program it installs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-script-'));
    const parts = nodeScriptParts({ where: 'W', registryDomain: DOMAIN, account: ACCOUNT, region: REGION, mirrors: smallCache(newEnvStack()).containerdMirrors() });
    fs.writeFileSync(path.join(dir, 'script.sh'), parts.script);
    fs.writeFileSync(path.join(dir, 'program.sh'), parts.program);
    execFileSync('shellcheck', [path.join(dir, 'script.sh'), path.join(dir, 'program.sh')], { stdio: 'pipe' });
    fs.rmSync(dir, { recursive: true });
  });

  test('systemd-analyze verify passes on the units, the retry drop-in included (ExecStart pointed at the written program)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-units-'));
    const parts = nodeScriptParts({ where: 'W', registryDomain: DOMAIN, account: ACCOUNT, region: REGION, mirrors: smallCache(newEnvStack()).containerdMirrors() });
    const program = path.join(dir, 'ecr-pull-through-cache-auth');
    fs.writeFileSync(program, parts.program, { mode: 0o700 });
    // The drop-in's [Service] section appended: systemd merges it into the unit's, as from the .d directory.
    fs.writeFileSync(path.join(dir, 'ecr-pull-through-cache-auth.service'),
      parts.service.replace(`ExecStart=${NODE_AUTH_PROGRAM}`, `ExecStart=${program}`) + '\n' + parts.retry);
    fs.writeFileSync(path.join(dir, 'ecr-pull-through-cache-auth.timer'), parts.timer);
    const result = spawnSync('systemd-analyze', ['verify', path.join(dir, 'ecr-pull-through-cache-auth.service'), path.join(dir, 'ecr-pull-through-cache-auth.timer')], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
    fs.rmSync(dir, { recursive: true });
  });
});
