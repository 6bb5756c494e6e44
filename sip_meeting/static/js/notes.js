// What the plan rules and the glossary say about the plan, shown where it concerns: questions
// (flags) under the fields, marked words with their explanations, and asking what a word means.

import { fill, h } from "./dom.js";
import { fieldKey } from "./live.js";

const SEVERITY_ICON = { blocker: "✖", warning: "⚠", advice: "ℹ" };
const EMPTY = { findings: [], completeness: null, accepted_conditions: [], terms: [] };
const LIST_OF_SECTION = { consents: "consent", goals: "goal", actions: "action", plan: "action" };

/** Return the annotations of the state, or empty ones before the first arrive. */
export function annotationsOf(state) {
  return (state && state.annotations) || EMPTY;
}

/** Where a finding belongs: a field's key, or a list ("list:action"). */
export function findingPlace(f, planId) {
  if (f.section === "actions" && f.item_id !== null && f.item_id !== undefined) {
    return fieldKey("action", f.item_id, f.field);
  }
  if (f.section === "sections") return fieldKey("plan", planId, f.field);
  return `list:${LIST_OF_SECTION[f.section] || "action"}`;
}

/** Find a span's place in the text as it is now; null when the text has moved on. */
function locate(text, start, end, expected) {
  if (typeof start !== "number" || typeof end !== "number" || end <= start) return null;
  if (!expected || text.slice(start, end) === expected) return end <= text.length ? [start, end] : null;
  const at = text.indexOf(expected);
  return at >= 0 ? [at, at + expected.length] : null;
}

