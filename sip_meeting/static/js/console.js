// The chair's console: let people in, start, steer through the meeting order, tick who has
// spoken, open the wall, end the meeting, and write in the plan like everyone else.

import { confirmDialog, fill, h } from "./dom.js";
import { describePerson, familyFirst, mountErrors, mountUnsaved, mountSaveStatus, renderCounts, renderOrder } from "./meeting.js";
import { startRoom } from "./room.js";

const { config, t, app, announce, client, planBox, notes, plan } = await startRoom();
const links = JSON.parse(document.getElementById("live-links").textContent);
const rulesBox = h("section", { class: "console-panel", "aria-labelledby": "rules-title" });
const gateBox = h("section", { class: "console-panel gate", "aria-labelledby": "gate-title", hidden: true });
const wordsBox = h("section", { class: "console-panel", "aria-labelledby": "requests-title" });
const closedBox = h("section", { class: "console-panel", "aria-labelledby": "closed-title", hidden: true });
let refused = null;               // what the last refused close listed, until new annotations
let tried = false;                // the chair tried to close: the list stays open
const reasons = new Map();        // "rule:item" -> the reason being written
const opened = new Set();         // "rule:item" whose reason form is open
let noPlanReason = "";            // why no plan is made, being written
const explaining = new Map();     // request id -> the explanation being written
notes.watchSelection(planBox);
const steerBox = h("section", { class: "console-panel", "aria-labelledby": "steer-title" });
const lobbyBox = h("section", { class: "console-panel", "aria-labelledby": "lobby-title" });
const peopleBox = h("section", { class: "console-panel", "aria-labelledby": "people-title" });

mountSaveStatus(client, document.getElementById("save-status"),
  document.getElementById("save-spoken"), t);
mountErrors(client, document.getElementById("live-error"), t);
mountUnsaved(client, document.getElementById("unsaved"), t);

/** Re-render a panel, keeping keyboard focus on the control with the same data-fkey. */
function refresh(box, build) {
  const active = document.activeElement;
  const fkey = active && box.contains(active) ? active.dataset.fkey : null;
  fill(box, ...build());
  if (fkey) {
    const again = box.querySelector(`[data-fkey="${CSS.escape(fkey)}"]`);
    const target = again && !again.disabled ? again : box.querySelector("h2");
    if (!target) return;
    if (target.tagName === "H2") target.setAttribute("tabindex", "-1");
    target.focus();
  }
}

function buildSteer() {
  const s = client.state;
  const m = s.meeting;
  const live = m.status === "live";
  const offline = !client.connected;
  const step = s.order[m.step];
  return [
    h("h2", { id: "steer-title" }, t("console.step")),
    h("p", { class: "meeting-state" }, t(`status.${m.status}`)),
    m.status === "draft" || m.status === "open"
      ? h("p", {}, h("button", { type: "button", class: "primary", dataset: { fkey: "start" },
        disabled: offline, onclick: () => client.command("start") }, t("console.start"))) : null,
    h("p", { class: "now-kicker" }, t("order.step_of", { n: m.step + 1, total: s.order.length }),
      " – ", h("strong", {}, step ? step.title : "")),
    h("div", { class: "console-steer" },
      h("button", { type: "button", dataset: { fkey: "prev" }, disabled: !live || offline || m.step === 0,
        onclick: () => client.command("set_step", { step: m.step - 1 }) }, "← ", t("console.prev")),
      h("button", { type: "button", class: "primary", dataset: { fkey: "next" },
        disabled: !live || offline || m.step >= s.order.length - 1,
        onclick: () => client.command("set_step", { step: m.step + 1 }) }, t("console.next"), " →")),
    renderOrder(s, t, { summaries: true }),
    offline ? h("p", { class: "plan-note" }, t("console.offline")) : null,
    h("p", { class: "actions" },
      h("a", { class: "button", href: config.urls.wall, target: "_blank", rel: "noopener",
               "aria-describedby": "wall-hint" }, t("console.wall")),
      live ? h("button", { type: "button", class: "danger", dataset: { fkey: "end" }, disabled: offline,
        onclick: endMeeting }, t("console.end")) : null),
    h("p", { class: "hint", id: "wall-hint" }, t("console.wall_hint")),
  ];
}

