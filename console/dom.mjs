/* global document, URLSearchParams */
/**
 * Building the page from data without ever parsing HTML: strings become text nodes or attribute
 * values, so content from the API (file text, names, abstracts) can never become markup or script.
 */

/** Appends children: strings and numbers as text, nodes as they are, arrays flattened, null skipped. */
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/**
 * `h('a', { href: link('read', { uri }) }, name)`: an element with attributes, `on*` listeners and
 * children. Links must be the console's own `#/` routes (see {@link link}).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'href' && !String(value).startsWith('#/')) throw new Error('only console links');
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** The console address of a route with its parameters: `#/read?uri=viking%3A%2F%2F…`. */
export function link(route, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return `#/${route}${text === '' ? '' : `?${text}`}`;
}

/** Replaces the children of `el`. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A labelled form control: `field('Query', h('input', {...}))`. */
export function field(label, control) {
  return h('label', {}, label, control);
}

/** A table with a header row (none for null); `rows` are arrays of cells (strings or nodes). */
export function table(headers, rows, testid, className) {
  const head =
    headers === null
      ? null
      : h(
          'thead',
          {},
          h(
            'tr',
            {},
            headers.map((name) => h('th', {}, name)),
          ),
        );
  const body = h(
    'tbody',
    {},
    rows.map((cells) =>
      h(
        'tr',
        {},
        cells.map((cell) => h('td', {}, cell)),
      ),
    ),
  );
  return h('table', { 'data-testid': testid, class: className }, head, body);
}

/** A key shown once after it is created: the API never shows it again. */
export function secretNotice(title, key) {
  return h(
    'div',
    { role: 'status' },
    h('h2', {}, title),
    h('div', { class: 'secret', 'data-testid': 'new-key' }, key),
    h('p', { class: 'muted' }, 'Shown once: copy it now, it cannot be shown again.'),
  );
}

/** An error of the API (`CODE: message`) or any other error, as an alert the page keeps in place. */
export function errorNode(error) {
  const code = typeof error?.code === 'string' ? `${error.code}: ` : '';
  return h('p', { class: 'error', role: 'alert', 'data-testid': 'error' }, code + String(error?.message));
}

const pad = (n) => String(n).padStart(2, '0');

/**
 * The one date format of the console, local time `YYYY-MM-DD HH:MM`, for ISO strings and for epoch
 * times (tasks give seconds; a number below 1e12 is taken as seconds, above as milliseconds).
 * Anything that is not a time is shown as it came; nothing as ''.
 */
export function formatTime(value) {
  if (value === null || value === undefined || value === '') return '';
  const date = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
