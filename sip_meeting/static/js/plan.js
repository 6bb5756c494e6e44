// The plan, rendered from the snapshot's schema: an editor for writers, a reading view for
// everyone else and the wall. The sections of the current step come first.

import { confirmDialog, fill, formatDate, h, keepingFocus, nameOf, prefersReducedMotion,
  replaceKeepingCaret } from "./dom.js";
import { fieldKey } from "./live.js";
import { renderPeople } from "./meeting.js";
import { richText } from "./notes.js";

// Which fields each section of the meeting order shows; lists are goals, actions, consents.
export const SECTIONS = {
  questions: { fields: [["meeting", "questions"]] },
  participants: { people: true },
  consent: { list: "consent" },
  review: { review: true },
  situation: { fields: [["plan", "situation_works"], ["plan", "situation_difficult"]] },
  child: { fields: [["plan", "child_voice"], ["plan", "child_participation"],
    ["plan", "child_views_brought_by"], ["plan", "child_told_by"]] },
  strengths: { fields: [["plan", "strengths"]] },
  goals: { list: "goal" },
  actions: { list: "action" },
  responsibility: { fields: [["plan", "lead_principal"], ["plan", "lead_person"], ["plan", "others_part"]] },
  contact: { fields: [["plan", "contact_between"]] },
  followup: { fields: [["plan", "followup_date"], ["plan", "followup_form"],
    ["plan", "followup_convener"]] },
};
const SECTION_ORDER = Object.keys(SECTIONS);
const LISTS = { goal: "goals", action: "actions", consent: "consents" };
const TITLE_FIELD = { goal: "text", action: "what", consent: "given_by" };
// Action fields shown behind "More about this action" to keep a phone screen calm.
const ACTION_MORE = new Set(["goal_id", "depends_on_id", "family_part", "condition_fallback"]);
// A consent's withdrawal, behind "If the consent is withdrawn" for the same reason.
const CONSENT_MORE = new Set(["withdrawn_at", "withdrawn_by", "withdrawn_scope"]);
const MORE = { action: ACTION_MORE, consent: CONSENT_MORE };
// The follow-up's review of each action; shown in the review section only.
const REVIEW_FIELDS = new Set(["review_outcome", "review_comment", "condition_review"]);
const PLAN_REVIEW = "review_situation_change";
const ANNOUNCE_EVERY_MS = 5000;
const TYPING_SHOWN_MS = 10000;

export class PlanView {
  /**
   * @param {object} opts  t: translator; lang; announce: polite announcer;
   *   onlyCurrent: show only the current step's sections (the wall);
   *   marks(entity, id): what to show under a read item's title, or null (the wall's flags).
   */
  constructor(client, root, { t, lang, announce, onlyCurrent = false, skip = [], notes = null, flags = true,
    marks = null }) {
    Object.assign(this, { client, root, t, lang, announce, onlyCurrent, notes, flags, marks, skip: new Set(skip) });
    this.baseSkip = new Set(skip);
    this.reviewEls = new Map();  // action id -> li of the review section
    this.widgets = new Map();    // key -> {el, control, read, entity, id, field}
    this.typing = new Map();     // key -> Map(name -> expiry)
    this.itemEls = new Map();    // "entity:id" -> li
    this.sectionEls = new Map();
    this.changes = [];
    this.focusAfterAdd = new Set();
    client.addEventListener("field", (e) => this.onField(e.detail));
    client.addEventListener("op", (e) => this.onOp(e.detail));
    client.addEventListener("typing", (e) => this.onTyping(e.detail));
    client.addEventListener("presence", () => this.refreshPeople());
    client.addEventListener("annotations", () => this.refreshNotes());
    setInterval(() => this.flushAnnouncements(), ANNOUNCE_EVERY_MS);
    setInterval(() => this.expireTyping(), 2000);
  }

  get state() { return this.client.state; }

  // ---- whole plan -------------------------------------------------------------------------

  render() {
    this.active = true;
    this.widgets.clear();
    this.itemEls.clear();
    this.sectionEls.clear();
    this.reviewEls.clear();
    this.reviewBox = null;
    const s = this.state;
    // Only a follow-up looks back at the earlier plan's actions.
    this.skip = new Set(this.baseSkip);
    if (s.meeting.kind !== "followup") this.skip.add("review");
    for (const name of SECTION_ORDER) {
      if (!this.skip.has(name)) this.sectionEls.set(name, this.renderSection(name));
    }
    this.nowBox = h("div", { class: "plan-now" },
      h("h2", { class: "plan-group-title", id: "plan-now-title", tabindex: "-1" }, this.t("plan.now")));
    this.restBox = this.onlyCurrent ? null : h("div", { class: "plan-rest" },
      h("h2", { class: "plan-group-title" }, this.t("plan.rest")));
    const notes = [];
    if (!this.client.canWrite() && !this.onlyCurrent) {
      notes.push(h("p", { class: "plan-note" }, this.state.meeting.status === "live"
        ? this.t("plan.readonly") : (s.meeting.status === "closed"
          ? this.t("save.closed") : this.t("plan.not_live"))));
    }
    this.nav = this.onlyCurrent ? null : h("nav", { class: "plan-nav", "aria-labelledby": "plan-nav-title" });
    this.navList = h("div", {});
    if (this.nav) {
      this.nav.append(h("details", {}, h("summary", { id: "plan-nav-title" }, this.t("plan.sections")),
        this.navList));
    }
    this.mineBox = this.notes && !this.onlyCurrent ? h("section", { class: "mine-flags", "aria-labelledby": "mine-title" }) : null;
    this.wordsSection = this.notes && !this.onlyCurrent
      ? h("section", { class: "plan-section plan-words", id: "sec-words", "aria-labelledby": "words-title" }) : null;
    fill(this.root, ...notes, this.mineBox, this.nav, this.nowBox, this.restBox, this.wordsSection);
    this.placeSections();
    this.refreshNotes();
  }