async function endMeeting() {
  const ok = await confirmDialog({
    title: t("console.end_title"), text: t("console.end_text"), yes: t("console.end_yes"),
    no: t("dialog.cancel"),
  });
  if (ok) tryEnd();
}

/** Ask to close; a refusal lists what stops it, each with a way to set it aside. */
async function tryEnd() {
  const answer = await client.command("end");
  if (answer && answer.code === "blocked") {
    tried = true;
    refused = answer.blockers || [];
    renderPanels();
    gateBox.querySelector("h2").focus();
    announce(t("gate.blocked", { n: refused.length }));
  } else if (answer && answer.ok) {
    tried = false;
    refused = null;
  }
}

/** What stops the close now: the last refusal's list until the plan is checked again. */
function closeBlockers() {
  return refused || notes.ann.close_blockers || [];
}

const ruleKey = (rule, itemId) => `${rule}:${itemId ?? ""}`;

/** Say which part of the plan a finding or an override is about. */
function concerns(f) {
  const s = client.state;
  if (f.item_id !== null && f.item_id !== undefined) {
    const at = (s.actions || []).findIndex((a) => a.id === f.item_id);
    const what = client.value("action", f.item_id, "what");
    const name = t("plan.item.action", { n: at + 1 });
    return at < 0 ? t("gate.removed_item") : (what ? t("plan.item_option", { n: name, text: shorten(what) }) : name);
  }
  if (f.section === "sections") return plan.label("plan", f.field);
  return t({ consents: "s.consent", goals: "s.goals" }[f.section] || "s.actions");
}

function shorten(text, n = 40) {
  const one = String(text).replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** The finding an override set aside (each override names one item), or null. */
function overriddenFinding(o) {
  const same = (f) => f.rule === o.rule && (f.item_id ?? null) === (o.item_id ?? null);
  return (notes.ann.findings || []).find(same) || null;
}

function buildRules() {
  const s = client.state;
  const overrides = s.overrides || [];
  const live = s.meeting.status === "live";
  return [
    h("h2", { id: "rules-title" }, t("meter.heading")),
    notes.meter("console-meter"),
    overrides.length ? [h("h3", {}, t("gate.overrides")), h("ul", { class: "override-list" }, overrides.map((o) => {
      const found = overriddenFinding(o);
      return h("li", {}, h("p", { class: "override-what" }, found ? found.message : (o.message || t("gate.rule_gone"))),
        found || o.item_id !== null ? h("p", { class: "hint" }, t("gate.concerns", { where: concerns(found || o) })) : null,
        h("p", {}, t("gate.reason_was", { reason: o.reason, name: o.by || t("someone") })),
        live ? h("button", { type: "button", dataset: { fkey: `withdraw-${ruleKey(o.rule, o.item_id)}` },
          disabled: !client.connected,
          onclick: () => client.command("override", { rule: o.rule, item_id: o.item_id ?? null, reason: "" }) },
        t("gate.withdraw")) : null);
    }))] : null,
  ];
}

/** One thing that stops the close: the question, where it is, and how to settle it. */
/** The written reason of a form, or null after pointing at the empty field. */
function reasonGiven(area, error) {
  const reason = area.value.trim();
  if (!reason) {
    error.textContent = t("gate.reason_needed");
    area.setAttribute("aria-invalid", "true");
    area.focus();
  }
  return reason || null;
}

function gateItem(b, i) {
  const key = ruleKey(b.rule, b.item_id);
  const id = `reason-${i}`;
  const head = [h("p", { class: "flag-msg" }, h("span", { "aria-hidden": "true" }, "✖ "), b.message),
    h("p", { class: "hint" }, t("gate.concerns", { where: concerns(b) }))];
  if (!b.overridable) {
    return h("li", { dataset: { rule: b.rule, item: b.item_id ?? "" } }, head,
      h("p", { class: "gate-fixed" }, t("gate.not_overridable")), noPlanForm());
  }
  const open = opened.has(key);
  const error = h("p", { class: "lf-error", id: `${id}-error` });
  const area = h("textarea", { id, rows: 2, maxlength: 500, required: true, "aria-describedby": `${id}-error`,
    dataset: { fkey: `reason-${key}` }, oninput: (e) => reasons.set(key, e.target.value) });
  area.value = reasons.get(key) || "";
  const toggle = h("button", { type: "button", class: "gate-open", "aria-expanded": open ? "true" : "false",
    dataset: { fkey: `open-${key}` }, onclick: () => {
      if (open) opened.delete(key); else opened.add(key);
      renderPanels();
      if (!open) gateBox.querySelector(`#${id}`).focus();
    } }, t("gate.override"));
  return h("li", { dataset: { rule: b.rule, item: b.item_id ?? "" } }, head, toggle,
    open ? h("form", { class: "gate-form", novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      const reason = reasonGiven(area, error);
      if (!reason) return;
      const answer = await client.command("override", { rule: b.rule, item_id: b.item_id ?? null, reason });
      if (answer && answer.ok) {
        reasons.delete(key);
        opened.delete(key);
        announce(t("gate.set_aside"));
      } else if (answer) {
        error.textContent = answer.message || t.error(answer.code);
      }
      renderPanels();
    } }, h("label", { for: id }, t("gate.reason")), area, error,
    h("button", { type: "submit", dataset: { fkey: `override-${key}` }, disabled: !client.connected },
      t("gate.save_reason"))) : null);
}

