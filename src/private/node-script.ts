import { Duration, Token } from 'aws-cdk-lib';
import type { ContainerdMirror } from '../containerd-mirror';
import type { ContainerdNodeScriptOptions } from '../containerd-node-script';
import { throwIfInvalid } from './diagnostics';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from './rules';

/** The name of the systemd service and timer, and of the program they run. */
export const NODE_AUTH_UNIT = 'ecr-pull-through-cache-auth';

/** Where the boot script installs the refresh program. */
export const NODE_AUTH_PROGRAM = `/usr/local/sbin/${NODE_AUTH_UNIT}`;

/** Where the boot script installs the systemd units. */
export const SYSTEMD_UNIT_DIRECTORY = '/etc/systemd/system';

/** EC2 takes at most 16 KB of user data, before base64 encoding (EC2 user guide, "Instance user data"). */
export const EC2_USER_DATA_MAX_BYTES = 16 * 1024;

/** How often the token is refreshed unless told otherwise: half its 12-hour lifetime. */
export const DEFAULT_REFRESH_INTERVAL = Duration.hours(6);

/** ECR authorization tokens last 12 hours; leave an hour for the retries of the last refresh. */
const MAX_REFRESH_SECONDS = 11 * 3600;
const MIN_REFRESH_SECONDS = 5 * 60;

/** Attempts of one refresh, 5, 10, 20 and 40 seconds apart. */
const ATTEMPTS = 5;
const FIRST_RETRY_DELAY_SECONDS = 5;

/** After a failed refresh, systemd runs the service again this much later, until one succeeds. */
const RETRY_AFTER_FAILURE_SECONDS = 300;

/** The first systemd that restarts a `Type=oneshot` service (systemd PR #13754, in 244). */
const MIN_SYSTEMD_FOR_RETRY = 244;

/** Where the boot script installs the retry drop-in, on systemd MIN_SYSTEMD_FOR_RETRY or newer. */
export const RETRY_DROP_IN = `${SYSTEMD_UNIT_DIRECTORY}/${NODE_AUTH_UNIT}.service.d/retry.conf`;

/**
 * What may appear in a literal value of the script: quoted with `'` in bash and `"` in TOML, it
 * must hold neither, nor a newline, `$`, `\` or a backtick. Registry hosts, URLs, account IDs and
 * region names are of these characters.
 */
const SAFE_VALUE = /^[A-Za-z0-9._:/@-]+$/;

/** The literal parts of a string that may hold CDK tokens (resolved in the template). */
function literalParts(value: string): string {
  return value.replace(/\$\{Token\[[^\]]*\]\}/g, 'token');
}

/** What the script is made of. */
export interface NodeScriptInput {
  /** The construct path, for error messages. */
  readonly where: string;
  /** The cache's registry domain, `<account>.dkr.ecr.<region>.<suffix>` (may hold tokens). */
  readonly registryDomain: string;
  /** The cache's account: the registry whose token the node asks for. */
  readonly account: string;
  /** The cache's region: where the node asks for the token. */
  readonly region: string;
  /** The cache's mirrors, from `containerdMirrors()`, with `configDirectory` applied. */
  readonly mirrors: ContainerdMirror[];
}

/** The files the boot script installs, and the script. */
export interface NodeScriptParts {
  /** The refresh program, installed at `NODE_AUTH_PROGRAM`. */
  readonly program: string;
  /** The systemd service that runs the program. */
  readonly service: string;
  /** The systemd timer that starts the service every `refreshInterval`. */
  readonly timer: string;
  /** The service's drop-in that reruns a failed refresh, installed on systemd 244 or newer only. */
  readonly retry: string;
  /** The boot script: installs them, enables the units and runs the program once. */
  readonly script: string;
}

