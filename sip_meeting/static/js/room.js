// What every live page starts with: its configuration and texts, the connection, and the plan
// with its notes (flags and glossary words), ready to be placed on the page.

import { announcer, h, readConfig, translator } from "./dom.js";
import { LiveClient } from "./live.js";
import { Notes } from "./notes.js";
import { PlanView } from "./plan.js";

/**
 * Keep whatever is scrolled to or focused clear of the sticky status bar, however tall it
 * grows (a long offline notice wraps onto several lines on a phone).
 */
function keepClearOfBar(bar) {
  if (!bar || !window.ResizeObserver) return;
  const clear = () => { document.documentElement.style.scrollPaddingTop = `${bar.offsetHeight + 8}px`; };
  new ResizeObserver(clear).observe(bar);
  clear();
}

/** Read the page's configuration, connect, and build the plan view for this page. */
export async function startRoom({ planClass = "plan", notes: noteOptions = {}, plan: planOptions = {} } = {}) {
  const config = readConfig();
  const t = translator(config.strings);
  const announce = announcer(document.getElementById("live-announce"));
  keepClearOfBar(document.querySelector(".live-bar"));
  const { io } = await import(config.urls.socketio_client);
  const client = new LiveClient(config, io);
  const planBox = h("div", { class: planClass });
  const notes = new Notes(client, { t, lang: config.lang, termUrl: config.urls.glossary_term,
    announce, ...noteOptions });
  const plan = new PlanView(client, planBox, { t, lang: config.lang, announce, notes, ...planOptions });
  return { config, t, announce, client, planBox, notes, plan, app: document.getElementById("live-app") };
}
