// The wall: what the projector shows the room. The meeting order with the current step, the
// part of the plan written in this step, how complete the plan is, the words being explained,
// and who is in the meeting. No controls; it follows the chair and updates by itself. When
// the meeting ends it shows how to reach the plan and how satisfied the room is.
// An action that still lacks a person or a date, or hangs on a condition, says so in words.

import { fill, formatDate, h, prefersReducedMotion } from "./dom.js";
import { familyFirst, mountConnection, renderCounts, renderOrder } from "./meeting.js";
import { startRoom } from "./room.js";

// The plan rules' findings (rule ids of sip_meeting/rules/data/messages.toml) that the wall
// shows on an action, as one short question each: who does it, by when, and the "if".
const WALL_FLAGS = [
  ["who", ["action_who", "who_unnamed", "who_role", "vague_who"]],
  ["when", ["action_when", "date_format", "date_past", "vague_time"]],
  ["if", ["conditional"]],
];

const qr = document.getElementById("family-qr");
const { config, t, app, announce, client, planBox, notes, plan } = await startRoom({
  planClass: "plan wall-plan",
  notes: { wall: true },
  plan: { onlyCurrent: true, skip: ["participants"], flags: false, marks: (entity, id) => flagsOf(entity, id) },
});
/** The questions still open on one action, as symbol and word (never colour alone). */
function flagsOf(entity, id) {
  if (entity !== "action") return null;
  const rules = new Set(notes.itemFindings(entity, id).map((f) => f.rule));
  const open = WALL_FLAGS.filter(([, ids]) => ids.some((rule) => rules.has(rule)));
  if (!open.length) return null;
  return h("ul", { class: "wall-flags", "aria-label": t("wall.flags") }, open.map(([kind]) =>
    h("li", { class: `wall-flag wall-flag-${kind}`, dataset: { flag: kind } },
      h("span", { class: "wall-flag-icon", "aria-hidden": "true" }, "⚠"), " ", t(`wall.flag.${kind}`))));
}

const orderBox = h("nav", { class: "wall-order", "aria-label": t("order.heading") });
const stepBox = h("section", { class: "wall-step" });
const meterBox = h("section", { class: "wall-meter", "aria-labelledby": "wall-meter-title" });
const wordsBox = h("section", { class: "wall-words", "aria-labelledby": "wall-words-title" });
const presentBox = h("section", { class: "wall-present", "aria-labelledby": "present-title" });
const happyBox = h("div", { class: "wall-happy" });
let shownClosed = false;

mountConnection(client, document.getElementById("wall-connection"), t);

function renderStep() {
  const s = client.state;
  const step = s.order[s.meeting.step] || s.order[0];
  fill(orderBox, renderOrder(s, t));
  fill(stepBox,
    h("p", { class: "wall-kicker" }, t("order.step_of", { n: s.meeting.step + 1, total: s.order.length })),
    h("h2", { class: "wall-step-title", id: "wall-step-title" }, step.title),
    h("p", { class: "wall-step-summary" }, step.summary),
    s.meeting.status === "live" ? null : h("p", { class: "wall-status" }, t(`status.${s.meeting.status}`)));
}

function renderPresent() {
  const people = familyFirst((client.state.participants || []).filter((p) => p.admitted));
  fill(presentBox, h("h2", { id: "present-title" }, t("wall.present")),
    people.length ? h("ul", { class: "wall-people" }, people.map((p) => h("li", {
      class: p.connected ? "" : "is-away" }, p.name))) : h("p", {}, t("people.none")));
}

function renderMeter() {
  fill(meterBox, h("h2", { id: "wall-meter-title", class: "visually-hidden" }, t("meter.heading")),
    notes.meter("wall-meter"));
}

/** The words the chair put on the wall, with the glossary's explanation, and this plan's words. */
function renderWords() {
  const s = client.state;
  const requests = s.term_requests || [];
  const explained = s.explanations || [];
  // Shown while there is something to explain: the people and the plan need the space more.
  wordsBox.hidden = !requests.length && !explained.length;
  fill(wordsBox,
    h("h2", { id: "wall-words-title" }, t("requests.wall_title")),
    requests.length ? h("ul", { class: "wall-requests" }, requests.map((r) => {
      const text = h("p", { class: "wall-request-text" });
      if (r.term_id) notes.fetchTerm(r.term_id).then((term) => { text.textContent = term.explanation; }, () => {});
      return h("li", { dataset: { request: r.id } }, h("p", { class: "wall-request-word" }, r.word),
        r.asked_by ? h("p", { class: "wall-request-by" }, t("requests.by", { name: r.asked_by })) : null, text);
    })) : null,
    explained.length ? [h("h3", {}, t("words.explained")), h("dl", { class: "explained" }, explained.map((e) =>
      h("div", {}, h("dt", {}, e.word), h("dd", {}, e.text))))] : null,
    !requests.length && !explained.length ? h("p", { class: "muted" }, t("words.none")) : null);
}