  currentSections() {
    const step = this.state.order[this.state.meeting.step];
    return step ? step.sections.filter((n) => SECTIONS[n]) : [];
  }

  /** Put the current step's sections first; the rest keep the plan's own order. */
  placeSections() {
    const current = this.currentSections().filter((n) => !this.skip.has(n));
    keepingFocus(() => {
      for (const name of current) this.nowBox.append(this.sectionEls.get(name));
      for (const name of SECTION_ORDER) {
        const el = this.sectionEls.get(name);
        if (!el) continue;
        el.classList.toggle("is-current", current.includes(name));
        if (current.includes(name)) continue;
        if (this.skip.has(name)) { el.remove(); continue; }
        if (this.restBox) this.restBox.append(el); else el.remove();
      }
    });
    if (this.nav) {
      const names = [...current, ...SECTION_ORDER.filter((n) => !current.includes(n) && !this.skip.has(n))];
      if (this.wordsSection) names.push("words");
      fill(this.navList, h("ul", {}, names.map((n) => h("li", {},
        h("a", { href: `#sec-${n}`, class: current.includes(n) ? "is-current" : null,
                 "aria-current": current.includes(n) ? "true" : null }, this.t(`s.${n}`))))));
    }
  }

  renderSection(name) {
    const def = SECTIONS[name];
    const headingId = `h-${name}`;
    const section = h("section", { id: `sec-${name}`, class: `plan-section sec-${name}`,
                                   "aria-labelledby": headingId },
      h("h3", { id: headingId }, this.t(`s.${name}`)));
    if (def.review) {
      section.classList.add("sec-review-box");
      section.append(h("p", { class: "hint" }, this.t("review.hint")));
      this.reviewBox = h("ol", { class: "review-list" });
      section.append(this.reviewBox, this.fieldWidget("plan", this.entityId("plan"), PLAN_REVIEW));
      this.syncReview();
    } else if (def.people) {
      this.peopleBox = h("div", { class: "people-box" }, renderPeople(this.state, this.t));
      section.append(this.peopleBox);
    } else if (def.fields) {
      for (const [entity, field] of def.fields) {
        const widget = this.fieldWidget(entity, this.entityId(entity), field);
        // A section of one field says its name once: the heading; the label stays for readers.
        if (def.fields.length === 1) widget.classList.add("lf-solo");
        section.append(widget);
      }
    } else {
      section.listFlags = h("div", { class: "list-flags" });
      section.append(section.listFlags, this.renderList(def.list));
      if (def.list === "action") {
        this.acceptedBox = h("div", { class: "accepted", "aria-labelledby": "accepted-title" });
        section.append(this.acceptedBox);
      }
    }
    if (name === "followup") {
      // Fields the server knows but no section names still get a place in the plan.
      const known = new Set(Object.values(SECTIONS).flatMap((d) => (d.fields || []).map(([e, f]) => `${e}:${f}`)));
      for (const field of Object.keys((this.state.schema || {}).plan || {})) {
        if (!known.has(`plan:${field}`) && field !== PLAN_REVIEW) section.append(this.fieldWidget("plan", this.entityId("plan"), field));
      }
    }
    return section;
  }

  entityId(entity) {
    return entity === "meeting" ? this.state.meeting.id : this.client.planId();
  }

  // ---- one field --------------------------------------------------------------------------

  mayEdit(entity, field) {
    return this.client.canWrite(entity, field);
  }

  label(entity, field) {
    const key = `f.${entity}.${field}`;
    const text = this.t(key);
    return text === key ? field.replace(/_/g, " ") : text;
  }