/**
 * The boot script of a containerd node that pulls through the cache with the node role's ECR
 * token. Pure: the same input gives the same script.
 *
 * Decisions:
 * - The token is fetched on the node at run time (`aws ecr get-authorization-token` with the
 *   instance role), never at synth or deploy time: it is in no template, user data or log. It is
 *   written only into the `hosts.toml` files (0600, directories 0700; containerd runs as root),
 *   under the cache host's `header` table, so containerd sends it only to the cache, never to the
 *   upstream `server` it falls back to.
 * - Files are written to a temporary file in the same directory and renamed over the old one
 *   (atomic); a refresh that cannot get a token touches nothing, so the last good files stay.
 * - `printf` is a bash builtin: the token is in no process's arguments.
 * - The service runs at every boot before containerd and kubelet; on the first boot the units do
 *   not exist yet when systemd orders the boot, so the script runs the program itself, then
 *   starts the timer (`OnActiveSec` covers the first boot, when the service was never activated).
 * - Everything is wrapped in a subshell: `set -euo pipefail` does not leak into the user data the
 *   script is appended to, and a failed first refresh (containerd then falls back to the upstream
 *   registries) does not stop the rest of the user data.
 */
export function nodeScriptParts(input: NodeScriptInput, options: ContainerdNodeScriptOptions = {}): NodeScriptParts {
  const context = `PullThroughCache at '${input.where}': containerdNodeScript`;
  const problems: string[] = [];

  const interval = options.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
  const seconds = interval.toSeconds();
  if (!Token.isUnresolved(seconds) && (seconds < MIN_REFRESH_SECONDS || seconds > MAX_REFRESH_SECONDS)) {
    problems.push(`refreshInterval ${interval.toHumanString()} must be between 5 minutes and 11 hours: ECR authorization tokens last 12 hours`);
  }
  const directory = options.configDirectory;
  if (directory !== undefined && !Token.isUnresolved(directory) && !/^\/[A-Za-z0-9/._-]*$/.test(directory)) {
    problems.push(`configDirectory '${directory}' must be an absolute path of letters, digits and '/._-'`);
  }
  // The account and region go into the script as shell words: checked here too (an owned cache's
  // come from its stack's env, which nothing else checks).
  if (!Token.isUnresolved(input.account) && !ACCOUNT_ID_PATTERN.test(input.account)) {
    problems.push(`the cache's account '${input.account}' must be 12 digits`);
  }
  if (!Token.isUnresolved(input.region) && !REGION_PATTERN.test(input.region)) {
    problems.push(`the cache's region '${input.region}' is not a region name`);
  }
  if (input.mirrors.length === 0) {
    problems.push('no upstream of the cache has a containerd mirror (see the warnings cdk-pull-through-cache:mirrorSkipped)');
  }
  for (const mirror of input.mirrors) {
    for (const [field, value] of [['upstreamHost', mirror.upstreamHost], ['server', mirror.server], ['mirrorEndpoint', mirror.mirrorEndpoint], ['path', mirror.path]]) {
      if (!SAFE_VALUE.test(literalParts(value))) {
        problems.push(`upstream '${mirror.prefix}': ${field} '${value}' may hold only letters, digits and '._:/@-'`);
      }
    }
  }
  throwIfInvalid(context, problems);

  const program = renderProgram(input);
  const service = renderService();
  const timer = renderTimer(seconds);
  const retry = renderRetryDropIn();
  const script = renderBootScript(input, program, service, timer, retry);
  return { program, service, timer, retry, script };
}

/** The boot script alone. */
export function renderContainerdNodeScript(input: NodeScriptInput, options: ContainerdNodeScriptOptions = {}): string {
  return nodeScriptParts(input, options).script;
}

