// The live connection: catching up with the meeting, applying operations in order, and an
// outbox kept in localStorage so that nothing written is lost when the network or the server
// goes away. The pages listen to the events this client dispatches and render.
//
// Every editable field keeps three things:
//   server  the newest {value, version} the server has told us about;
//   origin  the {value, version} the local text was written from (sent as base/base_version);
//   local   what the person sees in the field.
// A field is "dirty" while local differs from origin or an edit of it waits for its ack. Remote
// changes never overwrite a dirty field: the next edit carries the old origin and the server
// merges it with what others wrote, or answers `conflict` and the writer chooses.

const EDIT_PAUSE_MS = 500;
const ACK_TIMEOUT_MS = 15000;
const TYPING_EVERY_MS = 3000;
const LISTS = { goal: "goals", action: "actions", consent: "consents" };
// The fields a child writes in: their own words (the server holds the same rule).
export const CHILD_FIELDS = new Set(["plan:child_voice"]);

let opCounter = 0;

function newOpId() {
  opCounter += 1;
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}-${opCounter}`;
}

export function fieldKey(entity, id, field) {
  return `${entity}:${id}:${field}`;
}

export class LiveClient extends EventTarget {
  constructor(config, io) {
    super();
    this.config = config;
    this.io = io;
    this.state = null;          // the snapshot, kept up to date by ops
    this.seq = null;            // the last op applied
    this.fields = new Map();    // key -> field state
    this.outbox = [];           // [{op_id, event, payload}] not yet acknowledged
    this.pendingOps = [];       // ops that arrived while catching up
    this.storageKey = null;
    this.connected = false;
    this.syncing = false;
    this.flushing = false;
    this.fatal = null;
    this.lastBy = new Map();    // key -> name of the last remote writer
    this.typingSent = new Map();
    this.myOps = new Set();     // op_ids sent from this page, to tell our own ops apart
    this.unsaved = [];          // [{entity, field, value, message}] texts whose item was removed
  }

  /** Open the socket; socket.io reconnects by itself and every connect catches up first. */
  start() {
    const socket = this.io("/live", {
      auth: { meeting: this.config.meeting_id, view: this.config.view },
      transports: ["websocket", "polling"],
      reconnectionDelayMax: 3000,
    });
    this.socket = socket;
    socket.on("connect", () => {
      this.connected = true;
      this.emitChange("connection");
      this.sync();
    });
    socket.on("disconnect", (reason) => {
      this.connected = false;
      this.syncing = false;
      if (reason === "io server disconnect") {
        // The server closed the connection because this person's access ended (a stopped,
        // replaced or removed link, a logout). socket.io does not reconnect after that: the
        // page says why, with the message sent just before, and stays where it is.
        this.fatal = this.fatal || (this.config.strings || {})["err.connect"] || null;
        this.emitChange("fatal", { message: this.fatal, code: "ended" });
      }
      this.emitChange("connection");
    });
    // Sent just before the server closes the connection, in the reader's language.
    const accessEnded = (data) => { this.fatal = (data && data.message) || null; };
    socket.on("revoked", accessEnded);
    socket.on("logged_out", accessEnded);
    socket.on("connect_error", (err) => {
      this.connected = false;
      if (!socket.active) {
        this.fatal = (err && err.data && err.data.message) || null;
        this.emitChange("fatal", { message: this.fatal, code: err && err.data && err.data.code });
      }
      this.emitChange("connection");
    });
    socket.on("op", (op) => this.receiveOp(op));
    socket.on("annotations", (data) => this.applyAnnotations(data));
    socket.on("typing", (data) => this.emitChange("typing", data));
    socket.on("presence", (data) => this.applyPresence(data));
    socket.on("lobby", (data) => this.applyLobby(data));
    socket.on("admitted", () => { this.seq = null; this.sync(); this.emitChange("admitted"); });
    socket.on("dismissed", () => { this.seq = null; this.sync(); this.emitChange("dismissed"); });
    // Back online: connect again, unless the server ended this person's access.
    window.addEventListener("online", () => { if (!socket.connected && !this.fatal) socket.connect(); });
    // Leaving the page sends what waits for the typing pause; the outbox keeps it either way.
    window.addEventListener("pagehide", () => {
      for (const fs of this.fields.values()) {
        if (!fs.timer) continue;
        clearTimeout(fs.timer);
        fs.timer = null;
        this.sendEdit(fs);
      }
    });
  }

  emitChange(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
    if (type !== "status") this.dispatchEvent(new CustomEvent("status", { detail: {} }));
  }

  // ---- catching up ------------------------------------------------------------------------

  async sync() {
    if (!this.connected || this.syncing) return;
    this.syncing = true;
    const answer = await this.ask("sync", { last_seq: this.seq });
    this.syncing = false;
    if (!answer || !answer.ok) {
      if (answer && answer.code === "timeout") setTimeout(() => this.sync(), 1000);
      else if (answer) this.emitChange("error", answer);
      return;
    }
    if (answer.snapshot) this.applySnapshot(answer.snapshot);
    else {
      for (const op of answer.ops || []) this.applyInOrder(op);
      if (typeof answer.seq === "number" && this.seq !== null && answer.seq > this.seq) {
        this.seq = null;   // the server is ahead of what it sent: start from a snapshot
        this.sync();
        return;
      }
    }
    const waiting = this.pendingOps.sort((a, b) => a.seq - b.seq);
    this.pendingOps = [];
    for (const op of waiting) this.receiveOp(op);
    this.flush();
  }

  receiveOp(op) {
    if (this.syncing || this.seq === null) {
      this.pendingOps.push(op);
      return;
    }
    if (op.seq <= this.seq) return;
    if (op.seq > this.seq + 1) {
      this.pendingOps.push(op);
      this.sync();
      return;
    }
    this.applyInOrder(op);
  }

  applyInOrder(op) {
    if (this.seq !== null && op.seq <= this.seq) return;
    this.seq = op.seq;
    this.applyOp(op);
  }

  applySnapshot(snap) {
    this.state = snap;
    this.seq = typeof snap.seq === "number" ? snap.seq : null;
    if (snap.lobby) {
      this.emitChange("snapshot", { lobby: true });
      return;
    }
    this.openStorage(snap.me);
    const seen = new Set();
    const register = (entity, id, values) => {
      for (const [field, v] of Object.entries(values || {})) {
        if (!v || typeof v !== "object" || !("version" in v)) continue;
        const key = fieldKey(entity, id, field);
        seen.add(key);
        this.serverValue(entity, id, field, v.value, v.version, false);
      }
    };
    register("meeting", snap.meeting.id, { questions: snap.meeting.questions });
    register("plan", this.planId(), snap.plan.fields);
    for (const [entity, list] of Object.entries(LISTS)) {
      for (const item of snap[list] || []) register(entity, item.id, item.fields);
    }
    for (const key of [...this.fields.keys()]) {
      if (!seen.has(key) && !this.isDirty(this.fields.get(key))) this.fields.delete(key);
    }
    this.restoreDrafts();
    this.emitChange("snapshot", { lobby: false });
  }

  planId() {
    const plan = this.state && this.state.plan;
    return plan && plan.id !== undefined ? plan.id : this.state.meeting.plan_id;
  }

  // ---- operations from the server ---------------------------------------------------------

  applyOp(op) {
    const s = this.state;
    if (!s || s.lobby) return;
    switch (op.kind) {
      case "field": {
        const key = fieldKey(op.entity, op.id, op.field);
        if (!this.isMine(op)) this.lastBy.set(key, op.by);
        this.serverValue(op.entity, op.id, op.field, op.value, op.version, true, op);
        if (op.entity === "meeting" && op.field === "questions") {
          s.meeting.questions = { value: op.value, version: op.version };
        }
        break;
      }
      case "item_added": {
        const list = s[LISTS[op.entity]];
        if (!list || list.some((i) => i.id === op.item.id)) break;
        list.splice(Math.min(op.position ?? list.length, list.length), 0, op.item);
        for (const [field, v] of Object.entries(op.item.fields || {})) {
          this.serverValue(op.entity, op.item.id, field, v.value, v.version, false);
        }
        break;
      }
      case "item_removed": {
        const list = s[LISTS[op.entity]];
        if (!list) break;
        const at = list.findIndex((i) => i.id === op.id);
        if (at >= 0) list.splice(at, 1);
        for (const [key, fs] of [...this.fields.entries()]) {
          if (!key.startsWith(`${op.entity}:${op.id}:`)) continue;
          // What this person wrote there and had not saved is kept for them to copy.
          const text = fs.conflict ? fs.conflict.mine : fs.local;
          if (!this.isMine(op) && this.isDirty(fs) && typeof text === "string" && text.trim()) {
            this.keepUnsaved(fs, text, null);
          }
          clearTimeout(fs.timer);
          this.fields.delete(key);
        }
        // Links to the removed item were cleared in the same operation.
        for (const c of op.changes || []) {
          this.serverValue(c.entity, c.id, c.field, c.value, c.version, true, op);
        }
        this.saveDrafts();
        break;
      }
      case "item_moved": {
        const list = s[LISTS[op.entity]];
        if (!list) break;
        const at = list.findIndex((i) => i.id === op.id);
        if (at < 0) break;
        const [item] = list.splice(at, 1);
        list.splice(Math.min(op.position, list.length), 0, item);
        break;
      }
      case "step": s.meeting.step = op.step; break;
      case "status":
        s.meeting.status = op.status;
        if (op.no_plan_reason) s.meeting.no_plan_reason = op.no_plan_reason;
        break;
      case "admitted":
        for (const p of op.participants || []) this.upsertParticipant({ ...p, admitted: true });
        break;
      case "dismissed": this.upsertParticipant({ id: op.participant_id, admitted: false }); break;
      case "participant_removed":
        s.participants = (s.participants || []).filter((p) => p.id !== op.participant_id);
        for (const c of op.changes || []) {
          this.serverValue(c.entity, c.id, c.field, c.value, c.version, true, op);
        }
        break;
      case "condition_split": {
        // A new action for the condition, and the original now waits for it.
        const list = s.actions || (s.actions = []);
        if (!list.some((i) => i.id === op.item.id)) {
          list.splice(Math.min(op.position ?? list.length, list.length), 0, op.item);
          for (const [field, v] of Object.entries(op.item.fields || {})) {
            this.serverValue("action", op.item.id, field, v.value, v.version, false);
          }
        }
        this.serverValue("action", op.action_id, op.field, op.value, op.version, true, op);
        break;
      }
      case "overrides": s.overrides = op.overrides || []; break;
      case "term_request": this.upsertRequest(op.request); break;
      case "explanation_added": {
        const list = s.explanations || (s.explanations = []);
        if (!list.some((e) => e.id === op.explanation.id)) list.push(op.explanation);
        if (op.request) this.upsertRequest(op.request);
        break;
      }
      case "satisfaction": s.meeting.satisfaction = op.counts; break;
      case "spoken": {
        const spoken = (s.meeting.spoken ||= {});
        const ids = new Set(spoken[String(op.step)] || []);
        if (op.spoken) ids.add(op.participant_id); else ids.delete(op.participant_id);
        spoken[String(op.step)] = [...ids];
        break;
      }
      default: break;
    }
    this.emitChange("op", { op, mine: this.isMine(op) });
  }

  /** Keep the open word requests this view shows: all on the console, those on the wall elsewhere. */
  upsertRequest(request) {
    if (!request) return;
    const list = (this.state.term_requests || []).filter((r) => r.id !== request.id);
    if (request.status === "open" && (this.config.view === "console" || request.on_wall)) {
      list.push(request);
      list.sort((a, b) => a.id - b.id);
    }
    this.state.term_requests = list;
  }

  /** The rules' and the glossary's view of the plan; an older answer never replaces a newer. */
  applyAnnotations(data) {
    if (!this.state || this.state.lobby || !data) return;
    const current = this.state.annotations;
    if (current && typeof current.seq === "number" && data.seq < current.seq) return;
    this.state.annotations = data;
    this.dispatchEvent(new CustomEvent("annotations", { detail: data }));
  }

  isMine(op) {
    return Boolean(op.op_id && this.myOps.has(op.op_id));
  }

  upsertParticipant(p) {
    const list = this.state.participants || (this.state.participants = []);
    const found = list.find((x) => x.id === p.id);
    if (found) Object.assign(found, p); else list.push(p);
  }

  /** The chair hears who waits in the lobby; they are the connected, not admitted people. */
  applyLobby(data) {
    if (!this.state || this.state.lobby) return;
    const waiting = new Set((data.waiting || []).map((w) => w.id));
    for (const p of this.state.participants || []) {
      if (!p.admitted) p.connected = waiting.has(p.id);
    }
    for (const w of data.waiting || []) {
      if (!(this.state.participants || []).some((p) => p.id === w.id)) {
        this.upsertParticipant({ ...w, admitted: false, connected: true });
      }
    }
    this.emitChange("presence", {});
  }

  applyPresence({ participant_id: id, connected }) {
    if (!this.state || this.state.lobby) return;
    const found = (this.state.participants || []).find((p) => p.id === id);
    if (found) found.connected = connected;
    this.emitChange("presence", { id, connected });
  }

  // ---- fields -----------------------------------------------------------------------------

  /** Return the state of one field (created empty if the snapshot did not carry it). */
  field(entity, id, field) {
    const key = fieldKey(entity, id, field);
    let fs = this.fields.get(key);
    if (!fs) {
      const empty = { value: this.emptyValue(entity, field), version: 0 };
      fs = { key, entity, id, field, server: empty, origin: empty, local: empty.value,
             inflight: null, error: null, conflict: null, timer: null, queued: false };
      this.fields.set(key, fs);
    }
    return fs;
  }

  value(entity, id, field) {
    return this.field(entity, id, field).local;
  }

  schemaOf(entity, field) {
    const schema = (this.state && this.state.schema) || {};
    return (schema[entity] || {})[field] || { type: "text" };
  }

  emptyValue(entity, field) {
    return this.schemaOf(entity, field).type === "ref" ? null : "";
  }

  same(fs, a, b) {
    if (a === b) return true;
    const type = this.schemaOf(fs.entity, fs.field).type;
    if (type === "line" && typeof a === "string" && typeof b === "string") return a.trim() === b.trim();
    if (type === "text" && typeof a === "string" && typeof b === "string") {
      return a.replace(/\r\n?/g, "\n") === b.replace(/\r\n?/g, "\n");
    }
    return (a ?? "") === (b ?? "");
  }

  isDirty(fs) {
    return Boolean(fs.inflight || fs.timer || fs.conflict || !this.same(fs, fs.local, fs.origin.value));
  }

  /** Record what the server holds for a field; a field being edited keeps its local text. */
  serverValue(entity, id, field, value, version, remote, op = null) {
    const fs = this.field(entity, id, field);
    if (version < fs.server.version) return;
    if (version === fs.server.version && remote && fs.server.value === value) return;
    fs.server = { value, version };
    if (!this.isDirty(fs)) {
      fs.origin = fs.server;
      const changed = fs.local !== value;
      fs.local = value;
      if (changed || !remote) this.emitChange("field", { key: fs.key, remote, op, kept: false });
    } else if (remote && !(op && op.op_id === fs.inflight)) {
      this.emitChange("field", { key: fs.key, remote, op, kept: true });
    }
  }

  /** A settled field shows what the server holds now, if others changed it meanwhile. */
  adoptNewer(fs) {
    if (this.isDirty(fs) || fs.server.version <= fs.origin.version) return;
    fs.origin = fs.server;
    if (fs.local !== fs.server.value) {
      fs.local = fs.server.value;
      this.emitChange("field", { key: fs.key, remote: true });
    }
  }

  /** The person changed a field: keep it, and send it after a short pause. */
  setLocal(entity, id, field, value, { immediate = false } = {}) {
    const fs = this.field(entity, id, field);
    fs.local = value;
    fs.error = null;
    fs.errorCode = null;
    clearTimeout(fs.timer);
    fs.timer = null;
    if (fs.conflict) {
      fs.conflict.mine = value;   // the writer is combining the texts by hand
      this.saveDrafts();
      this.emitChange("status");
      return;
    }
    if (immediate) this.sendEdit(fs);
    else fs.timer = setTimeout(() => { fs.timer = null; this.sendEdit(fs); }, EDIT_PAUSE_MS);
    this.saveDrafts();
    this.sendTyping(fs, true);
    this.emitChange("status");
  }

  /** The person left a field: send what is pending now. */
  commit(entity, id, field) {
    const fs = this.field(entity, id, field);
    if (fs.timer) {
      clearTimeout(fs.timer);
      fs.timer = null;
      this.sendEdit(fs);
    }
    this.sendTyping(fs, false);
    this.emitChange("status");
  }

  focusField(entity, id, field) {
    this.sendTyping(this.field(entity, id, field), true);
  }

  sendTyping(fs, active) {
    if (!this.connected || !this.canWrite(fs.entity, fs.field)) return;
    const last = this.typingSent.get(fs.key) || 0;
    const now = Date.now();
    if (active && now - last < TYPING_EVERY_MS) return;
    this.typingSent.set(fs.key, active ? now : 0);
    this.socket.emit("typing", { entity: fs.entity, id: fs.id, field: fs.field, active });
  }

  /** Tell whether this person may write now (in a field, if given: a child only their own words). */
  canWrite(entity = null, field = null) {
    const s = this.state;
    if (!s || s.lobby || !s.me || s.meeting.status !== "live") return false;
    if (s.me.simple) return CHILD_FIELDS.has(`${entity}:${field}`);
    return Boolean(s.me.can_edit);
  }

  sendEdit(fs) {
    if (fs.inflight || fs.conflict) return;
    if (this.same(fs, fs.local, fs.origin.value)) {
      this.saveDrafts();
      this.emitChange("status");
      return;
    }
    const payload = {
      op_id: newOpId(), entity: fs.entity, id: fs.id, field: fs.field,
      base_version: fs.origin.version, base: fs.origin.value, value: fs.local,
    };
    fs.inflight = payload.op_id;
    this.enqueue("edit", payload);
  }

  /** The writer chose the text to keep after a conflict; it is sent on the saved version. */
  resolveConflict(key, text) {
    const fs = this.fields.get(key);
    if (!fs || !fs.conflict) return;
    fs.origin = { value: fs.conflict.theirs, version: fs.conflict.version };
    fs.conflict = null;
    fs.local = text;
    fs.error = null;
    fs.errorCode = null;
    this.emitChange("field", { key, remote: false });
    this.sendEdit(fs);
    this.saveDrafts();
    this.emitChange("status");
  }

  // ---- the outbox -------------------------------------------------------------------------

  /** Queue a change to the plan; it is kept across reloads until the server acknowledges it. */
  enqueue(event, payload) {
    if (!payload.op_id) payload.op_id = newOpId();
    this.myOps.add(payload.op_id);
    this.outbox.push({ op_id: payload.op_id, event, payload });
    this.saveOutbox();
    this.emitChange("status");
    this.flush();
    return payload.op_id;
  }

  /** Send a chair's command (not kept offline) and return the server's answer. */
  async command(event, payload = {}) {
    if (!this.connected) return { ok: false, code: "offline" };
    const opId = newOpId();
    this.myOps.add(opId);
    const answer = await this.ask(event, { op_id: opId, ...payload });
    if (answer && !answer.ok) this.emitChange("error", answer);
    return answer;
  }

  ask(event, payload) {
    return new Promise((resolve) => {
      if (!this.socket || !this.socket.connected) {
        resolve({ ok: false, code: "timeout" });
        return;
      }
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, answer) => {
        resolve(err ? { ok: false, code: "timeout" } : (answer || { ok: false, code: "invalid" }));
      });
    });
  }

  async flush() {
    if (this.flushing || this.syncing || !this.connected || this.seq === null) return;
    this.flushing = true;
    try {
      while (this.outbox.length && this.connected && !this.syncing) {
        const entry = this.outbox[0];
        const answer = await this.ask(entry.event, entry.payload);
        // No answer, or too many changes in a short time: nothing was stored, so the same
        // operation is sent again in a moment.
        if (answer.code === "timeout" || answer.code === "rate_limited") {
          if (this.connected) setTimeout(() => this.flush(), 1000);
          break;
        }
        if (this.outbox[0] === entry) this.outbox.shift();
        this.saveOutbox();
        this.handleAnswer(entry, answer);
      }
    } finally {
      this.flushing = false;
      this.emitChange("status");
    }
  }

  handleAnswer(entry, answer) {
    if (entry.event !== "edit") {
      if (!answer.ok) this.emitChange("error", { ...answer, event: entry.event, payload: entry.payload });
      else this.emitChange("answer", { event: entry.event, payload: entry.payload, answer });
      return;
    }
    const p = entry.payload;
    const fs = this.fields.get(fieldKey(p.entity, p.id, p.field));
    if (!fs) return;
    if (fs.inflight === p.op_id) fs.inflight = null;
    if (answer.ok) {
      const value = "value" in answer ? answer.value : p.value;
      const version = typeof answer.version === "number" ? answer.version : fs.server.version;
      if (version >= fs.server.version) fs.server = { value, version };
      if (this.same(fs, fs.local, p.value)) {
        fs.origin = { value, version };
        if (fs.local !== value && !this.same(fs, fs.local, value)) {
          fs.local = value;        // the server merged others' words into ours
          this.emitChange("field", { key: fs.key, remote: true, merged: true });
        }
        this.adoptNewer(fs);
      } else {
        // Typed on while the edit travelled: the next edit is based on what was sent, and
        // if the server merged something in, an older base version makes it merge again.
        fs.origin = value === p.value ? { value, version } : { value: p.value, version: p.base_version };
        if (!fs.timer) this.sendEdit(fs);
      }
    } else if (answer.code === "conflict") {
      fs.conflict = {
        mine: fs.local, theirs: answer.theirs ?? fs.server.value, version: answer.version,
        by: this.lastBy.get(fs.key) || null,
      };
      if (answer.version >= fs.server.version) fs.server = { value: fs.conflict.theirs, version: answer.version };
      this.emitChange("field", { key: fs.key, remote: false, conflict: true });
    } else if (answer.code === "removed" || answer.code === "not_found") {
      // The item went away before this edit arrived: nothing was stored anywhere, and the
      // text is kept where the person can copy it.
      if (typeof p.value === "string" && p.value.trim()) this.keepUnsaved(fs, fs.local, answer.message);
      clearTimeout(fs.timer);
      this.fields.delete(fs.key);
      this.emitChange("error", { ...answer, event: entry.event, payload: p });
    } else {
      fs.error = answer.message || null;
      fs.errorCode = answer.code || "generic";
      this.emitChange("field", { key: fs.key, remote: false, error: true });
    }
    this.saveDrafts();
  }

  /** Keep a text whose item was removed, so that the person can copy it elsewhere. */
  keepUnsaved(fs, value, message) {
    if (this.unsaved.some((u) => u.key === fs.key && u.value === value)) return;
    this.unsaved.push({ key: fs.key, entity: fs.entity, field: fs.field, value, message });
    this.saveUnsaved();
    this.emitChange("unsaved");
  }

  /** The person has dealt with a kept text: forget it. */
  dismissUnsaved(index) {
    this.unsaved.splice(index, 1);
    this.saveUnsaved();
    this.emitChange("unsaved");
  }

  saveUnsaved() {
    if (!this.storageKey) return;
    try {
      if (this.unsaved.length) localStorage.setItem(`${this.storageKey}:unsaved`, JSON.stringify(this.unsaved));
      else localStorage.removeItem(`${this.storageKey}:unsaved`);
    } catch { /* storage full or blocked: the page still shows them */ }
  }

  // ---- what survives a reload -------------------------------------------------------------

  openStorage(me) {
    if (this.storageKey || !me) return;
    const who = me.kind === "participant" ? `p${me.participant_id}` : `${me.kind || "x"}${me.chair_id ?? ""}`;
    this.storageKey = `sip-meeting:live:${this.config.meeting_id}:${who}`;
    try {
      const saved = JSON.parse(localStorage.getItem(`${this.storageKey}:outbox`) || "[]");
      const known = new Set(this.outbox.map((e) => e.op_id));
      this.outbox.push(...saved.filter((e) => e && e.op_id && !known.has(e.op_id)));
      for (const e of this.outbox) this.myOps.add(e.op_id);
    } catch { /* a damaged entry is dropped */ }
    try {
      const kept = JSON.parse(localStorage.getItem(`${this.storageKey}:unsaved`) || "[]");
      for (const u of kept) if (u && typeof u.value === "string" && !this.unsaved.some((x) => x.key === u.key && x.value === u.value)) this.unsaved.push(u);
      if (this.unsaved.length) { this.saveUnsaved(); this.emitChange("unsaved"); }
    } catch { /* a damaged entry is dropped */ }
  }

  restoreDrafts() {
    if (!this.storageKey) return;
    let drafts = {};
    try { drafts = JSON.parse(localStorage.getItem(`${this.storageKey}:drafts`) || "{}"); } catch { drafts = {}; }
    for (const [key, d] of Object.entries(drafts)) {
      const [entity, id, field] = key.split(":");
      const numericId = Number(id);
      const fs = this.field(entity, Number.isNaN(numericId) ? id : numericId, field);
      if (!this.isDirty(fs)) {
        fs.local = d.local;
        fs.origin = d.origin;
        if (d.conflict) fs.conflict = d.conflict;
        this.emitChange("field", { key: fs.key, remote: false });
      }
    }
    for (const entry of this.outbox) {
      if (entry.event !== "edit") continue;
      const p = entry.payload;
      this.field(p.entity, p.id, p.field).inflight = p.op_id;
    }
    for (const fs of this.fields.values()) {
      if (!fs.inflight && !fs.conflict && !this.same(fs, fs.local, fs.origin.value)) this.sendEdit(fs);
    }
  }

  saveOutbox() {
    if (!this.storageKey) return;
    try { localStorage.setItem(`${this.storageKey}:outbox`, JSON.stringify(this.outbox)); } catch { /* full */ }
  }

  saveDrafts() {
    if (!this.storageKey) return;
    const drafts = {};
    for (const fs of this.fields.values()) {
      if (fs.conflict || !this.same(fs, fs.local, fs.origin.value) || fs.inflight) {
        drafts[fs.key] = { local: fs.local, origin: fs.origin, conflict: fs.conflict };
      }
    }
    try {
      if (Object.keys(drafts).length) localStorage.setItem(`${this.storageKey}:drafts`, JSON.stringify(drafts));
      else localStorage.removeItem(`${this.storageKey}:drafts`);
    } catch { /* storage full or blocked: the page still holds the text */ }
  }

  // ---- the save status --------------------------------------------------------------------

  /** Tell truthfully where the person's changes are: "saved", "saving", "offline", … */
  saveState() {
    if (this.fatal) return "error";
    if (!this.state) return this.connected ? "connecting" : "offline_idle";
    if (this.state.lobby) return this.connected ? "lobby" : "offline_idle";
    const fields = [...this.fields.values()];
    const attention = fields.some((fs) => fs.conflict || fs.errorCode);
    const pending = this.outbox.length > 0 || fields.some((fs) => this.isDirty(fs));
    if (this.state.meeting && this.state.meeting.status === "closed" && !pending) return "closed";
    if (!this.connected) return pending ? "offline" : "offline_idle";
    if (attention) return "attention";
    if (pending || this.syncing) return "saving";
    return "saved";
  }
}
