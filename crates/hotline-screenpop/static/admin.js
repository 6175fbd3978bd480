// Accounts, for admins: users and SIP phones, through /api/admin/. Each
// change reloads both lists; a one-time password or phone secret is put
// in the secret box (textContent) and nowhere else, and goes when the
// admin hides it, leaves or signs out.
import { $, api, el, notify, onLanguage, show, startPage, t } from '/ui/common.js';

const ui = { users: [], phones: [], me: null };

startPage({ page: 'admin', enter, leave });
onLanguage(() => render());

async function enter(me) {
  ui.me = me;
  await load();
}

function leave() {
  hideSecret();
  ui.users = []; ui.phones = [];
}

function hideSecret() {
  $('secrets').replaceChildren();
  show($('secret-box'), false);
}

/// Shows what was just made: `[{ kind: 'password' | 'phone', login, secret }]`.
function showSecrets(made) {
  $('secrets').replaceChildren(...made.map(({ kind, login, secret }) => el('p', {},
    el('span', { text: `${t(kind === 'phone' ? 'secret_for' : 'password_for')} ${login}: ` }),
    el('code', { text: secret, dataset: { testid: `admin-secret-${kind}` } }))));
  show($('secret-box'), true);
}

$('secret-hide').addEventListener('click', hideSecret);

async function load() {
  try {
    [ui.users, ui.phones] = await Promise.all([api('GET', '/api/admin/users'), api('GET', '/api/admin/phones')]);
  } catch (e) {
    notify(e.message);
  }
  render();
}

async function act(method, path, body, done) {
  try {
    const answer = await api(method, path, body);
    if (done) done(answer);
  } catch (e) {
    notify(e.message);
  }
  await load();
}

function skills(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [skill, level] = s.split(':');
    return { skill: skill.trim(), level: Number(level) };
  });
}

$('user-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const login = $('user-login').value.trim();
  const body = {
    login, role: $('user-role').value,
    display_name: $('user-name').value.trim() || null,
    department: $('user-department').value.trim() || null,
    skills: skills($('user-skills').value),
  };
  const made = [];
  try {
    const user = await api('POST', '/api/admin/users', body);
    made.push({ kind: 'password', login: user.user.login, secret: user.one_time_password });
    if ($('user-phone').checked) {
      const phone = await api('POST', '/api/admin/phones', { login });
      made.push({ kind: 'phone', login: phone.phone.login, secret: phone.secret });
    }
    for (const id of ['user-login', 'user-name', 'user-department', 'user-skills']) $(id).value = '';
    $('user-phone').checked = false;
    notify(t('created'), false);
  } catch (e) {
    notify(e.message);
  }
  if (made.length) showSecrets(made);
  await load();
});

$('phone-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const algorithms = $('phone-algorithms').value;
  await act('POST', '/api/admin/phones', {
    login: $('phone-login').value.trim(),
    algorithms: algorithms ? algorithms.split(',') : [],
  }, (made) => {
    $('phone-login').value = '';
    showSecrets([{ kind: 'phone', login: made.phone.login, secret: made.secret }]);
  });
});

const header = (...keys) => el('tr', {}, ...keys.map((k) => el('th', { text: t(k) })));
const button = (text, testid, onclick) => el('button', { type: 'button', class: 'ghost', text, dataset: { testid }, onclick });

function userRow(user) {
  const state = user.disabled ? t('state_disabled') : user.must_change_password ? t('state_must_change') : t('state_active');
  const role = el('select', { dataset: { testid: 'admin-role-select' }, 'aria-label': t('role') },
    ...['agent', 'supervisor', 'dispatcher', 'handler', 'admin'].map((r) => {
      const option = el('option', { value: r, text: t(`role_${r}`) });
      option.selected = r === user.role;
      return option;
    }));
  const department = el('input', { value: user.department || '', class: 'narrow', dataset: { testid: 'admin-role-department' }, 'aria-label': t('department') });
  const self = ui.me && user.login === ui.me.login;
  const base = `/api/admin/users/${encodeURIComponent(user.login)}`;
  return el('tr', { dataset: { testid: 'admin-user-row', login: user.login } },
    el('td', { text: user.login }),
    el('td', { text: user.display_name }),
    el('td', {}, role, department,
      button(t('set_role'), 'admin-set-role', () => act('POST', `${base}/role`, { role: role.value, department: department.value.trim() || null }))),
    el('td', { text: user.skills.map((s) => `${s.skill}:${s.level}`).join(', ') }),
    el('td', { text: state, dataset: { testid: 'admin-user-state' } }),
    el('td', {},
      self ? null : user.disabled
        ? button(t('enable'), 'admin-enable', () => act('POST', `${base}/enable`))
        : button(t('disable'), 'admin-disable', () => {
          if (confirm(t('confirm_disable').replace('{login}', user.login))) act('POST', `${base}/disable`);
        }),
      button(t('reset_password'), 'admin-reset-password', () => act('POST', `${base}/reset_password`, undefined,
        (made) => showSecrets([{ kind: 'password', login: made.user.login, secret: made.one_time_password }])))));
}

function phoneRow(phone) {
  const base = `/api/admin/phones/${encodeURIComponent(phone.login)}`;
  return el('tr', { dataset: { testid: 'admin-phone-row', login: phone.login } },
    el('td', { text: phone.login }),
    el('td', { text: phone.realm }),
    el('td', { text: phone.algorithms.length ? phone.algorithms.join(', ') : t('algorithms_default') }),
    el('td', {},
      button(t('reset_secret'), 'admin-reset-secret', () => act('POST', `${base}/reset_secret`, undefined,
        (made) => showSecrets([{ kind: 'phone', login: made.phone.login, secret: made.secret }]))),
      button(t('remove'), 'admin-remove-phone', () => {
        if (confirm(t('confirm_remove').replace('{login}', phone.login))) act('DELETE', base);
      })));
}

function render() {
  $('users').replaceChildren(
    header('login', 'display_name', 'role', 'skills', 'state', 'actions'),
    ...ui.users.map(userRow));
  $('phones').replaceChildren(
    header('phone_login', 'realm', 'algorithms', 'actions'),
    ...ui.phones.map(phoneRow));
}
