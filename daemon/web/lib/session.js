// session.js: who is signed in (GET /v1/me) and what the server offers (GET /v1/auth/providers).
// Pages read it; sign-in and sign-out update it.
import { get } from './api.js';

export const session = {
  me: null,
  providers: { password: true, google: false, dev: false, sandbox: false },
};

export async function loadProviders() {
  try {
    Object.assign(session.providers, await get('/v1/auth/providers', null, { quiet401: true }));
  } catch { /* an older daemon without the route: password only */ }
}

export async function loadMe() {
  try {
    session.me = await get('/v1/me', null, { quiet401: true });
  } catch {
    session.me = null;
  }
  return session.me;
}

export const isAdmin = () => session.me?.role === 'admin';

// Set by app.js (which owns the shell): signedIn(next) after sign-in, signedOut() after sign-out.
export const auth = { signedIn: async () => {}, signedOut: () => {} };
