// The chair's console: let people in, start, steer through the meeting order, tick who has
// spoken, open the wall, end the meeting, and write in the plan like everyone else.

import { announcer, confirmDialog, fill, h, readConfig, translator } from "./dom.js";
import { LiveClient } from "./live.js";
import { describePerson, familyFirst, mountErrors, mountSaveStatus, renderOrder } from "./meeting.js";
import { PlanView } from "./plan.js";

const config = readConfig();
const t = translator(config.strings);
const app = document.getElementById("live-app");
const announce = announcer(document.getElementById("live-announce"));
const { io } = await import(config.urls.socketio_client);
const client = new LiveClient(config, io);
const planBox = h("div", { class: "plan" });
const plan = new PlanView(client, planBox, { t, lang: config.lang, announce });
const steerBox = h("section", { class: "console-panel", "aria-labelledby": "steer-title" });
const lobbyBox = h("section", { class: "console-panel", "aria-labelledby": "lobby-title" });
const peopleBox = h("section", { class: "console-panel", "aria-labelledby": "people-title" });

mountSaveStatus(client, document.getElementById("save-status"),
  document.getElementById("save-spoken"), t);
mountErrors(client, document.getElementById("live-error"), t);

/** Re-render a panel, keeping keyboard focus on the control with the same data-fkey. */
function refresh(box, build) {
  const active = document.activeElement;
  const fkey = active && box.contains(active) ? active.dataset.fkey : null;
  fill(box, ...build());
  if (fkey) {
    const again = box.querySelector(`[data-fkey="${CSS.escape(fkey)}"]`);
    const target = again && !again.disabled ? again : box.querySelector("h2");
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
  if (ok) client.command("end");
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
        h("span", { "aria-hidden": "true" }, t("console.spoken_short")))))),
  ];
}

function renderPanels() {
  if (!client.state || client.state.lobby) return;
  refresh(steerBox, buildSteer);
  refresh(lobbyBox, buildLobby);
  refresh(peopleBox, buildPeople);
}

client.addEventListener("snapshot", () => {
  fill(app, h("div", { class: "console-layout" },
    h("div", { class: "console-side" }, lobbyBox, steerBox, peopleBox),
    h("div", { class: "console-main" }, planBox)));
  renderPanels();
  plan.render();
});
client.addEventListener("op", ({ detail: { op } }) => {
  if (["step", "status", "admitted", "dismissed", "spoken"].includes(op.kind)) renderPanels();
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
client.addEventListener("fatal", ({ detail }) => {
  fill(app, h("p", { class: "error", role: "alert" }, detail.message || t("err.connect")));
});
client.start();
