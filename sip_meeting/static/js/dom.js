// Small helpers shared by the live pages: building elements and filling in translated texts.

/** Create an element: h("p", {class: "x", text: "…"}, child, …). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") el.textContent = value;
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's children, skipping empty slots (null, false). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/**
 * Return a translator over the page's strings; placeholders are named: %(name)s. A text with
 * a count comes in the catalog's two forms, "<key>.one" and "<key>.other": t(key, {n}) picks
 * the one for n in the page's language.
 */
export function translator(strings) {
  const plural = new Intl.PluralRules(document.documentElement.lang || "sv");
  const t = (key, params = {}) => {
    let text = strings[key];
    if (text === undefined && typeof params.n === "number" && `${key}.other` in strings) {
      text = strings[`${key}.${plural.select(params.n)}`] ?? strings[`${key}.other`];
    }
    text = text ?? key;
    return text.replace(/%\((\w+)\)[sd]/g, (whole, name) =>
      name in params ? String(params[name]) : whole);
  };
  /** Translate an error code, falling back to a general message. */
  t.error = (code) => (`err.${code}` in strings ? t(`err.${code}`) : t("err.generic"));
  return t;
}

/** Read the page's configuration from its JSON script element. */
export function readConfig() {
  return JSON.parse(document.getElementById("live-config").textContent);
}

/** Format an ISO date ("YYYY-MM-DD") for reading in the page's language. */
export function formatDate(iso, lang) {
  if (!iso) return "";
  const [y, m, d] = iso.split("-").map(Number);
  if (!y || !m || !d) return iso;
  return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "sv-SE", {
    day: "numeric", month: "long", year: "numeric",
  }).format(new Date(y, m - 1, d));
}

/** The name behind an op's `by`, which may be a name or a person object. */
export function nameOf(by, fallback) {
  if (!by) return fallback;
  if (typeof by === "string") return by;
  return by.name || fallback;
}

/** Keep the caret at a sensible place when a field's text is replaced under it. */
export function replaceKeepingCaret(input, next) {
  const prev = input.value;
  if (prev === next) return;
  const focused = document.activeElement === input;
  const start = focused ? input.selectionStart : null;
  const end = focused ? input.selectionEnd : null;
  input.value = next;
  if (!focused || start === null) return;
  let prefix = 0;
  while (prefix < prev.length && prefix < next.length && prev[prefix] === next[prefix]) prefix++;
  let suffix = 0;
  while (suffix < prev.length - prefix && suffix < next.length - prefix
         && prev[prev.length - 1 - suffix] === next[next.length - 1 - suffix]) suffix++;
  const map = (pos) => {
    if (pos <= prefix) return pos;
    if (pos >= prev.length - suffix) return next.length - (prev.length - pos);
    return next.length - suffix;
  };
  try { input.setSelectionRange(map(start), map(end)); } catch { /* not a text input */ }
}

/** Run fn with focus kept on the active element even if nodes around it move. */
export function keepingFocus(fn) {
  const active = document.activeElement;
  let range = null;
  if (active && "selectionStart" in active) {
    try { range = [active.selectionStart, active.selectionEnd]; } catch { range = null; }
  }
  fn();
  if (active && active !== document.body && document.activeElement !== active
      && active.isConnected) {
    active.focus({ preventScroll: true });
    if (range && range[0] !== null) {
      try { active.setSelectionRange(range[0], range[1]); } catch { /* not text */ }
    }
  }
}

export function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/** Ask a yes/no question in a modal dialog; resolves true when confirmed. */
export function confirmDialog({ title, text, yes, no, danger = true }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dialog = h("dialog", { class: "live-dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId, text: title }),
      text ? h("p", { text }) : null,
      h("div", { class: "actions" },
        h("button", { type: "button", class: danger ? "danger primary-danger" : "primary",
                      value: "yes", onclick: () => dialog.close("yes") }, yes),
        h("button", { type: "button", value: "no", onclick: () => dialog.close("no") }, no)));
    const opener = document.activeElement;
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "yes");
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("button[value=no]").focus();
  });
}

/** A polite live region that says one thing at a time. */
export function announcer(el) {
  let timer = null;
  return (text) => {
    clearTimeout(timer);
    el.textContent = "";
    timer = setTimeout(() => { el.textContent = text; }, 60);
  };
}