function renderProgram(input: NodeScriptInput): string {
  const writes = input.mirrors.map(mirror => `write_hosts '${mirror.path}' '${mirror.mirrorEndpoint}' '${mirror.content}' || failed=1`);
  return [
    '#!/bin/bash',
    `# Written by cdk-pull-through-cache (${input.where}). Gives containerd an ECR authorization token`,
    `# for the pull-through cache ${input.registryDomain}: fetches one with the instance role and`,
    '# rewrites each mirrored registry\'s hosts.toml, the token under the cache host\'s header table only.',
    `# Run by ${NODE_AUTH_UNIT}.timer and once by the boot script. Exits 1, changing nothing, without a token.`,
    'set -uo pipefail',
    'umask 077',
    'export AWS_PAGER=""',
    '',
    `readonly region='${input.region}'`,
    `readonly registry_id='${input.account}'`,
    '',
    'log() { echo "$*" >&2; }',
    '',
    'token=""',
    `delay=${FIRST_RETRY_DELAY_SECONDS}`,
    `for ((attempt = 1; attempt <= ${ATTEMPTS}; attempt++)); do`,
    '  if token=$(aws ecr get-authorization-token --region "$region" --registry-ids "$registry_id" \\',
    '      --cli-connect-timeout 10 --cli-read-timeout 20 \\',
    '      --query \'authorizationData[0].authorizationToken\' --output text) \\',
    '    && [[ $token =~ ^[A-Za-z0-9+/]+=*$ ]]; then',
    '    break',
    '  fi',
    '  token=""',
    `  if ((attempt < ${ATTEMPTS})); then`,
    `    log "attempt $attempt of ${ATTEMPTS}: no ECR authorization token for registry $registry_id in $region; retrying in $delay s"`,
    '    sleep "$delay"',
    '    delay=$((delay * 2))',
    '  fi',
    'done',
    'if [[ -z $token ]]; then',
    `  log "no ECR authorization token for registry $registry_id in $region after ${ATTEMPTS} attempts; the hosts.toml files are unchanged"`,
    '  exit 1',
    'fi',
    '',
    '# write_hosts <path> <cache endpoint> <hosts.toml without credentials>',
    '# Writes a temporary file in the same directory and renames it over the old one.',
    'write_hosts() {',
    '  local path=$1 endpoint=$2 content=$3 dir tmp',
    '  dir=$(dirname "$path")',
    '  mkdir -p "$dir" || return 1',
    '  chmod 0700 "$dir" || return 1',
    '  tmp=$(mktemp "$dir/.hosts.toml.XXXXXX") || return 1',
    '  if printf \'%s\\n[host."%s".header]\\n  Authorization = "Basic %s"\\n\' "$content" "$endpoint" "$token" > "$tmp" \\',
    '    && chmod 0600 "$tmp" && mv -f "$tmp" "$path"; then',
    '    log "wrote $path"',
    '  else',
    '    rm -f "$tmp"',
    '    log "could not write $path; it is unchanged"',
    '    return 1',
    '  fi',
    '}',
    '',
    'failed=0',
    ...writes,
    'exit "$failed"',
    '',
  ].join('\n');
}

