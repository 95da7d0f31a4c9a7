// pages/data_rights.js: data rights for every account state (issue 20). Without a link: a form
// that mails one (export or delete) to the account's address, for people who cannot sign in
// (pending, rejected, suspended, or no password). With the mailed link
// (/data-rights#action=export|delete&token=…): download the export, or delete the account
// after a confirmation. The token is read from the fragment once and dropped from the address
// bar, like the password-reset token; it works once, so a used link says so.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { post, ApiError } from '../lib/api.js';
import { heading, field, form, toast, confirmDialog, act, describe } from '../lib/ui.js';

const wrap = (...children) => h('div', { class: 'auth-wrap' }, ...children);
const backLink = () => h('p', { class: 'small' }, h('a', { href: '/signin' }, t('auth.back_to_signin')));

let link = null;  // {action, token} from the fragment, kept across re-renders of this page

function readLink() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = hash.get('token');
  const action = hash.get('action');
  if (token && (action === 'export' || action === 'delete')) {
    link = { action, token };
    history.replaceState(null, '', location.pathname);
  }
}

export function dataRights() {
  readLink();
  if (!link) return requestPage();
  return link.action === 'export' ? exportPage(link.token) : deletePage(link.token);
}

// Mails a single-use link; the answer is the same whether or not the address has an account.
function requestPage() {
  const email = field(t('field.email'), { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const action = field(t('rights.f_action'), { name: 'action', value: 'export' }, null,
    { tag: 'select', options: [['export', t('rights.o_export')], ['delete', t('rights.o_delete')]] });
  const done = h('p', { class: 'notice', role: 'status' });
  done.hidden = true;
  const f = form({
    children: [h('p', { class: 'muted' }, t('rights.intro')), email.wrap, action.wrap],
    submit: t('rights.request'),
    fields: { email: email.input, action: action.input },
    onSubmit: async (v) => {
      await post('/v1/auth/data-rights', v);
      done.textContent = t('rights.sent', { email: v.email });
      done.hidden = false;
    },
  });
  return wrap(h('div', { class: 'card' }, heading(t('rights.title')), done, f, backLink()));
}

// A used or expired link: say so and offer a new one (the token is spent either way).
function linkSpent(box, e) {
  link = null;
  if (e instanceof ApiError && e.field === 'token') {
    box.replaceChildren(t('rights.bad_token'), ' ', h('a', { href: '/data-rights' }, t('rights.request_new')));
    return true;
  }
  return false;
}

function exportPage(token) {
  const problem = h('div', { class: 'form-error', role: 'alert' });
  const done = h('p', { class: 'notice', role: 'status' });
  done.hidden = true;
  const btn = h('button', { type: 'button', class: 'btn btn-primary' }, t('rights.download'));
  btn.addEventListener('click', () => act(btn, async () => {
    problem.replaceChildren();
    try {
      await download(token);
    } catch (e) {
      if (!linkSpent(problem, e)) problem.replaceChildren(await describe(e));
      return;
    }
    link = null;
    btn.hidden = true;
    done.textContent = t('rights.downloaded');
    done.hidden = false;
  }));
  return wrap(h('div', { class: 'card' }, heading(t('rights.export_title')),
    h('p', null, t('rights.export_text')), problem, done, h('div', { class: 'actions' }, btn), backLink()));
}

// The export is a streamed JSON document: fetched here (the token goes in the body, never in a
// URL) and handed to the browser as a file.
async function download(token) {
  let res;
  try {
    res = await fetch('/v1/auth/data-rights/export', {
      method: 'POST', credentials: 'omit',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });
  } catch {
    throw new ApiError(0, {});
  }
  if (!res.ok) {
    let p = {};
    try { p = await res.json(); } catch { /* not problem+json */ }
    throw new ApiError(res.status, p);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: 'enfinito-export.json', hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function deletePage(token) {
  const problem = h('div', { class: 'form-error', role: 'alert' });
  const btn = h('button', { type: 'button', class: 'btn btn-danger' }, t('set.delete'));
  const body = h('div', null, h('p', null, t('set.delete_text')), problem, h('div', { class: 'actions' }, btn));
  btn.addEventListener('click', async () => {
    if (!await confirmDialog({ title: t('set.delete_title'), text: t('set.delete_confirm_text'), confirm: t('set.delete') })) return;
    await act(btn, async () => {
      problem.replaceChildren();
      try {
        await post('/v1/auth/data-rights/delete', { token }, { quiet401: true });
      } catch (e) {
        if (!linkSpent(problem, e)) problem.replaceChildren(await describe(e));
        return;
      }
      link = null;
      toast(t('set.deleted'));
      body.replaceChildren(h('p', { class: 'notice', role: 'status' }, t('rights.deleted')));
    });
  });
  return wrap(h('div', { class: 'card' }, heading(t('rights.delete_title')), body, backLink()));
}