/** "No plan made": end a meeting whose plan has no action, with the reason. */
function noPlanForm() {
  const error = h("p", { class: "lf-error", id: "no-plan-error" });
  const area = h("textarea", { id: "no-plan-reason", rows: 2, maxlength: 500, required: true,
    "aria-describedby": "no-plan-hint no-plan-error", dataset: { fkey: "no-plan-reason" },
    oninput: (e) => { noPlanReason = e.target.value; } });
  area.value = noPlanReason;
  return h("form", { class: "no-plan-form", novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const reason = reasonGiven(area, error);
    if (!reason) return;
    const answer = await client.command("end_without_plan", { reason });
    if (answer && answer.ok) {
      noPlanReason = "";
      tried = false;
      refused = null;
    } else if (answer) {
      error.textContent = answer.message || t.error(answer.code);
    }
  } }, h("label", { for: "no-plan-reason" }, t("gate.no_plan_reason")),
  h("p", { class: "hint", id: "no-plan-hint" }, t("gate.no_plan_hint")), area, error,
  h("button", { type: "submit", class: "danger", dataset: { fkey: "no-plan" }, disabled: !client.connected },
    t("gate.no_plan")));
}

/** What stops the close, live: the same list a close attempt answers with, and its count. */
function buildGate() {
  const s = client.state;
  if (s.meeting.status !== "live") return [];
  const list = closeBlockers();
  if (!list.length && !tried) return [];
  return [
    h("h2", { id: "gate-title", tabindex: "-1" }, t("gate.title"), " ",
      h("span", { class: "gate-count" }, `(${list.length})`)),
    h("p", {}, list.length ? t("gate.text", { n: list.length }) : t("gate.all_set")),
    list.length ? h("ul", { class: "gate-list" }, list.map(gateItem)) : null,
    tried ? h("p", { class: "actions" },
      h("button", { type: "button", class: "danger", dataset: { fkey: "end-again" }, disabled: !client.connected,
        onclick: tryEnd }, t("gate.try_again")),
      h("button", { type: "button", dataset: { fkey: "gate-hide" }, onclick: () => { tried = false; renderPanels(); } },
        t("gate.later"))) : null,
  ];
}

