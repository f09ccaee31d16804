// provider.mjs — the OpenID Providers of the OIDC enrollment tests
// (tests/integration/oidc_enroll_test.cc).
//
//   node provider.mjs '<config JSON>'
//
// Starts, on free loopback ports:
//  * "real": panva/oidc-provider 8.8.1 (OpenID Certified; pinned in
//    package-lock.json) with one static confidential client
//    (client_secret_basic, PKCE S256 required), accounts whose claims come
//    from the config (birthdate under the profile scope), and its development
//    interactions (any login name = the account id, any password, then a
//    consent form). Its ID token carries only sub/aud/iss/iat/exp/nonce/
//    at_hash; birthdate comes from UserInfo.
//  * "fake": a tiny provider for ID tokens no real provider would send:
//    discovery, JWKS, an authorization endpoint that redirects straight back,
//    a token endpoint (checks client_secret_basic and PKCE) that crafts the ID
//    token chosen by GET /_mode?m=MODE, and UserInfo.
// Prints one JSON line {"real": URL, "fake": URL}, then serves until killed.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// --- the real provider -------------------------------------------------------------
const realServer = await listen((req, res) => realHandler(req, res));
const realUrl = `http://127.0.0.1:${realServer.address().port}`;
const provider = new Provider(realUrl, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true, methods: ['S256'] },
  claims: { openid: ['sub'], profile: ['birthdate', 'name', 'family_name', 'given_name'] },
  cookies: { keys: ['yesno-oidc-test-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    // The development interactions make the login name the account id: the
    // tests log in with the account's sub.
    const account = Object.values(config.accounts).find((a) => a.sub === id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() { return { sub: account.sub, ...account.claims }; },
    };
  },
});
provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error', err));
const realHandler = provider.callback();

// --- the fake provider --------------------------------------------------------------
const fakeServer = await listen((req, res) => fake(req, res).catch((e) => {
  console.error('fake provider:', e);
  res.writeHead(500).end();
}));
const fakeUrl = `http://127.0.0.1:${fakeServer.address().port}`;
const rsa1 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec1 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
let rsa3 = null;  // made on demand for 'rotated_again'
const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
let mode = 'ok';
let rotated = false;
const codes = new Map();
const accessTokens = new Map();

const b64u = (buf) => Buffer.from(buf).toString('base64url');
function sign(header, claims, how) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  if (how === 'none') return `${input}.`;
  if (how === 'hs256') return `${input}.${b64u(crypto.createHmac('sha256', config.client_secret).update(input).digest())}`;
  const key = how === 'es256' ? ec1.privateKey : how === 'rsa2' ? rsa2.privateKey
    : how === 'rsa3' ? rsa3.privateKey : rsa1.privateKey;
  const sig = how === 'es256'
    ? crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    : crypto.sign('sha256', Buffer.from(input), key);
  return `${input}.${b64u(sig)}`;
}

