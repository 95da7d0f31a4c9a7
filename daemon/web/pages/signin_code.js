// pages/signin_code.js: the sign-in's second step, shown in place of the password form when
// the account has a second factor: the authenticator app's code or a recovery code.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { post } from '../lib/api.js';
import { field, form } from '../lib/ui.js';

// onDone() runs after the session cookie is set.
export function codeStep(challenge, onDone) {
  const code = field(t('sec.code_or_recovery'), { name: 'code', autocomplete: 'one-time-code', required: true, maxlength: '11', autofocus: true }, t('sec.signin_hint'));
  const f = form({
    children: [h('p', null, t('sec.signin_code')), code.wrap], submit: t('sec.verify'), fields: { code: code.input },
    onSubmit: async (v) => {
      await post('/v1/auth/signin/second-factor', { challenge, code: v.code }, { quiet401: true });
      await onDone();
    },
  });
  return f;
}