  fieldWidget(entity, id, field) {
    const key = fieldKey(entity, id, field);
    const schema = this.client.schemaOf(entity, field);
    const domId = `f-${entity}-${id}-${field}`;
    const label = this.label(entity, field);
    const wrap = h("div", { class: `lf lf-${schema.type}`, dataset: { key } });
    const widget = { el: wrap, entity, id, field, schema, domId, label };
    if (!this.mayEdit(entity, field)) {
      widget.read = h("p", { class: "lf-value", id: domId });
      widget.notes = h("div", { class: "lf-notes" });
      wrap.classList.add("lf-read");
      wrap.append(h("p", { class: "lf-label", id: `${domId}-label` }, label), widget.read, widget.notes);
      this.widgets.set(key, widget);
      this.showValue(widget);
      return wrap;
    }
    const typingId = `${domId}-typing`;
    const errorId = `${domId}-error`;
    const common = { id: domId, "aria-describedby": `${typingId} ${errorId} ${domId}-notes` };
    let control;
    if (schema.type === "text") {
      control = h("textarea", { ...common, rows: 3, maxlength: schema.max || null, spellcheck: "true" });
    } else if (schema.type === "line") {
      control = h("input", { ...common, type: "text", maxlength: schema.max || null, autocomplete: "off" });
    } else if (schema.type === "date") {
      control = h("input", { ...common, type: "date", min: schema.min || "2000-01-01",
                             max: schema.max || "2100-12-31" });
    } else {
      control = h("select", common);
    }
    widget.control = control;
    widget.typing = h("p", { class: "lf-typing", id: typingId });
    widget.error = h("p", { class: "lf-error", id: errorId });
    widget.conflict = h("div", { class: "lf-conflict" });
    widget.notes = h("div", { class: "lf-notes", id: `${domId}-notes` });
    const hintKey = `hint.${entity}.${field}`;
    const hint = this.t(hintKey) === hintKey ? null : h("p", { class: "hint lf-hint", id: `${domId}-hint` }, this.t(hintKey));
    if (hint) control.setAttribute("aria-describedby", `${domId}-hint ${common["aria-describedby"]}`);
    wrap.append(...[h("label", { for: domId }, label), hint, control, widget.notes, widget.typing, widget.error,
      widget.conflict].filter(Boolean));
    const immediate = ["choice", "ref"].includes(schema.type);
    const readValue = () => {
      if (schema.type === "ref") return control.value === "" ? null : Number(control.value);
      return control.value;
    };
    if (schema.type === "date") this.wireDate(widget);
    else {
      control.addEventListener(immediate ? "change" : "input", () => {
        this.client.setLocal(entity, id, field, readValue(), { immediate });
        if (schema.type === "text") autosize(control);
        if (entity === "goal" || entity === "action") this.scheduleRefRefresh();
      });
    }
    control.addEventListener("focus", () => this.client.focusField(entity, id, field));
    control.addEventListener("blur", () => {
      if (schema.type === "date") this.settleDate(widget);
      this.client.commit(entity, id, field);
      if (widget.staleOptions) this.fillOptions(widget);
    });
    this.widgets.set(key, widget);
    if (schema.type === "choice" || schema.type === "ref") this.fillOptions(widget);
    this.showValue(widget);
    return wrap;
  }

