// Logs in through the Pryv MFA service with Pryv's own JavaScript library (`pryv` on
// npm), as an app developer would: `Service.login` throws `MfaRequiredError` carrying
// the mfaToken, then `Service.mfaChallenge` has a code sent and `Service.mfaVerify`
// exchanges it for a `Connection`.
//
// Usage: node mfa-login.mjs <serviceUrl> <username> <password> <codeUrl> [flags]
//   serviceUrl  the MFA service's base URL; the service info points `api`, `register`
//               and `access` at it, as an operator's service info would.
//   codeUrl     answers the latest code sent (stands in for the user reading an SMS).
//   --wrong-code-first  submits a wrong code before the right one.
//   --code-sent-at-login  skips mfaChallenge: the service sent the code at login
//               (`challengeOnLogin`), the flow the library documents.
//
// Prints one JSON line on stdout: {"ok": true, "token", "endpoint", "mfaStatus", ...}
// or {"ok": false, "stage", "status", "id", "message"}; exits non-zero on failure.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pryv = require('pryv');

const [serviceUrl, username, password, codeUrl, ...flags] = process.argv.slice(2);
if (!serviceUrl || !username || !password || !codeUrl) {
  console.error('usage: node mfa-login.mjs <serviceUrl> <username> <password> <codeUrl> [--wrong-code-first] [--code-sent-at-login]');
  process.exit(2);
}
const wrongCodeFirst = flags.includes('--wrong-code-first');
const codeSentAtLogin = flags.includes('--code-sent-at-login');

const base = serviceUrl.replace(/\/+$/, '');
const service = new pryv.Service(null, {
  name: 'Pryv MFA local test',
  api: `${base}/{username}/`,
  register: `${base}/reg/`,
  access: `${base}/access/`
});

const result = { ok: false, library: pryv.version };

function fail (stage, error) {
  Object.assign(result, {
    ok: false,
    stage,
    status: error.status ?? null,
    id: error.id ?? null,
    message: error.message
  });
  console.log(JSON.stringify(result));
  process.exit(1);
}

async function readCode () {
  const response = await fetch(codeUrl);
  if (!response.ok) throw new Error(`no code at ${codeUrl}: HTTP ${response.status}`);
  return (await response.text()).trim();
}

let mfaToken;
try {
  await service.login(username, password, 'mfa-js-test');
  fail('login', new Error('login answered a token: MFA is not active for this user'));
} catch (error) {
  if (!(error instanceof pryv.MfaRequiredError)) fail('login', error);
  mfaToken = error.mfaToken;
  result.mfaStatus = error.status;
}

if (!codeSentAtLogin) {
  try {
    await service.mfaChallenge(username, mfaToken);
  } catch (error) {
    fail('mfaChallenge', error);
  }
}

let code;
try {
  code = await readCode();
} catch (error) {
  fail('readCode', error);
}

if (wrongCodeFirst) {
  // Another code of the same length: the last digit moved by one.
  const last = (Number(code.slice(-1)) + 1) % 10;
  try {
    await service.mfaVerify(username, mfaToken, code.slice(0, -1) + last);
    fail('mfaVerify', new Error('a wrong code was accepted'));
  } catch (error) {
    if (!(error instanceof pryv.PryvError) || error.status == null) fail('mfaVerify', error);
    result.wrongCode = { status: error.status, id: error.id };
  }
}

let connection;
try {
  connection = await service.mfaVerify(username, mfaToken, code);
} catch (error) {
  fail('mfaVerify', error);
}

Object.assign(result, {
  ok: true,
  token: connection.token,
  endpoint: connection.endpoint,
  mfaToken
});
console.log(JSON.stringify(result));