/** Render text with flagged spans underlined and glossary words as buttons. */
export function richText(text, findings, matches, onTerm) {
  const flags = findings.map((f) => locate(text, f.start, f.end, f.phrase)).filter(Boolean);
  const terms = [];
  for (const m of matches) {
    const at = locate(text, m.start, m.end, m.form);
    if (at && !terms.some((o) => at[0] < o.end && o.start < at[1])) terms.push({ ...m, start: at[0], end: at[1] });
  }
  if (!flags.length && !terms.length) return [text];
  const cuts = new Set([0, text.length]);
  for (const [s, e] of flags) { cuts.add(s); cuts.add(e); }
  for (const m of terms) { cuts.add(m.start); cuts.add(m.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  let button = null;
  for (let i = 0; i < points.length - 1; i++) {
    const [s, e] = [points[i], points[i + 1]];
    const piece = text.slice(s, e);
    const flagged = flags.some(([fs, fe]) => fs <= s && e <= fe);
    const node = flagged ? h("span", { class: "flag-span" }, piece) : piece;
    const term = terms.find((m) => m.start <= s && e <= m.end);
    if (!term) { button = null; out.push(node); continue; }
    if (!button || button.dataset.start !== String(term.start)) {
      button = h("button", { type: "button", class: "term-btn", dataset: { term: term.term, start: term.start },
        onclick: () => onTerm(term.term, term.form) });
      out.push(button);
    }
    button.append(node);
  }
  return out;
}

/** The flags, word chips and meeting explanations that follow one field or list. */
export class Notes {
  /**
   * @param {object} opts  t; lang; termUrl: the glossary's address with "TERM";
   *   wall: a screen nobody types on (no asking, no controls).
   */
  constructor(client, { t, lang, termUrl, announce = () => {}, wall = false }) {
    Object.assign(this, { client, t, lang, termUrl, announce, wall });
    this.cache = new Map();      // term id -> Promise of the glossary entry
    this.openTips = new Set();   // suggestion disclosures the reader opened
  }

  get ann() { return annotationsOf(this.client.state); }

  /** Index the findings and terms by field, once per annotations. */
  index() {
    const ann = this.ann;
    if (this.indexed === ann) return this.byPlace;
    const planId = this.client.planId();
    const byPlace = new Map();
    const add = (key, kind, value) => {
      const entry = byPlace.get(key) || { findings: [], matches: [] };
      entry[kind].push(value);
      byPlace.set(key, entry);
    };
    for (const f of ann.findings || []) add(findingPlace(f, planId), "findings", f);
    for (const t of ann.terms || []) {
      for (const m of t.matches || []) add(fieldKey(t.entity, t.id, t.field), "matches", m);
    }
    this.indexed = ann;
    this.byPlace = byPlace;
    return byPlace;
  }

  at(key) {
    return this.index().get(key) || { findings: [], matches: [] };
  }

  /** The findings of one list item, in the order of its fields. */
  itemFindings(entity, id) {
    const prefix = `${entity}:${id}:`;
    const out = [];
    for (const [key, entry] of this.index()) if (key.startsWith(prefix)) out.push(...entry.findings);
    return out;
  }

  explanationsIn(text) {
    const lower = String(text || "").toLocaleLowerCase("sv");
    if (!lower) return [];
    return (this.client.state.explanations || []).filter((e) => lower.includes(e.word.toLocaleLowerCase("sv")));
  }

  explanationLine(e) {
    return h("p", { class: "local-explanation" }, h("span", { "aria-hidden": "true" }, "💬 "),
      this.t("words.here", { word: e.word, text: e.text }));
  }

  // ---- flags ------------------------------------------------------------------------------

  severityLabel(severity) {
    return [h("span", { "aria-hidden": "true" }, `${SEVERITY_ICON[severity] || "ℹ"} `),
      h("span", { class: "flag-sev" }, this.t(`flag.${severity}`))];
  }

  /**
   * One flag: the message as a question, the phrase it is about, the suggestion behind a tap.
   * @param {object} opts  quote: say which words; tools: controls for a condition.
   */
  flag(f, { quote = false, tools = null } = {}) {
    const tipKey = `${f.rule}:${f.item_id}:${f.field}:${f.start}`;
    const tip = h("details", { class: "flag-tip" }, h("summary", {}, this.t("flag.suggestion")),
      h("p", {}, f.suggestion));
    tip.open = this.openTips.has(tipKey);
    tip.addEventListener("toggle", () => {
      if (tip.open) this.openTips.add(tipKey); else this.openTips.delete(tipKey);
    });
    // A question that is no blocker yet, but must be settled before the meeting can end.
    const atClose = f.blocks_close && f.severity !== "blocker"
      ? h("span", { class: "flag-close" }, " ", this.t("flag.at_close")) : null;
    return h("div", { class: `flag sev-${f.severity}${atClose ? " blocks-close" : ""}`,
      dataset: { rule: f.rule, severity: f.severity, blocksClose: f.blocks_close ? "true" : "false" } },
      h("p", { class: "flag-msg" }, this.severityLabel(f.severity), ": ", f.message, atClose),
      quote && f.phrase && typeof f.start === "number"
        ? h("p", { class: "flag-quote" }, this.t("flag.quote", { phrase: f.phrase })) : null,
      f.suggestion ? tip : null,
      tools);
  }

  /** The flags of one list (goals, actions, consents), shown at the top of its section. */
  listFlags(entity) {
    const { findings } = this.at(`list:${entity}`);
    return findings.length ? h("div", { class: "flags" }, findings.map((f) => this.flag(f))) : null;
  }

  // ---- the glossary ------------------------------------------------------------------------

  fetchTerm(id) {
    if (!this.cache.has(id)) {
      const url = `${this.termUrl.replace("TERM", encodeURIComponent(id))}?lang=${encodeURIComponent(this.lang)}`;
      const request = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
      request.catch(() => this.cache.delete(id));
      this.cache.set(id, request);
    }
    return this.cache.get(id);
  }

  /** The chips under a field being edited: the glossary words found in its text. */
  chips(matches) {
    const seen = new Set();
    const unique = matches.filter((m) => !seen.has(m.term) && seen.add(m.term));
    if (!unique.length) return null;
    return h("div", { class: "term-chips" }, h("span", { class: "term-chips-label" }, this.t("words.in_text")),
      h("ul", {}, unique.map((m) => h("li", {}, h("button", { type: "button", class: "term-btn chip",
        dataset: { term: m.term }, onclick: () => this.openTerm(m.term, m.form) }, m.form)))));
  }

  /** Open the small dialog about a word: the glossary, this plan's meaning, and asking. */
  openTerm(termId, word) {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const body = h("div", { class: "term-body" });
    const local = (this.client.state.explanations || []).filter((e) =>
      (termId && e.term_id === termId) || e.word.toLocaleLowerCase("sv") === String(word).toLocaleLowerCase("sv"));
    const heading = h("h2", { id: titleId }, word);
    const dialog = h("dialog", { class: "live-dialog term-dialog", "aria-labelledby": titleId },
      heading,
      local.map((e) => this.explanationLine(e)),
      body,
      this.askForm(word, termId, () => dialog.close()),
      h("div", { class: "actions" }, h("button", { type: "button", class: "dialog-close",
        onclick: () => dialog.close() }, this.t("dialog.close"))));
    const opener = document.activeElement;
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
    if (termId) {
      fill(body, h("p", { class: "muted", role: "status" }, this.t("words.loading")));
      this.fetchTerm(termId).then((term) => {
        heading.textContent = term.headword || word;
        fill(body, h("p", { class: "term-explanation" }, term.explanation),
          (term.meanings || []).length ? [h("h3", {}, this.t("words.meanings")),
            h("dl", { class: "term-meanings" }, term.meanings.map((m) => h("div", {},
              h("dt", {}, m.label), h("dd", {}, m.text))))] : null,
          term.question && this.client.state.me.kind === "chair"
            ? h("p", { class: "term-question" }, this.t("words.ask_them", { question: term.question })) : null);
      }, () => fill(body, h("p", { class: "error" }, this.t("words.failed"))));
    }
    dialog.querySelector("button").focus();
  }

  /** "What does the word mean here?" with the choice to give one's name. */
  askForm(word, termId, done) {
    if (this.wall || this.client.state.meeting.status !== "live") return null;
    const id = `named-${Math.random().toString(36).slice(2)}`;
    const named = h("input", { type: "checkbox", id });
    const status = h("p", { class: "ask-status", role: "status" });
    const send = h("button", { type: "button", class: "primary", onclick: async () => {
      send.disabled = true;
      const answer = await this.client.command("ask_term", { word, term_id: termId || null, named: named.checked });
      send.disabled = false;
      if (answer && answer.ok) {
        this.announce(this.t("words.asked", { word }));
        done();
      } else {
        status.textContent = (answer && answer.message) || this.t.error(answer && answer.code);
      }
    } }, this.t("words.ask"));
    return h("div", { class: "ask-form" }, h("p", { class: "hint" }, this.t("words.ask_hint")),
      h("p", { class: "check" }, named, h("label", { for: id }, this.t("words.show_name"))), send, status);
  }

  /** A word someone chose themselves: ask about it, with the glossary if it knows the word. */
  askWord(word) {
    const clean = String(word || "").replace(/\s+/g, " ").trim().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
    if (!clean || clean.length > 80) return;
    const lower = clean.toLocaleLowerCase("sv");
    let termId = null;
    for (const t of this.ann.terms || []) {
      for (const m of t.matches || []) if (m.form.toLocaleLowerCase("sv") === lower) termId = m.term;
    }
    this.openTerm(termId, clean);
  }

  /** Words this plan has explained, and a field to ask about any word. */
  wordsBox({ ask = true } = {}) {
    const list = this.client.state.explanations || [];
    const inputId = "ask-word-input";
    const input = h("input", { type: "text", id: inputId, maxlength: 80, autocomplete: "off" });
    const form = ask && !this.wall && this.client.state.meeting.status === "live"
      ? h("form", { class: "ask-word", onsubmit: (e) => { e.preventDefault(); this.askWord(input.value); input.value = ""; } },
        h("label", { for: inputId }, this.t("words.ask_any")), h("div", { class: "ask-word-row" }, input,
          h("button", { type: "submit" }, this.t("words.ask_any_button")))) : null;
    return [h("h3", { id: "words-title" }, this.t("words.explained")),
      list.length ? h("dl", { class: "explained" }, list.map((e) => h("div", {},
        h("dt", {}, e.word), h("dd", {}, e.text)))) : h("p", { class: "muted" }, this.t("words.none")),
      form];
  }

  /** Offer "Ask about the word" for a word selected in the plan's text. */
  watchSelection(root) {
    if (this.wall) return;
    let word = "";
    const button = h("button", { type: "button", class: "ask-selection", hidden: true,
      onpointerdown: (e) => e.preventDefault(),
      onclick: () => { button.hidden = true; this.askWord(word); } });
    document.body.append(button);
    let timer = null;
    const check = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const field = document.activeElement;
        let text = "";
        let inside = false;
        if (field && root.contains(field) && field.id !== "ask-word-input"
            && (field.tagName === "TEXTAREA" || field.type === "text")) {
          text = field.value.slice(field.selectionStart, field.selectionEnd).trim();   // a selection in a field
          inside = Boolean(text);
        } else {
          const sel = document.getSelection();
          text = sel && !sel.isCollapsed ? sel.toString().trim() : "";
          inside = Boolean(text && sel.anchorNode && root.contains(sel.anchorNode));
        }
        inside = inside && this.client.state && this.client.state.meeting.status === "live";
        word = inside && text.length <= 80 && !text.includes("\n") ? text : "";
        button.textContent = word ? this.t("words.ask_selected", { word }) : "";
        button.hidden = !word;
      }, 250);
    };
    document.addEventListener("selectionchange", check);
    root.addEventListener("select", check, true);
    root.addEventListener("keyup", check, true);
  }

  // ---- the meter ---------------------------------------------------------------------------

  /** How complete the plan is, and how many things stop or want a look before closing.
   * The blockers' count is what stops the close (the close's own list, not today's severities). */
  meter(idBase = "meter") {
    const c = this.ann.completeness;
    if (!c) return h("p", { class: "muted" }, this.t("meter.waiting"));
    return h("div", { class: "meter", dataset: { percent: c.percent, blockers: c.blockers, warnings: c.warnings } },
      h("p", { class: "meter-title", id: `${idBase}-title` }, this.t("meter.title")),
      h("div", { class: "meter-row" },
        h("progress", { max: 100, value: c.percent, "aria-labelledby": `${idBase}-title` }, `${c.percent} %`),
        h("span", { class: "meter-value" }, this.t("meter.percent", { n: c.percent }))),
      h("ul", { class: "meter-counts" },
        h("li", { class: "sev-blocker" }, this.severityLabel("blocker"), ": ",
          h("strong", { class: "count-blockers" }, String(c.blockers))),
        h("li", { class: "sev-warning" }, this.severityLabel("warning"), ": ",
          h("strong", { class: "count-warnings" }, String(c.warnings))),
        c.overridden ? h("li", { class: "sev-overridden" }, this.t("meter.overridden", { n: c.overridden })) : null));
  }
}