function buildWords() {
  const s = client.state;
  const requests = s.term_requests || [];
  const live = s.meeting.status === "live";
  const off = !client.connected;
  return [
    h("h2", { id: "requests-title" }, t("requests.title"), ` (${requests.length})`),
    requests.length ? h("ul", { class: "request-list" }, requests.map((r) => {
      const id = `explain-${r.id}`;
      const open = explaining.has(r.id);
      const area = h("textarea", { id, rows: 3, maxlength: 1000, dataset: { fkey: `explain-text-${r.id}` },
        oninput: (e) => explaining.set(r.id, e.target.value) });
      area.value = explaining.get(r.id) || "";
      return h("li", { dataset: { request: r.id } },
        h("p", { class: "request-word" }, h("strong", {}, r.word), " ",
          h("span", { class: "hint" }, r.asked_by ? t("requests.by", { name: r.asked_by }) : t("requests.anon"))),
        r.on_wall ? h("p", { class: "request-wall" }, t("requests.on_wall")) : null,
        h("div", { class: "request-tools" },
          h("button", { type: "button", dataset: { fkey: `wall-${r.id}` }, disabled: off,
            onclick: () => client.command("show_term", { request_id: r.id, on_wall: !r.on_wall }) },
          r.on_wall ? t("requests.hide") : t("requests.show")),
          h("button", { type: "button", dataset: { fkey: `explain-${r.id}` }, "aria-expanded": open ? "true" : "false",
            disabled: !live, onclick: () => {
              if (open) explaining.delete(r.id); else explaining.set(r.id, "");
              renderPanels();
              if (!open) wordsBox.querySelector(`#${id}`).focus();
            } }, t("requests.explain")),
          r.term_id ? h("button", { type: "button", onclick: () => notes.openTerm(r.term_id, r.word) },
            t("requests.glossary")) : null,
          h("button", { type: "button", dataset: { fkey: `dismiss-${r.id}` }, disabled: off,
            onclick: () => client.command("dismiss_term", { request_id: r.id }) }, t("requests.dismiss"))),
        open ? h("form", { class: "explain-form", onsubmit: async (e) => {
          e.preventDefault();
          const text = area.value.trim();
          if (!text) { area.focus(); return; }
          const answer = await client.command("explain_term", { request_id: r.id, word: null, term_id: null, text });
          if (answer && answer.ok) explaining.delete(r.id);
          renderPanels();
        } }, h("label", { for: id }, t("requests.explain_label", { word: r.word })), area,
        h("button", { type: "submit", class: "primary", disabled: off }, t("requests.save"))) : null);
    })) : h("p", { class: "muted" }, t("requests.none")),
  ];
}

function buildClosed() {
  const noPlan = client.state.meeting.no_plan_reason;
  return [
    h("h2", { id: "closed-title" }, t("closing.title")),
    noPlan ? [h("p", { class: "no-plan" }, t("closing.no_plan")),
      h("p", { class: "hint" }, t("closing.no_plan_reason", { reason: noPlan }))] : null,
    h("h3", {}, t("happy.question")),
    renderCounts(client.state, t),
    h("p", { class: "actions" },
      h("a", { class: "button primary", href: links.meeting }, t("closing.meeting_page")),
      noPlan ? null : h("a", { class: "button", href: links.plan }, t("closing.print_plan"))),
  ];
}

function waiting() {
  return familyFirst((client.state.participants || []).filter((p) => !p.admitted && p.connected));
}

function buildLobby() {
  const list = waiting();
  const closed = client.state.meeting.status === "closed";
  return [
    h("h2", { id: "lobby-title" }, t("console.lobby"), ` (${list.length})`),
    list.length ? h("ul", { class: "lobby-list" }, list.map((p) => h("li", {},
      h("span", {}, h("strong", {}, p.name), " ", h("span", { class: "person-role" }, describePerson(p, t))),
      h("button", { type: "button", dataset: { fkey: `admit-${p.id}` }, disabled: closed || !client.connected,
        "aria-label": t("console.admit_name", { name: p.name }),
        onclick: () => client.command("admit", { participant_id: p.id }) }, t("console.admit")))))
      : h("p", { class: "muted" }, t("console.lobby_empty")),
    list.length > 1 ? h("button", { type: "button", class: "primary", dataset: { fkey: "admit-all" },
      disabled: closed || !client.connected,
      onclick: () => client.command("admit", { participant_id: "all" }) }, t("console.admit_all")) : null,
  ];
}

