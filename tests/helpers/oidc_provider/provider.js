// A real OpenID provider for the sign-in tests: panva's certified `oidc-provider`, set up like NemLog-in.
//
// Started by the pytest fixture in tests/helpers/oidc.py as
//   node provider.js <port> <client_id> <client_secret> <redirect_uri[,redirect_uri…]> <post_logout_redirect_uri>
// on 127.0.0.1. It prints "ready <issuer>" once it listens. The test people sign in through the provider's own
// sign-in form ("any login, any password"): the login name picks one of the PEOPLE below.
//
// Tokens the provider should never issue (a wrong signature, a wrong audience, an expired token, a nonce from
// another sign-in) are made by asking POST /test/tamper?mode=... first: the next ID token the token endpoint
// hands out is then changed and signed again (with this provider's key, or for "signature" with a stranger's
// key under the same key id). The relying party under test is the real one; only the token it receives lies.
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, postLogoutRedirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const EID = 'https://data.gov.dk/model/core/eid';
const LOA = 'https://data.gov.dk/concept/core/nsis/loa';
const CPR = `${EID}/cprNumber`;
const CVR = `${EID}/professional/cvr`;
const PRIVILEGES = `${EID}/privilegesIntermediate`;
const PROFESSIONAL_UUID = `${EID}/professional/uuid/persistent`;
const ORG_NAME = `${EID}/professional/orgName`;
const FULL_NAME = `${EID}/fullName`;

function citizen(cpr, name, loa = 'Substantial') {
  return { [CPR]: cpr, [FULL_NAME]: name, [LOA]: loa };
}

function employee(uuid, name, cvr, orgName, privileges) {
  const claims = { [PROFESSIONAL_UUID]: uuid, [FULL_NAME]: name, [CVR]: cvr, [ORG_NAME]: orgName, [LOA]: 'Substantial' };
  if (privileges) claims[PRIVILEGES] = privileges;
  return claims;
}

// The test people (the CPR and CVR numbers are those of tests/cast.py).
const PEOPLE = {
  anna: citizen('0505851234', 'Anna Andersen'),
  'anna-low': citizen('0505851234', 'Anna Andersen', 'Low'),
  'anna-no-cpr': { [FULL_NAME]: 'Anna Andersen', [LOA]: 'Substantial' },
  'dorte-admin': employee('urn:uuid:7f6a1c1e-0000-4000-8000-00000000d001', 'Dorthe Direktør', '33770006', 'Dorte ApS',
    'urn:dk:digitalpost:privilege:company-mailbox-administrator'),
  'dorte-with-right': employee('urn:uuid:7f6a1c1e-0000-4000-8000-00000000d002', 'Erik Ekspedient', '33770006', 'Dorte ApS'),
  'dorte-without-right': employee('urn:uuid:7f6a1c1e-0000-4000-8000-00000000d003', 'Frida Fuldmægtig', '33770006', 'Dorte ApS'),
  // Nordby's caseworker as Nordby's own sign-on names her (the login is the portal user name, claim "sub").
  niels: employee('urn:uuid:7f6a1c1e-0000-4000-8000-00000000e002', 'Niels Nielsen', '29190003', 'Nordby Kommune'),
  'nordby-caseworker': employee('urn:uuid:7f6a1c1e-0000-4000-8000-00000000e001', 'Niels Nielsen', '29190003', 'Nordby Kommune'),
};
const ALL_CLAIMS = [LOA, CPR, CVR, PRIVILEGES, PROFESSIONAL_UUID, ORG_NAME, FULL_NAME];

const signingKey = await generateKeyPair('RS256', { extractable: true });
const strangerKey = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(signingKey.privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

let tamperMode = null;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUri.split(','),
    post_logout_redirect_uris: [postLogoutRedirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  jwks: { keys: [signingJwk] },
  claims: { openid: ['sub'], nemlogin: ALL_CLAIMS },
  // NemLog-in hands the attributes over in the ID token itself.
  conformIdTokenClaims: false,
  scopes: ['openid', 'nemlogin'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = PEOPLE[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  // First-party test client: no consent screen, every requested scope and claim granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid nemlogin');
    grant.addOIDCClaims(ALL_CLAIMS);
    await grant.save();
    return grant;
  },
});

async function tamper(idToken, mode) {
  const header = decodeProtectedHeader(idToken);
  const claims = decodeJwt(idToken);
  let key = await importJWK(signingJwk, 'RS256');
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'signature') key = strangerKey.privateKey;
  if (mode === 'audience') claims.aud = 'another-relying-party';
  if (mode === 'expired') { claims.iat = now - 7200; claims.exp = now - 3600; }
  if (mode === 'nonce') claims.nonce = 'a-nonce-from-another-sign-in';
  return new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid, typ: header.typ }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/tamper' && ctx.method === 'POST') {
    tamperMode = ctx.query.mode || null;
    ctx.body = { tamper: tamperMode };
    return;
  }
  await next();
  if (ctx.path === '/token' && tamperMode && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, tamperMode) };
    tamperMode = null;
  }
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