/** The closing screen: the plan's address as a code and a link, the next meeting, satisfaction. */
function renderClosing() {
  shownClosed = true;
  const s = client.state;
  const followup = formatDate(client.value("plan", client.planId(), "followup_date"), config.lang);
  qr.hidden = false;
  // The code scales with the screen once it knows its own drawing size.
  const svg = qr.querySelector("svg");
  if (svg && !svg.getAttribute("viewBox") && svg.getAttribute("width")) {
    svg.setAttribute("viewBox", `0 0 ${svg.getAttribute("width")} ${svg.getAttribute("height")}`);
    svg.setAttribute("role", "img");
  }
  fill(happyBox, h("h2", { id: "wall-happy-title" }, t("happy.question")), renderCounts(s, t));
  fill(app, h("section", { class: "wall-closing", "aria-labelledby": "wall-closing-title" },
    h("div", { class: "wall-closing-text" },
      h("h2", { id: "wall-closing-title" }, t("closing.wall_title")),
      h("p", { class: "wall-closing-lead" }, t("closing.wall_text")),
      h("p", { class: "wall-link" }, config.urls.family_page),
      h("p", { class: "wall-followup" }, followup ? t("closing.followup", { date: followup }) : t("closing.no_followup")),
      happyBox),
    h("div", { class: "wall-qr" }, qr)));
}

function renderAll() {
  if (client.state.meeting.status === "closed") {
    renderClosing();
    return;
  }
  if (shownClosed) { qr.hidden = true; document.body.append(qr); shownClosed = false; }
  // Both columns scroll when their content is taller than the screen; each can take focus
  // so that a keyboard scrolls it too.
  fill(app,
    h("div", { class: "wall-side", tabindex: "0", role: "region", "aria-label": t("wall.side") },
      orderBox, meterBox, presentBox, wordsBox),
    h("div", { class: "wall-main" }, stepBox, h("div", { class: "wall-scroll", tabindex: "0", role: "region",
      "aria-labelledby": "wall-step-title" }, planBox)));
  renderStep();
  renderMeter();
  renderWords();
  renderPresent();
  plan.render();
}

client.addEventListener("snapshot", renderAll);
client.addEventListener("annotations", () => { if (!shownClosed) renderMeter(); });
client.addEventListener("op", ({ detail: { op } }) => {
  if (op.kind === "status") {
    renderAll();
    if (op.status === "closed") announce(t("announce.closed"));
    return;
  }
  if (op.kind === "satisfaction" && shownClosed) {
    fill(happyBox, h("h2", { id: "wall-happy-title" }, t("happy.question")), renderCounts(client.state, t));
  }
  if (shownClosed) return;
  if (op.kind === "step") {
    renderStep();
    planBox.parentElement.scrollTop = 0;
    announce(t("announce.step", { title: client.state.order[op.step].title }));
  }
  if (["admitted", "dismissed", "participant_removed"].includes(op.kind)) renderPresent();
  if (op.kind === "term_request" || op.kind === "explanation_added") renderWords();
});
client.addEventListener("presence", () => { if (!shownClosed) renderPresent(); });
// Someone starts writing in a part of the plan: the wall brings that part into view.
client.addEventListener("typing", ({ detail: { entity, id, field, active } }) => {
  if (!active || shownClosed) return;
  const target = planBox.querySelector(`#item-${entity}-${id}`)
    || planBox.querySelector(`[data-key="${entity}:${id}:${field}"]`);
  if (target) target.scrollIntoView({ block: "nearest", behavior: prefersReducedMotion() ? "auto" : "smooth" });
});
client.addEventListener("fatal", ({ detail }) => {
  fill(app, h("p", { class: "error", role: "alert" }, detail.message || t("err.connect")));
});
client.start();