  /**
   * A date is sent whole. While it is typed, a browser's date field holds values such as
   * "0002-02-05" (the year so far) or the 1st of a month whose day is half typed: those stay
   * on this screen until the person leaves the field or presses Enter, and only a complete
   * date within the plan's span is sent. A date picked from the calendar (a phone's wheel, a
   * mouse) is sent once the picking settles. Escape puts back the saved date.
   */
  wireDate(widget) {
    const { control } = widget;
    let keyedAt = 0;
    control.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.settleDate(widget);
      } else if (e.key === "Escape" && widget.editing) {
        e.preventDefault();
        widget.editing = false;
        widget.localError = null;
        control.value = this.client.value(widget.entity, widget.id, widget.field) || "";
        this.showValue(widget);
      } else if (!e.altKey && !["Tab", "Shift", "Control", "Meta", "Alt"].includes(e.key)) {
        keyedAt = Date.now();
      }
    });
    control.addEventListener("input", () => {
      widget.editing = true;
      clearTimeout(widget.pickTimer);
      if (widget.localError && !dateProblem(control)) {
        widget.localError = null;
        this.showValue(widget);
      }
      if (Date.now() - keyedAt > 500) widget.pickTimer = setTimeout(() => this.settleDate(widget, true), 600);
    });
  }

  /** Send the date in the field if it is complete and within the span, else say why here. */
  settleDate(widget, quiet = false) {
    clearTimeout(widget.pickTimer);
    if (!widget.editing) return;
    const { control, entity, id, field } = widget;
    const problem = dateProblem(control);
    if (problem) {
      if (quiet) return;
      widget.localError = `${problem === "incomplete" ? this.t("date.incomplete") : this.t("date.range", {
        first: formatDate(control.min, this.lang), last: formatDate(control.max, this.lang) })} ${this.t("date.not_saved")}`;
      this.showValue(widget);
      return;
    }
    widget.editing = false;
    widget.localError = null;
    this.client.setLocal(entity, id, field, control.value, { immediate: true });
    this.showValue(widget);
    if (entity === "goal" || entity === "action") this.scheduleRefRefresh();
  }

  fillOptions(widget) {
    const { control, schema, entity, field } = widget;
    if (document.activeElement === control) {
      widget.staleOptions = true;
      return;
    }
    widget.staleOptions = false;
    const options = [h("option", { value: "" },
      schema.type === "ref" ? this.t("ref.none") : this.t("choice.none"))];
    for (const [value, text] of this.choicesOf(entity, widget.id, field, schema)) {
      options.push(h("option", { value: String(value) }, text));
    }
    fill(control, ...options);
    const fs = this.client.field(entity, widget.id, field);
    control.value = fs.local === null || fs.local === undefined ? "" : String(fs.local);
  }

  choicesOf(entity, id, field, schema) {
    if (schema.type === "choice") {
      return (schema.choices || []).map((c) => [c, this.t(`c.${entity}.${field}.${c}`)]);
    }
    const s = this.state;
    if (schema.ref === "participant") {
      return (s.participants || []).map((p) => [p.id, p.organisation
        ? this.t("plan.participant_option", { name: p.name, organisation: p.organisation }) : p.name]);
    }
    if (schema.ref === "goal" || schema.ref === "action") {
      const list = s[LISTS[schema.ref]] || [];
      return list.map((item, i) => [item, i]).filter(([item]) => !(schema.ref === entity && item.id === id))
        .map(([item, i]) => [item.id, this.t("plan.item_option", {
          n: i + 1, text: shorten(this.client.value(schema.ref, item.id, TITLE_FIELD[schema.ref])) || this.t("plan.untitled"),
        })]);
    }
    return [];
  }

  scheduleRefRefresh() {
    clearTimeout(this.refTimer);
    this.refTimer = setTimeout(() => this.refreshRefs(), 800);
  }

  refreshRefs() {
    for (const widget of this.widgets.values()) {
      if (widget.schema.type !== "ref") continue;
      if (widget.control) this.fillOptions(widget); else this.showValue(widget);
    }
  }

  /** Show a field's current local value, its error and any conflict to resolve. */
  showValue(widget) {
    const fs = this.client.field(widget.entity, widget.id, widget.field);
    if (widget.read) {
      const text = this.displayValue(widget.entity, widget.field, widget.schema, fs.local);
      const sig = JSON.stringify([text, this.notesSig(widget.el.dataset.key)]);
      if (widget.readSig !== sig) {
        widget.readSig = sig;
        if (text) fill(widget.read, this.rich(widget.el.dataset.key, text, widget.schema));
        else widget.read.textContent = this.t("wall.nothing");
      }
      widget.read.classList.toggle("is-empty", !text);
      this.showNotes(widget);
      return;
    }
    const { control } = widget;
    const value = fs.conflict ? fs.conflict.mine : fs.local;
    if (control.tagName === "SELECT") {
      const wanted = value === null || value === undefined ? "" : String(value);
      if (![...control.options].some((o) => o.value === wanted)) this.fillOptions(widget);
      control.value = wanted;
    } else if (!widget.editing) {  // a date being typed keeps what is typed
      replaceKeepingCaret(control, value ?? "");
      if (widget.schema.type === "text") autosize(control);
    }
    widget.error.textContent = widget.localError || (fs.errorCode
      ? `${fs.error || this.t.error(fs.errorCode)} ${this.t("err.kept")}` : "");
    control.toggleAttribute("aria-invalid", Boolean(widget.localError || fs.error || fs.conflict));
    widget.el.classList.toggle("has-error", Boolean(widget.localError || fs.error));
    this.showConflict(widget, fs);
    this.showNotes(widget);
  }

  displayValue(entity, field, schema, value) {
    if (value === null || value === undefined || value === "") return "";
    if (schema.type === "choice") return this.t(`c.${entity}.${field}.${value}`);
    if (schema.type === "date") return formatDate(value, this.lang);
    if (schema.type === "ref") {
      const found = this.choicesOf(entity, null, field, schema).find(([v]) => v === value);
      return found ? found[1] : "";
    }
    return String(value);
  }

  showConflict(widget, fs) {
    const box = widget.conflict;
    if (!fs.conflict) {
      if (box.childElementCount) fill(box);
      widget.el.classList.remove("in-conflict");
      return;
    }
    if (box.dataset.version === String(fs.conflict.version) && box.childElementCount) return;
    box.dataset.version = String(fs.conflict.version);
    widget.el.classList.add("in-conflict");
    const c = fs.conflict;
    const who = c.by ? this.t("conflict.theirs", { name: nameOf(c.by, this.t("someone")) })
      : this.t("conflict.theirs_anon");
    const fmt = (v) => this.displayValue(widget.entity, widget.field, widget.schema, v) || "—";
    const titleId = `${widget.domId}-conflict`;
    const textual = widget.schema.type === "text" || widget.schema.type === "line";
    fill(box, h("div", { class: "conflict", role: "group", "aria-labelledby": titleId },
      h("p", { class: "conflict-title", id: titleId }, this.t("conflict.title")),
      h("p", { class: "hint" }, this.t("conflict.help")),
      h("div", { class: "conflict-sides" },
        h("div", { class: "conflict-side" }, h("p", { class: "conflict-label" }, this.t("conflict.mine")),
          h("p", { class: "conflict-text" }, fmt(c.mine))),
        h("div", { class: "conflict-side" }, h("p", { class: "conflict-label" }, who),
          h("p", { class: "conflict-text" }, fmt(c.theirs)))),
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => this.client.resolveConflict(widget.el.dataset.key, this.client.fields.get(widget.el.dataset.key).conflict.mine) }, this.t("conflict.keep_mine")),
        h("button", { type: "button", onclick: () => this.client.resolveConflict(widget.el.dataset.key, c.theirs) }, this.t("conflict.keep_theirs")),
        textual ? h("button", { type: "button", onclick: () => {
          const cur = this.client.fields.get(widget.el.dataset.key).conflict;
          const sep = widget.schema.type === "text" ? "\n" : " ";
          this.client.resolveConflict(widget.el.dataset.key, `${cur.theirs}${sep}${cur.mine}`);
          widget.control.focus();
        } }, this.t("conflict.combine")) : null)));
  }

  // ---- lists ------------------------------------------------------------------------------

  renderList(entity) {
    const box = h("div", { class: `list list-${entity}` });
    const ol = h("ol", { class: "items", "aria-label": this.t(`s.${LISTS[entity]}`) });
    const empty = h("p", { class: "muted list-empty" }, this.t(`plan.empty.${entity}`));
    box.append(ol, empty);
    if (this.client.canWrite()) {
      box.append(h("button", { type: "button", class: "add-item", onclick: () => this.addItem(entity) },
        this.t(`plan.add.${entity}`)));
    }
    this.lists = this.lists || {};
    this.lists[entity] = { ol, empty };
    this.syncList(entity);
    return box;
  }

  itemName(entity, index) {
    return this.t(`plan.item.${entity}`, { n: index + 1 });
  }

  /** Match the list's elements to the state's order, moving (not rebuilding) existing ones. */
  syncList(entity) {
    const parts = this.lists && this.lists[entity];
    if (!parts) return;
    const items = this.state[LISTS[entity]] || [];
    const wanted = new Set(items.map((i) => `${entity}:${i.id}`));
    for (const [key, li] of this.itemEls) {
      if (key.startsWith(`${entity}:`) && !wanted.has(key)) {
        li.remove();
        this.itemEls.delete(key);
        for (const wkey of [...this.widgets.keys()]) if (wkey.startsWith(`${key}:`)) this.widgets.delete(wkey);
      }
    }
    const active = document.activeElement;
    keepingFocus(() => {
      items.forEach((item, index) => {
        const key = `${entity}:${item.id}`;
        let li = this.itemEls.get(key);
        if (!li) {
          li = this.renderItem(entity, item);
          this.itemEls.set(key, li);
        }
        if (parts.ol.children[index] !== li) parts.ol.insertBefore(li, parts.ol.children[index] || null);
        this.labelItem(entity, li, index, items.length);
      });
    });
    if (active && active.disabled && active.isConnected) {
      const other = active.parentElement.querySelector("button:not([disabled])");
      if (other) other.focus();
    }
    parts.empty.hidden = items.length > 0;
  }

  labelItem(entity, li, index, count) {
    const name = this.itemName(entity, index);
    li.querySelector(".item-name").textContent = name;
    const up = li.querySelector("[data-move=up]");
    if (!up) return;
    const down = li.querySelector("[data-move=down]");
    up.disabled = index === 0;
    down.disabled = index === count - 1;
    up.setAttribute("aria-label", this.t("plan.move_up", { item: name }));
    down.setAttribute("aria-label", this.t("plan.move_down", { item: name }));
    li.querySelector("[data-remove]").setAttribute("aria-label", this.t("plan.remove", { item: name }));
  }

  renderItem(entity, item) {
    const li = h("li", { class: `item item-${entity}`, id: `item-${entity}-${item.id}`, tabindex: "-1",
      dataset: { id: item.id } });
    const writable = this.client.canWrite();
    if (!writable) {
      li.append(h("h4", { class: "item-name" }));
      li.append(this.readItem(entity, item));
      return li;
    }
    const fieldset = h("fieldset", {}, h("legend", { class: "item-name" }));
    const fields = Object.keys((this.state.schema || {})[entity] || {});
    const moreFields = MORE[entity];
    const more = moreFields ? h("details", { class: "item-more" },
      h("summary", {}, this.t(`plan.more.${entity}`))) : null;
    for (const field of fields) {
      if (REVIEW_FIELDS.has(field)) continue;
      const widget = this.fieldWidget(entity, item.id, field);
      if (more && moreFields.has(field)) more.append(widget); else fieldset.append(widget);
    }
    if (more) {
      more.querySelector("summary").append(h("span", { class: "more-flags" }));
      fieldset.append(more);
      more.open = [...moreFields].some((f) => {
        const v = this.client.value(entity, item.id, f);
        return v !== null && v !== "";
      });
    }
    const move = (delta) => {
      const list = this.state[LISTS[entity]];
      const at = list.findIndex((i) => i.id === item.id);
      const to = at + delta;
      if (at < 0 || to < 0 || to >= list.length) return;
      this.client.enqueue("move_item", { entity, id: item.id, position: to });
    };
    fieldset.append(h("div", { class: "item-tools" },
      h("button", { type: "button", dataset: { move: "up" }, onclick: () => move(-1) }, "↑ ", this.t("plan.up")),
      h("button", { type: "button", dataset: { move: "down" }, onclick: () => move(1) }, "↓ ", this.t("plan.down")),
      h("button", { type: "button", class: "danger", dataset: { remove: "1" }, onclick: () => this.removeItem(entity, item.id) },
        this.t("plan.remove_short"))));
    li.append(fieldset);
    return li;
  }

  /** A compact reading of one item: its main text, then what else has been filled in. */
  readItem(entity, item) {
    const schema = (this.state.schema || {})[entity] || {};
    const box = h("div", { class: "item-read", dataset: { item: `${entity}:${item.id}` } });
    const title = TITLE_FIELD[entity];
    const main = this.client.value(entity, item.id, title);
    box.append(h("p", { class: "item-title" }, main
      ? this.rich(fieldKey(entity, item.id, title), main, schema[title]) : this.t("plan.untitled")));
    const marks = this.marks && this.marks(entity, item.id);
    if (marks) box.append(marks);
    const dl = h("dl", { class: "item-facts" });
    for (const [field, fschema] of Object.entries(schema)) {
      if (field === title || (REVIEW_FIELDS.has(field) && this.state.meeting.kind !== "followup")) continue;
      const text = this.displayValue(entity, field, fschema, this.client.value(entity, item.id, field));
      if (!text) continue;
      dl.append(h("div", {}, h("dt", {}, this.label(entity, field)),
        h("dd", {}, this.rich(fieldKey(entity, item.id, field), text, fschema))));
    }
    if (dl.childElementCount) box.append(dl);
    if (this.notes && this.flags) {
      const flags = this.notes.itemFindings(entity, item.id);
      if (flags.length) box.append(h("div", { class: "flags" }, flags.map((f) => this.notes.flag(f, { quote: true }))));
      const local = this.notes.explanationsIn(main);
      if (local.length) box.append(...local.map((e) => this.notes.explanationLine(e)));
    }
    box.dataset.sig = this.notesSig(`${entity}:${item.id}:`);
    return box;
  }

  refreshReadItem(entity, id) {
    const li = this.itemEls.get(`${entity}:${id}`);
    const old = li && li.querySelector(".item-read");
    if (!old) return null;
    const item = (this.state[LISTS[entity]] || []).find((i) => i.id === id);
    if (!item) return null;
    const fresh = this.readItem(entity, item);
    old.replaceWith(fresh);
    return fresh;
  }

  addItem(entity) {
    const values = entity === "goal" ? { kind: "short" } : {};
    const opId = this.client.enqueue("add_item", { entity, values });
    this.focusAfterAdd.add(opId);
  }

  async removeItem(entity, id) {
    const index = (this.state[LISTS[entity]] || []).findIndex((i) => i.id === id);
    const name = this.itemName(entity, index);
    const ok = await confirmDialog({
      title: this.t("plan.remove_confirm", { item: name }), yes: this.t("dialog.confirm_remove"),
      no: this.t("dialog.cancel"),
    });
    if (!ok) return;
    const opId = this.client.enqueue("remove_item", { entity, id });
    this.focusAfterRemove = { opId, name };
  }

  refreshPeople() {
    if (this.peopleBox) fill(this.peopleBox, renderPeople(this.state, this.t));
  }

  // ---- what the rules and the glossary say ------------------------------------------------

  /** Text with flagged words underlined and glossary words as buttons. */
  rich(key, text, schema) {
    if (!this.notes || !schema || !["text", "line"].includes(schema.type)) return [text];
    const at = this.notes.at(key);
    return richText(text, this.flags ? at.findings : [], at.matches,
      (term, form) => this.notes.openTerm(term, form));
  }

  /** A signature of the notes on fields whose keys start with prefix, to skip idle re-renders. */
  notesSig(prefix) {
    if (!this.notes) return "";
    const parts = [];
    for (const [key, entry] of this.notes.index()) if (key.startsWith(prefix)) parts.push(key, entry);
    return JSON.stringify([parts, (this.state.explanations || []).length, this.flags]);
  }

  /** The flags, word chips and this plan's explanations under one field. */
  showNotes(widget) {
    if (!this.notes || !widget.notes) return;
    const key = widget.el.dataset.key;
    const at = this.notes.at(key);
    const findings = this.flags ? at.findings : [];
    const local = this.notes.explanationsIn(this.client.value(widget.entity, widget.id, widget.field));
    const writable = Boolean(widget.control) && this.client.canWrite();
    const sig = JSON.stringify([findings, widget.read ? [] : at.matches, local.map((e) => e.id), writable,
      findings.map((f) => this.splitReady(widget, f))]);
    if (widget.notesSig === sig) return;
    widget.notesSig = sig;
    keepingFocus(() => fill(widget.notes,
      findings.length ? h("div", { class: "flags" }, findings.map((f) => this.notes.flag(f, {
        quote: true, tools: writable ? this.conditionTools(f, widget) : null }))) : null,
      widget.read ? null : this.notes.chips(at.matches),
      local.map((e) => this.notes.explanationLine(e))));
  }

  /** Tell whether the flagged span still reads as the server saw it, so a split is safe. */
  splitReady(widget, f) {
    if (f.rule !== "conditional" || typeof f.start !== "number") return false;
    const text = String(this.client.value(widget.entity, widget.id, widget.field) || "");
    return text.slice(f.start, f.end) === f.phrase;
  }

  /** Three ways to resolve a condition: rewrite it, make it an action, or accept it with a
   * fallback; a hedge ("vid behov") is rewritten or accepted with a fallback. */
  conditionTools(f, widget) {
    if (!["conditional", "hedge"].includes(f.rule) || widget.entity !== "action"
      || !["what", "when_note"].includes(widget.field)) return null;
    const id = widget.id;
    const split = f.rule === "conditional" && widget.field === "what";
    return h("div", { class: "flag-tools" },
      h("button", { type: "button", onclick: () => {
        widget.control.focus();
        try { widget.control.setSelectionRange(f.start, f.end); } catch { /* not text */ }
      } }, this.t("cond.rewrite")),
      split ? h("button", { type: "button", class: "cond-split", disabled: !this.splitReady(widget, f), onclick: () => {
        this.client.commit("action", id, "what");
        this.client.enqueue("split_condition", { action_id: id, start: f.start, end: f.end });
      } }, this.t("cond.split")) : null,
      h("button", { type: "button", class: "cond-accept", onclick: () => {
        const li = this.itemEls.get(`action:${id}`);
        const more = li && li.querySelector(".item-more");
        if (more) more.open = true;
        const fallback = this.widgets.get(fieldKey("action", id, "condition_fallback"));
        if (fallback && fallback.control) {
          fallback.control.focus();
          fallback.el.scrollIntoView({ block: "center", behavior: prefersReducedMotion() ? "auto" : "smooth" });
        }
      } }, this.t("cond.accept")));
  }

  /** Look at every field again after new annotations or a new explanation. */
  refreshNotes() {
    if (!this.notes || !this.active || !this.state || this.state.lobby) return;
    keepingFocus(() => {
      for (const widget of this.widgets.values()) {
        if (widget.read) this.showValue(widget); else this.showNotes(widget);
      }
      for (const [key, li] of this.itemEls) {
        const [entity, id] = key.split(":");
        const read = li.querySelector(".item-read");
        if (read && read.dataset.sig !== this.notesSig(`${key}:`)) this.refreshReadItem(entity, Number(id));
        const badge = li.querySelector(".more-flags");
        if (badge) {
          const n = this.flags ? this.notes.itemFindings(entity, Number(id))
            .filter((f) => (MORE[entity] || ACTION_MORE).has(f.field)).length : 0;
          badge.textContent = n ? ` – ${this.t("flag.count", { n })}` : "";
        }
      }
      for (const [name, el] of this.sectionEls) {
        if (el.listFlags && this.flags) fill(el.listFlags, this.notes.listFlags(SECTIONS[name].list));
      }
      this.renderAccepted();
      this.renderMine();
      this.renderWords();
    });
  }

  renderAccepted() {
    if (!this.acceptedBox) return;
    const list = this.notes.ann.accepted_conditions || [];
    const actions = this.state.actions || [];
    const sig = JSON.stringify(list);
    if (this.acceptedBox.dataset.sig === sig) return;
    this.acceptedBox.dataset.sig = sig;
    fill(this.acceptedBox, list.length ? [h("h4", { id: "accepted-title" }, this.t("cond.accepted")),
      h("ul", { class: "accepted-list" }, list.map((c) => h("li", { dataset: { action: c.action_id } },
        h("p", { class: "accepted-what" }, this.t("cond.accepted_item", {
          item: this.itemName("action", actions.findIndex((a) => a.id === c.action_id)), what: c.what })),
        h("p", { class: "accepted-fallback" }, this.t("cond.accepted_fallback", { text: c.fallback })))))] : null);
  }

  /** "Questions for you": the flags on the actions this participant is responsible for. */
  renderMine() {
    if (!this.mineBox) return;
    const me = this.state.me || {};
    const actions = this.state.actions || [];
    const mine = new Map(actions.map((a, i) => [a.id, i]).filter(([id]) => me.kind === "participant"
      && this.client.value("action", id, "responsible_participant_id") === me.participant_id));
    const findings = this.flags ? (this.notes.ann.findings || []).filter((f) => f.section === "actions" && mine.has(f.item_id)) : [];
    const sig = JSON.stringify(findings);
    if (this.mineBox.dataset.sig === sig) return;
    this.mineBox.dataset.sig = sig;
    this.mineBox.hidden = !findings.length;
    fill(this.mineBox, findings.length ? [h("h2", { id: "mine-title" }, this.t("mine.title")),
      h("p", { class: "hint" }, this.t("mine.hint")),
      h("ul", {}, findings.map((f) => h("li", { class: `sev-${f.severity}` },
        h("span", { class: "mine-item" }, this.itemName("action", mine.get(f.item_id))), ": ", f.message, " ",
        h("a", { href: `#item-action-${f.item_id}`, onclick: (e) => { e.preventDefault(); this.goTo(f); } },
          this.t("mine.go")))))] : null);
  }

  /** Take the reader to the field a finding is about. */
  goTo(f) {
    const li = this.itemEls.get(`action:${f.item_id}`);
    if (!li) return;
    const widget = this.widgets.get(fieldKey("action", f.item_id, f.field));
    const more = widget && widget.el.closest(".item-more");
    if (more) more.open = true;
    const target = widget && widget.control ? widget.control : li;
    target.scrollIntoView({ block: "center", behavior: prefersReducedMotion() ? "auto" : "smooth" });
    target.focus({ preventScroll: true });
  }

  renderWords() {
    if (!this.wordsSection) return;
    const sig = JSON.stringify([(this.state.explanations || []).map((e) => e.id), this.state.meeting.status]);
    if (this.wordsSection.dataset.sig === sig) return;
    this.wordsSection.dataset.sig = sig;
    fill(this.wordsSection, this.notes.wordsBox());
  }

  // ---- the follow-up's review -------------------------------------------------------------

  /** One entry per action of the plan: how did it go, and did its condition hold? */
  syncReview() {
    if (!this.reviewBox) return;
    const actions = this.state.actions || [];
    const wanted = new Set(actions.map((a) => a.id));
    for (const [id, li] of this.reviewEls) {
      if (wanted.has(id)) continue;
      li.remove();
      this.reviewEls.delete(id);
      for (const f of REVIEW_FIELDS) this.widgets.delete(fieldKey("action", id, f));
    }
    keepingFocus(() => actions.forEach((a, index) => {
      let li = this.reviewEls.get(a.id);
      if (!li) {
        li = h("li", { class: "review-item" }, h("h4", { class: "review-title" }), h("p", { class: "review-what" }),
          this.fieldWidget("action", a.id, "review_outcome"), this.fieldWidget("action", a.id, "review_comment"));
        li.condBox = h("div", { class: "review-cond" });
        li.append(li.condBox);
        this.reviewEls.set(a.id, li);
      }
      if (this.reviewBox.children[index] !== li) this.reviewBox.insertBefore(li, this.reviewBox.children[index] || null);
      li.querySelector(".review-title").textContent = this.itemName("action", index);
      li.querySelector(".review-what").textContent = this.client.value("action", a.id, "what") || this.t("plan.untitled");
      const fallback = String(this.client.value("action", a.id, "condition_fallback") || "").trim();
      if (fallback && !li.condBox.childElementCount) {
        li.condBox.append(h("p", { class: "review-fallback" }),
          this.fieldWidget("action", a.id, "condition_review"));
      } else if (!fallback && li.condBox.childElementCount) {
        fill(li.condBox);
        this.widgets.delete(fieldKey("action", a.id, "condition_review"));
      }
      const line = li.condBox.querySelector(".review-fallback");
      if (line) line.textContent = this.t("cond.accepted_fallback", { text: fallback });
    }));
  }

  // ---- live updates -----------------------------------------------------------------------

  onField({ key, remote, op }) {
    const widget = this.widgets.get(key);
    const [entity, rawId] = key.split(":");
    if (widget) this.showValue(widget);
    let target = widget && widget.el;
    if (!widget && LISTS[entity]) target = this.refreshReadItem(entity, Number(rawId));
    else if (widget && widget.read && LISTS[entity]) target = this.refreshReadItem(entity, Number(rawId)) || target;
    if (entity === "action" && this.reviewBox) this.syncReview();
    if (remote && op && !this.client.isMine(op)) {
      if (target) flash(target, this.onlyCurrent);
      this.changes.push({ name: nameOf(op.by, this.t("someone")), field: widget ? widget.label : this.label(entity, key.split(":")[2]) });
      if (entity === "goal" || entity === "action") this.scheduleRefRefresh();
    }
  }

  onOp({ op, mine }) {
    if (!this.active) return;
    switch (op.kind) {
      case "condition_split":
      case "item_added":
      case "item_removed":
      case "item_moved": {
        this.syncList(op.entity);
        this.syncReview();
        this.refreshRefs();
        const list = this.state[LISTS[op.entity]] || [];
        if (op.kind === "condition_split" && mine) {
          const at = list.findIndex((i) => i.id === op.item.id);
          const main = this.widgets.get(fieldKey("action", op.item.id, "what"));
          if (main && main.control) main.control.focus();
          this.announce(this.t("cond.split_done", { item: this.itemName("action", at) }));
        } else if (op.kind === "item_added" && this.focusAfterAdd.has(op.op_id)) {
          this.focusAfterAdd.delete(op.op_id);
          const li = this.itemEls.get(`${op.entity}:${op.item.id}`);
          const main = this.widgets.get(fieldKey(op.entity, op.item.id, TITLE_FIELD[op.entity]));
          const first = main && main.control ? main.control : li && li.querySelector("textarea, input, select");
          if (first) first.focus();
          this.announce(this.t("plan.added", { item: this.itemName(op.entity, list.length - 1) }));
        } else if (op.kind === "item_moved" && mine) {
          const at = list.findIndex((i) => i.id === op.id);
          const title = shorten(this.client.value(op.entity, op.id, TITLE_FIELD[op.entity]), 40);
          this.announce(this.t("plan.moved", { item: title || this.itemName(op.entity, at), n: at + 1 }));
        } else if (op.kind === "item_removed" && mine && this.focusAfterRemove
                   && this.focusAfterRemove.opId === op.op_id) {
          // The removed item had focus: continue at the list's add button.
          const add = this.lists[op.entity] && this.lists[op.entity].ol.parentElement.querySelector(".add-item");
          if (add && (document.activeElement === document.body || !document.activeElement)) add.focus();
          this.announce(this.t("plan.removed", { item: this.focusAfterRemove.name }));
          this.focusAfterRemove = null;
        } else if (!mine) {
          this.changes.push({ name: nameOf(op.by, this.t("someone")), field: this.t(`s.${LISTS[op.entity]}`) });
        }
        break;
      }
      case "step":
        this.placeSections();
        break;
      case "status":
        this.render();
        break;
      case "admitted":
      case "dismissed":
      case "participant_removed":
        this.refreshPeople();
        this.refreshRefs();
        break;
      case "explanation_added":
        this.refreshNotes();
        break;
      default: break;
    }
  }

  onTyping({ entity, id, field, name, active }) {
    const key = fieldKey(entity, id, field);
    const names = this.typing.get(key) || new Map();
    if (active) names.set(name, Date.now() + TYPING_SHOWN_MS); else names.delete(name);
    this.typing.set(key, names);
    this.showTyping(key);
  }

  showTyping(key) {
    const widget = this.widgets.get(key);
    if (!widget || !widget.typing) return;
    const names = [...(this.typing.get(key) || new Map()).keys()];
    widget.typing.textContent = names.length ? this.t("typing", { name: names.join(", ") }) : "";
    widget.el.classList.toggle("is-typing", names.length > 0);
  }

  expireTyping() {
    const now = Date.now();
    for (const [key, names] of this.typing) {
      let changed = false;
      for (const [name, until] of names) if (until < now) { names.delete(name); changed = true; }
      if (changed) this.showTyping(key);
    }
  }

  flushAnnouncements() {
    if (!this.changes.length || !this.announce) return;
    const changes = this.changes;
    this.changes = [];
    const first = changes[0];
    if (changes.every((c) => c.name === first.name && c.field === first.field)) {
      this.announce(this.t("announce.change", { name: first.name, field: first.field }));
    } else {
      this.announce(this.t("announce.changes", { n: changes.length }));
    }
  }
}

/** Why a date field's value cannot be sent: "incomplete", "range", or "" when it can. */
function dateProblem(control) {
  if (control.validity.badInput) return "incomplete";
  const value = control.value;
  if (value === "") return "";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || value < control.min || value > control.max) return "range";
  return "";
}

function shorten(text, n = 48) {
  if (!text) return "";
  const one = String(text).replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

function autosize(textarea) {
  const lines = textarea.value.split("\n").length;
  textarea.rows = Math.min(Math.max(3, lines + 1), 16);
}

function flash(el, scroll) {
  el.classList.remove("flash-change");
  void el.offsetWidth;   // restart the highlight
  el.classList.add("flash-change");
  setTimeout(() => el.classList.remove("flash-change"), 2500);
  if (scroll) el.scrollIntoView({ block: "nearest", behavior: prefersReducedMotion() ? "auto" : "smooth" });
}