function personState(p) {
  if (p.admitted) return p.connected ? t("people.connected") : t("console.left");
  return p.connected ? t("console.in_lobby") : t("console.not_joined");
}

function buildPeople() {
  const s = client.state;
  const spoken = new Set((s.meeting.spoken || {})[String(s.meeting.step)] || []);
  const live = s.meeting.status === "live";
  return [
    h("h2", { id: "people-title" }, t("console.participants")),
    h("p", { class: "hint" }, t("console.round")),
    h("ul", { class: "console-people" }, familyFirst(s.participants || []).map((p) => h("li", {},
      h("span", { class: "who" }, h("strong", {}, p.name),
        h("span", { class: "person-role" }, describePerson(p, t)),
        h("span", { class: `state${p.connected ? " is-connected" : ""}` }, personState(p))),
      h("label", { class: "spoken-toggle" },
        h("input", { type: "checkbox", checked: spoken.has(p.id), disabled: !live || !client.connected,
          dataset: { fkey: `spoken-${p.id}` }, "aria-label": t("console.spoken", { name: p.name }),
          onchange: (e) => client.command("mark_spoken", { participant_id: p.id, spoken: e.target.checked }) }),
        h("span", { "aria-hidden": "true" }, t("console.spoken_short"))),
      p.admitted && s.meeting.status !== "closed" ? h("button", { type: "button", class: "dismiss-button",
        dataset: { fkey: `dismiss-p-${p.id}` }, disabled: !client.connected,
        "aria-label": t("console.dismiss_name", { name: p.name }), onclick: () => dismissPerson(p) },
      t("console.dismiss")) : null))),
  ];
}

async function dismissPerson(p) {
  const ok = await confirmDialog({ title: t("console.dismiss_title", { name: p.name }),
    text: t("console.dismiss_text"), yes: t("console.dismiss_yes"), no: t("dialog.cancel"), danger: false });
  if (ok) client.command("dismiss", { participant_id: p.id });
}

function renderPanels() {
  if (!client.state || client.state.lobby) return;
  const closed = client.state.meeting.status === "closed";
  closedBox.hidden = !closed;
  if (closed) refresh(closedBox, buildClosed);
  refresh(rulesBox, buildRules);
  refresh(gateBox, buildGate);
  gateBox.hidden = !gateBox.childElementCount;
  refresh(wordsBox, buildWords);
  refresh(steerBox, buildSteer);
  refresh(lobbyBox, buildLobby);
  refresh(peopleBox, buildPeople);
}

client.addEventListener("snapshot", () => {
  fill(app, h("div", { class: "console-layout" },
    h("div", { class: "console-side" }, closedBox, lobbyBox, steerBox, gateBox, rulesBox, wordsBox, peopleBox),
    h("div", { class: "console-main" }, planBox)));
  renderPanels();
  plan.render();
});
client.addEventListener("op", ({ detail: { op } }) => {
  if (["step", "status", "admitted", "dismissed", "participant_removed", "spoken", "overrides", "term_request", "explanation_added",
    "satisfaction"].includes(op.kind)) renderPanels();
  if (op.kind === "term_request" && op.request.status === "open" && !client.isMine(op)) {
    announce(t("requests.new", { word: op.request.word }));
  }
  if (op.kind === "step") announce(t("announce.step", { title: client.state.order[op.step].title }));
});
let waitingBefore = new Set();
client.addEventListener("presence", () => {
  renderPanels();
  const now = waiting();
  const arrived = now.filter((p) => !waitingBefore.has(p.id));
  waitingBefore = new Set(now.map((p) => p.id));
  if (arrived.length) announce(t("console.waiting_now", { name: arrived.map((p) => p.name).join(", ") }));
});
client.addEventListener("connection", renderPanels);
client.addEventListener("annotations", () => {
  refused = null;  // the plan was checked again: the live list is the newest
  refresh(rulesBox, buildRules);
  refresh(gateBox, buildGate);
  gateBox.hidden = !gateBox.childElementCount;
});
client.addEventListener("fatal", ({ detail }) => {
  fill(app, h("p", { class: "error", role: "alert" }, detail.message || t("err.connect")));
});
client.start();
