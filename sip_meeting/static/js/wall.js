// The wall: what the projector shows the room. The meeting order with the current step, the
// part of the plan written in this step, and who is in the meeting. No controls; it follows
// the chair and updates by itself.

import { announcer, fill, h, readConfig, translator } from "./dom.js";
import { LiveClient } from "./live.js";
import { familyFirst, mountConnection, renderOrder } from "./meeting.js";
import { PlanView } from "./plan.js";

const config = readConfig();
const t = translator(config.strings);
const app = document.getElementById("live-app");
const announce = announcer(document.getElementById("live-announce"));
const { io } = await import(config.urls.socketio_client);
const client = new LiveClient(config, io);
const planBox = h("div", { class: "plan wall-plan" });
const plan = new PlanView(client, planBox, { t, lang: config.lang, onlyCurrent: true,
  skip: ["participants"] });
const orderBox = h("nav", { class: "wall-order", "aria-label": t("order.heading") });
const stepBox = h("section", { class: "wall-step" });
const presentBox = h("section", { class: "wall-present", "aria-labelledby": "present-title" });

mountConnection(client, document.getElementById("wall-connection"), t);

function renderStep() {
  const s = client.state;
  const step = s.order[s.meeting.step] || s.order[0];
  fill(orderBox, renderOrder(s, t));
  fill(stepBox,
    h("p", { class: "wall-kicker" }, t("order.step_of", { n: s.meeting.step + 1, total: s.order.length })),
    h("h2", { class: "wall-step-title" }, step.title),
    h("p", { class: "wall-step-summary" }, step.summary),
    s.meeting.status === "live" ? null : h("p", { class: "wall-status" }, t(`status.${s.meeting.status}`)));
}

function renderPresent() {
  const people = familyFirst((client.state.participants || []).filter((p) => p.admitted));
  fill(presentBox, h("h2", { id: "present-title" }, t("wall.present")),
    people.length ? h("ul", { class: "wall-people" }, people.map((p) => h("li", {
      class: p.connected ? "" : "is-away" }, p.name))) : h("p", {}, t("people.none")));
}

client.addEventListener("snapshot", () => {
  fill(app,
    h("div", { class: "wall-side" }, orderBox, presentBox),
    h("div", { class: "wall-main" }, stepBox, h("div", { class: "wall-scroll" }, planBox)));
  renderStep();
  renderPresent();
  plan.render();
});
client.addEventListener("op", ({ detail: { op } }) => {
  if (op.kind === "step" || op.kind === "status") {
    renderStep();
    planBox.parentElement.scrollTop = 0;
    if (op.kind === "step") announce(t("announce.step", { title: client.state.order[op.step].title }));
  }
  if (op.kind === "admitted" || op.kind === "dismissed") renderPresent();
});
client.addEventListener("presence", renderPresent);
client.addEventListener("fatal", ({ detail }) => {
  fill(app, h("p", { class: "error", role: "alert" }, detail.message || t("err.connect")));
});
client.start();