function idToken(nonce) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: fakeUrl, sub: config.fake_sub, aud: config.client_id, iat: now, exp: now + 300, nonce };
  let header = { alg: 'RS256', kid: 'fake-rsa-1', typ: 'JWT' };
  let how = 'rs256';
  // By default the fake puts the birth date in the ID token itself.
  if (mode !== 'userinfo' && mode !== 'userinfo_other_sub') claims.birthdate = config.fake_birthdate;
  switch (mode) {
    case 'wrong_aud': claims.aud = 'someone-else'; break;
    case 'wrong_iss': claims.iss = 'http://127.0.0.1:1'; break;
    case 'expired': claims.iat = now - 1200; claims.exp = now - 900; break;
    case 'wrong_nonce': claims.nonce = b64u(crypto.randomBytes(32)); break;
    case 'none': header = { alg: 'none', typ: 'JWT' }; how = 'none'; break;
    case 'hs256': header = { alg: 'HS256', kid: 'fake-rsa-1', typ: 'JWT' }; how = 'hs256'; break;
    case 'es256': header = { alg: 'ES256', kid: 'fake-ec-1', typ: 'JWT' }; how = 'es256'; break;
    case 'rotated': header = { alg: 'RS256', kid: 'fake-rsa-2', typ: 'JWT' }; how = 'rsa2'; break;
    case 'rotated_again': header = { alg: 'RS256', kid: 'fake-rsa-3', typ: 'JWT' }; how = 'rsa3'; break;
    case 'future_birthdate': claims.birthdate = '2999-01-01'; break;
    default: break;
  }
  let token = sign(header, claims, how);
  if (mode === 'tampered') {
    const [h, p] = token.split('.');
    // same header and signature, another payload: a different birth date
    const forged = { ...claims, birthdate: '1950-01-01' };
    token = `${h}.${b64u(JSON.stringify(forged))}.${token.split('.')[2]}`;
    void p;
  }
  return token;
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function fake(req, res) {
  const url = new URL(req.url, fakeUrl);
  if (url.pathname === '/_mode') {
    mode = url.searchParams.get('m');
    if (mode === 'rotated') rotated = true;
    if (mode === 'rotated_again' && !rsa3) rsa3 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    res.writeHead(204).end();
    return;
  }
  if (url.pathname === '/.well-known/openid-configuration') {
    json(res, 200, {
      issuer: fakeUrl,
      authorization_endpoint: `${fakeUrl}/auth`,
      token_endpoint: `${fakeUrl}/token`,
      userinfo_endpoint: `${fakeUrl}/me`,
      jwks_uri: `${fakeUrl}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    });
    return;
  }
  if (url.pathname === '/jwks') {
    const keys = [jwk(rsa1, 'fake-rsa-1', 'RS256'), jwk(ec1, 'fake-ec-1', 'ES256')];
    if (rotated) keys.push(jwk(rsa2, 'fake-rsa-2', 'RS256'));
    if (rsa3) keys.push(jwk(rsa3, 'fake-rsa-3', 'RS256'));
    json(res, 200, { keys });
    return;
  }
  if (url.pathname === '/auth') {
    const p = url.searchParams;
    if (p.get('response_type') !== 'code' || p.get('client_id') !== config.client_id ||
        p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge') || !p.get('nonce') ||
        !config.redirect_uris.includes(p.get('redirect_uri'))) {
      json(res, 400, { error: 'invalid_request' });
      return;
    }
    const code = b64u(crypto.randomBytes(24));
    codes.set(code, { nonce: p.get('nonce'), challenge: p.get('code_challenge'), redirect: p.get('redirect_uri') });
    const back = new URL(p.get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state'));
    res.writeHead(302, { location: back.toString() }).end();
    return;
  }
  if (url.pathname === '/token' && req.method === 'POST') {
    const body = new URLSearchParams(await readBody(req));
    const expected = `Basic ${Buffer.from(`${encodeURIComponent(config.client_id)}:${encodeURIComponent(config.client_secret)}`).toString('base64')}`;
    if (req.headers.authorization !== expected) { json(res, 401, { error: 'invalid_client' }); return; }
    if (mode === 'token_500') { json(res, 500, { error: 'server_error' }); return; }
    const entry = codes.get(body.get('code'));
    codes.delete(body.get('code'));
    const verifier = body.get('code_verifier') || '';
    if (!entry || body.get('grant_type') !== 'authorization_code' || body.get('redirect_uri') !== entry.redirect ||
        b64u(crypto.createHash('sha256').update(verifier).digest()) !== entry.challenge) {
      json(res, 400, { error: 'invalid_grant' });
      return;
    }
    const access = b64u(crypto.randomBytes(24));
    accessTokens.set(access, true);
    json(res, 200, { access_token: access, token_type: 'Bearer', expires_in: 300, id_token: idToken(entry.nonce) });
    return;
  }
  if (url.pathname === '/me') {
    const auth = req.headers.authorization || '';
    if (!auth.startsWith('Bearer ') || !accessTokens.has(auth.slice(7))) { json(res, 401, { error: 'invalid_token' }); return; }
    const sub = mode === 'userinfo_other_sub' ? 'somebody-else' : config.fake_sub;
    json(res, 200, { sub, birthdate: config.fake_birthdate });
    return;
  }
  json(res, 404, { error: 'not_found' });
}

console.log(JSON.stringify({ real: realUrl, fake: fakeUrl }));
process.on('SIGTERM', () => process.exit(0));
