// pages/auth.js: sign in, sign up (with the age confirmation), the pending-approval notice,
// forgot password and the reset page the mail links to (/reset-password#token=…).
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { post, ApiError } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { session, auth } from '../lib/session.js';
import { heading, field, form, toast, showFieldError } from '../lib/ui.js';
import { codeStep } from './signin_code.js';

const wrap = (...children) => h('div', { class: 'auth-wrap' }, ...children);

// Sign-in: for existing accounts. Sign-up (`ageInput`): a new account through Google needs the
// same "16 or older" confirmation as the form, carried by the start URL (the daemon refuses to
// create the account without it and stores the answer only with the sign-in flow).
function googleButton(ageInput = null) {
  if (!session.providers.google) return null;
  const start = '/v1/auth/google/start';
  const a = h('a', { class: 'btn btn-block', href: ageInput ? `${start}?age_confirmed=false` : start }, t('auth.google'));
  if (ageInput) {
    a.addEventListener('click', (e) => {
      if (!ageInput.checked) {
        e.preventDefault();
        showFieldError(ageInput, t('auth.age_needed_google'));
        ageInput.focus();
        return;
      }
      a.href = `${start}?age_confirmed=true`;
    });
    ageInput.addEventListener('change', () => {
      if (!ageInput.checked) return;
      ageInput.removeAttribute('aria-invalid');
      document.getElementById(`${ageInput.id}-err`)?.replaceChildren();
    });
  }
  return [a, h('div', { class: 'divider' }, t('auth.or'))];
}

function devNote() {
  return session.providers.dev ? h('p', { class: 'notice small' }, t('auth.dev_note')) : null;
}

export function signin({ query }) {
  if (session.me) { navigate('/instances', { replace: true }); return h('div'); }
  const email = field(t('field.email'), { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = field(t('field.password'), { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const f = form({
    children: [email.wrap, password.wrap],
    submit: t('auth.signin'),
    fields: { email: email.input, password: password.input },
    onSubmit: async (v) => {
      let r;
      try {
        r = await post('/v1/auth/signin', v, { quiet401: true });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'account_not_active' && /approv/i.test(e.detail)) {
          navigate('/pending');
          return;
        }
        throw e;
      }
      if (r?.second_factor_required) {  // the code step replaces the password form
        const step = codeStep(r.challenge, () => auth.signedIn(query.get('next')));
        f.replaceWith(step);
        step.querySelector('input')?.focus();
        return;
      }
      await auth.signedIn(query.get('next'));
    },
  });
  return wrap(devNote(), h('div', { class: 'card' }, heading(t('auth.signin_title')),
    googleButton(), f,
    h('p', { class: 'small' }, h('a', { href: '/forgot-password' }, t('auth.forgot_link'))),
    h('p', { class: 'small' }, h('a', { href: '/data-rights' }, t('rights.link'))),
    h('p', { class: 'small muted' }, t('auth.no_account'), ' ', h('a', { href: '/signup' }, t('auth.signup_link')))));
}

export function signup() {
  const name = field(t('field.name'), { name: 'name', autocomplete: 'name', required: true, maxlength: '100' });
  const email = field(t('field.email'), { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = field(t('field.password'), { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: '8' }, t('auth.password_hint'));
  const age = field(t('auth.age_confirm'), { type: 'checkbox', name: 'age_confirmed', required: true }, t('auth.age_hint'));
  const f = form({
    children: [name.wrap, email.wrap, password.wrap, age.wrap],
    submit: t('auth.signup'),
    fields: { name: name.input, email: email.input, password: password.input, age_confirmed: age.input },
    onSubmit: async (v) => {
      const r = await post('/v1/auth/signup', v);
      if (r?.status === 'active') {
        // Dev mode's first account is the administrator and active at once: sign it in.
        await post('/v1/auth/signin', { email: v.email, password: v.password });
        toast(t('auth.first_admin'));
        await auth.signedIn('/instances');
        return;
      }
      navigate('/pending?from=signup');
    },
  });
  return wrap(devNote(), h('div', { class: 'card' }, heading(t('auth.signup_title')),
    googleButton(age.input), f,
    h('p', { class: 'small muted' }, t('auth.have_account'), ' ', h('a', { href: '/signin' }, t('auth.signin_link')))));
}

export function pending({ query }) {
  return wrap(h('div', { class: 'card' }, heading(t('pending.title')),
    h('p', null, query.get('from') === 'signup' ? t('pending.after_signup') : t('pending.text')),
    h('p', { class: 'muted' }, t('pending.mail')),
    session.providers.dev ? h('p', { class: 'notice small' }, t('pending.dev')) : null,
    h('div', { class: 'actions' }, h('a', { class: 'btn', href: '/signin' }, t('auth.back_to_signin'))),
    h('p', { class: 'small' }, h('a', { href: '/data-rights' }, t('rights.link')))));
}

export function forgot() {
  const email = field(t('field.email'), { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const done = h('p', { class: 'notice', role: 'status' });
  done.hidden = true;
  const f = form({
    children: [h('p', { class: 'muted' }, t('forgot.intro')), email.wrap],
    submit: t('forgot.submit'),
    fields: { email: email.input },
    onSubmit: async (v) => {
      await post('/v1/auth/password/forgot', v);
      done.textContent = t('forgot.sent', { email: v.email });
      done.hidden = false;
    },
  });
  return wrap(h('div', { class: 'card' }, heading(t('forgot.title')), done, f,
    h('p', { class: 'small' }, h('a', { href: '/signin' }, t('auth.back_to_signin')))));
}

// The token arrives in the fragment (never sent to a server, never in a Referer); it is read
// once and then dropped from the address bar and the history entry.
let resetToken = '';
export function reset() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    resetToken = decodeURIComponent(m[1]);
    history.replaceState(null, '', location.pathname);
  }
  if (!resetToken) {
    return wrap(h('div', { class: 'card' }, heading(t('reset.title')),
      h('p', null, t('reset.no_token')),
      h('div', { class: 'actions' }, h('a', { class: 'btn btn-primary', href: '/forgot-password' }, t('reset.request_new')))));
  }
  const password = field(t('field.new_password'), { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: '8' }, t('auth.password_hint'));
  const confirm = field(t('field.confirm_password'), { type: 'password', name: 'confirm', autocomplete: 'new-password', required: true });
  const tokenProblem = h('div', { class: 'form-error', role: 'alert' });
  const f = form({
    children: [password.wrap, confirm.wrap, tokenProblem],
    submit: t('reset.submit'),
    fields: { password: password.input, confirm: confirm.input },
    onSubmit: async (v) => {
      if (v.password !== v.confirm) {
        confirm.input.setAttribute('aria-invalid', 'true');
        document.getElementById(`${confirm.input.id}-err`).textContent = t('reset.mismatch');
        confirm.input.focus();
        return;
      }
      try {
        await post('/v1/auth/password/reset', { token: resetToken, password: v.password });
      } catch (e) {
        if (e instanceof ApiError && e.field === 'token') {
          tokenProblem.replaceChildren(t('reset.bad_token'), ' ', h('a', { href: '/forgot-password' }, t('reset.request_new')));
          return;
        }
        throw e;
      }
      resetToken = '';
      toast(t('reset.done'));
      navigate('/signin', { replace: true });
    },
  });
  return wrap(h('div', { class: 'card' }, heading(t('reset.title')), f));
}
