// Runs the CachedImages handler's pulling code (lib/warm-up/private/handler/pull.js, as jsii compiled it)
// against a registry on loopback, for the Go test in this directory. The Lambda entry
// (index.js) never gives pull.js anything but HTTPS: this plain-HTTP transport exists only here,
// and refuses any host that is not loopback.
//
// stdin: {"host", "authorization", "images", "platforms", "timeoutMs", "retries", "backoffMs"}
// stdout: {"results": [...], "seconds": n}
'use strict';
const http = require('http');
const path = require('path');

const pullJs = process.env.WARM_UP_PULL_JS || path.join(__dirname, '..', '..', 'lib', 'warm-up', 'private', 'handler', 'pull.js');
const { warmImages } = require(pullJs);

const loopbackHttp = {
  request(host, urlPath, headers, timeoutMs) {
    const [hostname, port] = host.split(':');
    if (hostname !== '127.0.0.1' && hostname !== 'localhost') {
      return Promise.reject(new Error(`the test transport serves loopback only, not ${host}`));
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ hostname, port: Number(port), path: urlPath, method: 'GET', headers }, res => {
        resolve({ status: res.statusCode, headers: res.headers, body: res, discard: () => res.destroy() });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
      req.on('error', reject);
      req.end();
    });
  },
};

let input = '';
process.stdin.on('data', d => { input += d; });
process.stdin.on('end', async () => {
  const options = JSON.parse(input);
  const started = process.hrtime.bigint();
  const results = await warmImages({ ...options, transport: loopbackHttp });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ results, seconds }));
});