function renderService(): string {
  return [
    '[Unit]',
    'Description=ECR authorization token for containerd\'s pull-through cache mirrors',
    'Documentation=https://github.com/cdk-pull-through-cache/cdk-pull-through-cache#kubernetes-and-ec2-nodes',
    'Wants=network-online.target',
    'After=network-online.target',
    'Before=containerd.service kubelet.service',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${NODE_AUTH_PROGRAM}`,
    'TimeoutStartSec=5min',
    `SyslogIdentifier=${NODE_AUTH_UNIT}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * A failed run (5 attempts) is rerun by systemd until one succeeds: without it, a node that booted
 * during an ECR outage would pull from the upstreams until the next timer run. The failed start
 * job still completes, so containerd and kubelet wait for that run only (the node e2e test shows
 * both with systemd 252). A drop-in, because systemd before 244 refuses a oneshot service with
 * Restart= altogether, and then the timer too: the boot script installs it on 244 or newer.
 */
function renderRetryDropIn(): string {
  return [
    '[Service]',
    'Restart=on-failure',
    `RestartSec=${RETRY_AFTER_FAILURE_SECONDS}s`,
    '',
  ].join('\n');
}

function renderTimer(seconds: number): string {
  return [
    '[Unit]',
    'Description=Refresh the ECR authorization token of containerd\'s pull-through cache mirrors',
    '',
    '[Timer]',
    `OnActiveSec=${seconds}s`,
    `OnUnitActiveSec=${seconds}s`,
    'AccuracySec=1min',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

function renderBootScript(input: NodeScriptInput, program: string, service: string, timer: string, retry: string): string {
  const file = (path: string, mode: string, content: string, delimiter: string) => [
    `install_file '${path}' ${mode} <<'${delimiter}'`,
    content.replace(/\n$/, ''),
    delimiter,
  ];
  return [
    '#!/bin/bash',
    `# cdk-pull-through-cache (${input.where}): containerd pulls through the ECR pull-through cache`,
    `# ${input.registryDomain} with the instance role's ECR token, refreshed by ${NODE_AUTH_UNIT}.timer.`,
    '# Idempotent: running it again rewrites the same files.',
    '(',
    'set -euo pipefail',
    '# install_file <path> <mode>: stdin to a temporary file renamed over <path>',
    'install_file() {',
    '  local tmp',
    '  mkdir -p "$(dirname "$1")"',
    '  tmp=$(mktemp "$1.XXXXXX")',
    '  cat > "$tmp"',
    '  chmod "$2" "$tmp"',
    '  mv -f "$tmp" "$1"',
    '}',
    ...file(NODE_AUTH_PROGRAM, '0700', program, 'CDK_PULL_THROUGH_CACHE_PROGRAM'),
    ...file(`${SYSTEMD_UNIT_DIRECTORY}/${NODE_AUTH_UNIT}.service`, '0644', service, 'CDK_PULL_THROUGH_CACHE_SERVICE'),
    ...file(`${SYSTEMD_UNIT_DIRECTORY}/${NODE_AUTH_UNIT}.timer`, '0644', timer, 'CDK_PULL_THROUGH_CACHE_TIMER'),
    `# Rerunning a failed oneshot service (Restart=) needs systemd ${MIN_SYSTEMD_FOR_RETRY} or newer; older ones refuse such a unit.`,
    'systemd_version=$(systemctl --version 2>/dev/null | sed -n \'1s/^systemd \\([0-9][0-9]*\\).*/\\1/p\') || true',
    `if [[ \${systemd_version:-0} -ge ${MIN_SYSTEMD_FOR_RETRY} ]]; then`,
    // Only the install_file line is indented: a heredoc's body and delimiter stay at column 0.
    ...file(RETRY_DROP_IN, '0644', retry, 'CDK_PULL_THROUGH_CACHE_RETRY').map((line, i) => (i === 0 ? `  ${line}` : line)),
    'else',
    `  rm -f '${RETRY_DROP_IN}'`,
    'fi',
    'systemctl daemon-reload',
    `systemctl enable ${NODE_AUTH_UNIT}.service ${NODE_AUTH_UNIT}.timer`,
    `systemctl start ${NODE_AUTH_UNIT}.timer`,
    '# The first refresh, before kubelet pulls. Without a token containerd pulls from the upstream registries.',
    `if ! ${NODE_AUTH_PROGRAM}; then`,
    '  # Rerun later, not now: a run holds containerd and kubelet (ordered after it), which may be starting.',
    `  systemd-run --on-active=${RETRY_AFTER_FAILURE_SECONDS} --unit=${NODE_AUTH_UNIT}-retry systemctl start --no-block ${NODE_AUTH_UNIT}.service \\`,
    `    || echo "${NODE_AUTH_UNIT}: could not schedule a rerun (is one scheduled already?)" >&2`,
    `  then_=", then every ${RETRY_AFTER_FAILURE_SECONDS} s while it fails"`,
    `  [[ -e '${RETRY_DROP_IN}' ]] || then_=", then at ${NODE_AUTH_UNIT}.timer's runs (systemd \${systemd_version:-unknown} cannot rerun a failed oneshot service)"`,
    `  echo "${NODE_AUTH_UNIT}: no ECR token yet; containerd pulls from the upstream registries until a refresh succeeds: the next in ${RETRY_AFTER_FAILURE_SECONDS} s\${then_}" >&2`,
    'fi',
    ')',
    '',
  ].join('\n');
}
