// Parts every live page shares: the meeting order, who is here, and the save status.

import { h } from "./dom.js";

const FAMILY = new Set(["guardian", "child", "relative"]);

/** Return the participants with the family first, as the meeting presents them. */
export function familyFirst(participants) {
  return [...participants].sort((a, b) =>
    Number(!FAMILY.has(a.role)) - Number(!FAMILY.has(b.role)));
}

/** Render the meeting order with the current step marked. */
export function renderOrder(state, t, { summaries = false } = {}) {
  const current = state.meeting.step;
  return h("ol", { class: "order-steps" },
    state.order.map((step, i) => h("li", {
      class: i === current ? "is-current" : (i < current ? "is-done" : ""),
      "aria-current": i === current ? "step" : null,
    },
    h("span", { class: "step-title" }, step.title),
    i === current ? h("span", { class: "badge" }, t("order.now")) : null,
    summaries && i === current ? h("span", { class: "step-summary" }, step.summary) : null)));
}

/** Describe a person by role and organisation, never by contact details. */
export function describePerson(p, t) {
  const role = t(`role.${p.role}`);
  return p.organisation ? `${role}, ${p.organisation}` : role;
}

/** Render the people let into the meeting. */
export function renderPeople(state, t, { showStatus = true } = {}) {
  const me = state.me || {};
  const people = familyFirst((state.participants || []).filter((p) => p.admitted));
  if (!people.length) return h("p", { class: "muted" }, t("people.none"));
  return h("ul", { class: "people" }, people.map((p) => h("li", {
    class: p.connected ? "is-connected" : "is-away",
  },
  h("span", { class: "person-name" },
    me.kind === "participant" && me.participant_id === p.id ? t("people.you", { name: p.name }) : p.name),
  h("span", { class: "person-role" }, describePerson(p, t)),
  showStatus ? h("span", { class: "person-status" },
    p.connected ? t("people.connected") : t("people.not_connected")) : null)));
}

/** Keep a save status element truthful; screen readers hear only settled states. */
export function mountSaveStatus(client, el, spoken, t) {
  let lastSpoken = null;
  let speakTimer = null;
  let frame = null;
  const texts = {
    saved: t("save.saved"), saving: t("save.saving"), offline: t("save.offline"),
    offline_idle: t("save.offline_idle"), connecting: t("save.connecting"),
    closed: t("save.closed"), attention: t("save.attention"), error: t("err.connect"), lobby: "",
  };
  const update = () => {
    frame = null;
    const state = client.saveState();
    el.dataset.state = state;
    const text = state === "error" && client.fatal ? client.fatal : texts[state];
    if (el.textContent !== text) el.textContent = text;
    clearTimeout(speakTimer);
    if (state === "saving" || state === "connecting") return;
    speakTimer = setTimeout(() => {
      if (state === lastSpoken || (lastSpoken === null && state === "saved")) {
        lastSpoken = state;
        return;
      }
      lastSpoken = state;
      spoken.textContent = text;
    }, 1500);
  };
  client.addEventListener("status", () => { if (!frame) frame = requestAnimationFrame(update); });
  update();
}

/** A small connection light for pages that do not edit (the wall). */
export function mountConnection(client, el, t) {
  const update = () => {
    const on = client.connected;
    el.dataset.state = on ? "on" : "off";
    el.textContent = on ? t("conn.live") : t("conn.offline");
  };
  client.addEventListener("connection", update);
  update();
}

/** Show refusals of commands and list changes where everyone sees them, for a while. */
export function mountErrors(client, el, t) {
  let timer = null;
  client.addEventListener("error", ({ detail }) => {
    // A refused close is shown with its blockers in the console, not as an error.
    if (["conflict", "timeout", "offline", "blocked"].includes(detail.code)) return;
    el.textContent = detail.message || t.error(detail.code);
    el.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => { el.hidden = true; el.textContent = ""; }, 10000);
  });
}

/** Texts whose part of the plan was removed while someone wrote them: kept to copy. */
export function mountUnsaved(client, el, t) {
  const render = () => {
    const kept = client.unsaved;
    el.hidden = kept.length === 0;
    if (!kept.length) { el.replaceChildren(); return; }
    el.replaceChildren(
      h("h2", { id: "unsaved-title" }, t("unsaved.title")),
      h("p", {}, t("unsaved.help")),
      h("ul", { class: "unsaved-list" }, kept.map((u, index) => {
        const id = `unsaved-${index}`;
        return h("li", {},
          h("label", { for: id }, t(`f.${u.entity}.${u.field}`)),
          h("textarea", { id, readonly: true, rows: 3 }, u.value),
          h("button", { type: "button", onclick: () => client.dismissUnsaved(index) },
            t("unsaved.dismiss")));
      })));
  };
  client.addEventListener("unsaved", render);
  render();
}

/** The live counts of "Are you satisfied with the meeting?": how many, never who. */
export function renderCounts(state, t) {
  const counts = state.meeting.satisfaction || {};
  return h("ul", { class: "happy-counts" }, ["yes", "partly", "no"].map((answer) => h("li", {
    dataset: { answer } }, h("span", { class: "happy-label" }, t(`happy.${answer}`)),
  h("strong", { class: "happy-n" }, String(counts[answer] || 0)))));
}

/** The end of the meeting on a participant's device: the plan's page and one-tap answers. */
export function renderClosing(box, client, config, t) {
  if (client.state.meeting.status !== "closed") {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const answered = client.answered || null;
  const status = h("p", { class: "happy-status", role: "status" },
    answered ? t("happy.thanks") : "");
  const answer = async (value) => {
    const result = await client.command("answer_satisfaction", { answer: value });
    if (result && result.ok) {
      client.answered = value;
      renderClosing(box, client, config, t);
      box.querySelector(`[data-answer=${value}]`).focus();
    } else {
      status.textContent = (result && result.message) || t.error(result && result.code);
    }
  };
  const noPlan = client.state.meeting.no_plan_reason;
  box.replaceChildren(
    h("h2", { id: "closing-title", tabindex: "-1" }, t("closing.title")),
    ...(noPlan ? [h("p", {}, t("closing.no_plan")), h("p", { class: "pre" }, t("closing.no_plan_reason", { reason: noPlan }))]
      : [h("p", {}, t("closing.text")),
        h("p", {}, h("a", { class: "button primary big-link", href: config.urls.family_page }, t("closing.open_plan")))]),
    h("h3", { id: "happy-title" }, t("happy.question")),
    h("div", { class: "happy-buttons", role: "group", "aria-labelledby": "happy-title" },
      ["yes", "partly", "no"].map((value) => h("button", { type: "button", class: answered === value ? "primary" : null,
        "aria-pressed": answered === value ? "true" : "false", dataset: { answer: value },
        onclick: () => answer(value) }, t(`happy.${value}`)))),
    status);
}
