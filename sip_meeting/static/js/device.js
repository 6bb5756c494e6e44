// A participant's own device: the lobby, then the meeting order, the plan and who is here.
// A child gets a simpler page: where the meeting is, their own words, and who does what.

import { fill, formatDate, h } from "./dom.js";
import { mountErrors, mountUnsaved, mountSaveStatus, renderClosing, renderOrder } from "./meeting.js";
import { startRoom } from "./room.js";

const { config, t, app, announce, client, planBox, notes, plan } = await startRoom();
const closingBox = h("section", { class: "closing", "aria-labelledby": "closing-title", hidden: true });
notes.watchSelection(planBox);
let nowBox = null;
let orderBox = null;
let actionsBox = null;
let shown = null;   // "lobby", "full" or "simple"
let orderOpen = false;   // on a phone the meeting order is folded away until asked for

mountSaveStatus(client, document.getElementById("save-status"),
  document.getElementById("save-spoken"), t);
mountErrors(client, document.getElementById("live-error"), t);
mountUnsaved(client, document.getElementById("unsaved"), t);

function renderLobby() {
  const s = client.state;
  shown = "lobby";
  fill(app, h("section", { class: "lobby", "aria-labelledby": "lobby-title" },
    h("h2", { id: "lobby-title" }, t("lobby.title", { name: s.me.name || "" })),
    h("p", { class: "lobby-wait" }, client.wasDismissed ? t("lobby.dismissed") : t("lobby.wait")),
    h("p", { class: "hint" }, t("lobby.hint")),
    h("p", {}, h("a", { href: config.urls.invitation }, t("lobby.invitation")))));
}

function renderNow() {
  const s = client.state;
  const step = s.order[s.meeting.step] || s.order[0];
  const simple = s.me.simple;
  fill(nowBox,
    h("p", { class: "now-kicker" }, simple ? t("simple.now")
      : t("order.step_of", { n: s.meeting.step + 1, total: s.order.length })),
    h("h2", { class: "now-title" }, step.title),
    h("p", { class: "now-summary" }, simple ? t(`simple.step.${step.id}`) : step.summary),
    s.meeting.status === "live" ? null : h("p", { class: "plan-note" }, t(`status.${s.meeting.status}`)));
  const steps = renderOrder(s, t);
  steps.id = "order-steps";
  steps.classList.toggle("is-collapsed", !orderOpen);
  const toggle = h("button", { type: "button", class: "order-toggle", "aria-controls": "order-steps",
    "aria-expanded": String(orderOpen), onclick: () => {
      orderOpen = !orderOpen;
      toggle.setAttribute("aria-expanded", String(orderOpen));
      steps.classList.toggle("is-collapsed", !orderOpen);
    } }, t("order.show_all"));
  fill(orderBox, h("h2", { class: "visually-hidden" }, t("order.heading")), toggle, steps);
}

function renderFull() {
  shown = "full";
  nowBox = h("section", { class: "now", "aria-live": "off" });
  orderBox = h("nav", { class: "order", "aria-label": t("order.heading") });
  fill(app, closingBox, h("div", { class: "device-layout" },
    h("a", { class: "skip-link", href: "#plan-now-title" }, t("plan.skip_to_now")),
    h("aside", { class: "device-side" }, nowBox, orderBox),
    h("div", { class: "device-main" }, planBox)));
  renderClosing(closingBox, client, config, t);
  renderNow();
  plan.render();
}

function renderSimple() {
  shown = "simple";
  const s = client.state;
  nowBox = h("section", { class: "now now-simple" });
  orderBox = h("nav", { class: "order", "aria-label": t("order.heading") });
  actionsBox = h("section", { class: "simple-actions", "aria-labelledby": "simple-actions-title" });
  const voice = h("section", { class: "simple-voice", "aria-labelledby": "simple-voice-title" },
    h("h2", { id: "simple-voice-title" }, t("simple.voice")),
    h("p", { class: "hint" }, t("simple.voice_hint")));
  plan.active = false;
  plan.widgets.clear();
  const field = plan.fieldWidget("plan", client.planId(), "child_voice");
  field.classList.add("lf-solo");
  voice.append(field);
  fill(app, h("div", { class: "simple-layout" }, closingBox, nowBox, voice, actionsBox, orderBox));
  renderClosing(closingBox, client, config, t);
  renderNow();
  renderActions();
  if (s.meeting.status === "closed") voice.append(h("p", { class: "plan-note" }, t("save.closed")));
}

/** The actions as plain sentences: who does what, and when. */
function renderActions() {
  const s = client.state;
  const v = (id, f) => client.value("action", id, f);
  const people = new Map((s.participants || []).map((p) => [p.id, p.name]));
  const items = (s.actions || []).filter((a) => v(a.id, "status") !== "cancelled" && v(a.id, "what"));
  fill(actionsBox, h("h2", { id: "simple-actions-title" }, t("simple.actions")),
    items.length ? h("ul", { class: "simple-list" }, items.map((a) => {
      const who = people.get(v(a.id, "responsible_participant_id")) || v(a.id, "responsible")
        || v(a.id, "organisation") || t("someone");
      const when = formatDate(v(a.id, "due_date"), config.lang) || v(a.id, "when_note") || t("simple.no_date");
      return h("li", {}, h("p", { class: "simple-sentence" }, t("simple.action", { who, what: v(a.id, "what") })),
        h("p", { class: "simple-when" }, t("simple.when", { when })));
    })) : h("p", {}, t("simple.no_actions")));
}

function render() {
  const s = client.state;
  if (!s) return;
  if (s.lobby) renderLobby();
  else if (s.me.simple) renderSimple();
  else renderFull();
}

client.addEventListener("snapshot", render);
client.addEventListener("admitted", () => { client.wasDismissed = false; announce(t("announce.admitted")); });
client.addEventListener("dismissed", () => { client.wasDismissed = true; });
client.addEventListener("op", ({ detail: { op } }) => {
  if (shown === "lobby" || !client.state) return;
  if (op.kind === "step") {
    renderNow();
    announce(t("announce.step", { title: client.state.order[op.step].title }));
  } else if (op.kind === "status") {
    if (shown === "simple") renderSimple(); else renderNow();
    renderClosing(closingBox, client, config, t);
    if (op.status === "closed") {
      announce(t("announce.closed"));
      closingBox.scrollIntoView({ block: "start" });
      closingBox.querySelector("h2").focus({ preventScroll: true });
    }
  }
  if (shown === "simple" && (op.entity === "action"
    || ["admitted", "participant_removed"].includes(op.kind))) renderActions();
});
client.addEventListener("field", ({ detail }) => {
  if (shown === "simple" && detail.key.startsWith("action:")) renderActions();
});
client.addEventListener("fatal", ({ detail }) => {
  fill(app, h("p", { class: "error", role: "alert" }, detail.message || t("err.connect")));
});
client.start();
