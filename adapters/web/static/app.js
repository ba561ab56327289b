// The local web chat: talks to /api/local/* and renders the core's neutral replies.
// Everything is rendered with textContent, never innerHTML, so no reply can inject markup.
//
// Where a reply goes: a reply with `dialog: true`, a reply with a form, and every reply to a request sent
// from the panel or by a button with `dialog: true` is shown in the panel (<dialog>) and never kept.
// Everything else goes into the conversation, which is kept in localStorage across reloads (Clear empties it),
// except anything that looks like a case reference or follow-up code.
(function () {
  "use strict";
  const HISTORY = "smpolicy-history";
  const MAX_HISTORY = 200;
  const CASE_REF = /\bR-[0-9A-Z]{6}\b/;
  const CHECK_PREFIX = /^\s*\/?check\s*:?\s+/i;
  const BADGES = {
    allowed: ["\u2713", "ok"], ok: ["\u2713", "ok"],
    not_allowed: ["\u2715", "stop"], do_not_post: ["\u2715", "stop"],
    conditional: ["!", "warn"], review: ["!", "warn"],
    info: ["i", "info"], unknown: ["?", "unknown"],
  };

  const log = document.getElementById("log");
  const typing = document.getElementById("typing");
  const input = document.getElementById("text");
  const panel = document.getElementById("panel");
  const panelBody = document.getElementById("panel-body");
  const userId = localStorage.getItem("smpolicy-user") || (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
  localStorage.setItem("smpolicy-user", userId);
  let pending = 0;
  let mode = "ask";
  let panelForm = null;

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    (children || []).forEach((c) => c && node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  }

  // ------------------------------------------------------------------ history

  function loadHistory() {
    try { return JSON.parse(localStorage.getItem(HISTORY) || "[]"); } catch (e) { return []; }
  }

  function remember(entry) {
    if (CASE_REF.test(JSON.stringify(entry))) return; // never a case reference or code, whatever sent it
    const items = loadHistory();
    items.push(entry);
    localStorage.setItem(HISTORY, JSON.stringify(items.slice(-MAX_HISTORY)));
  }

  function scrollDown() { window.scrollTo(0, document.body.scrollHeight); }

  function bubble(text, who, label) {
    const node = el("div", { className: "msg " + who });
    if (label) node.appendChild(el("span", { className: "label", textContent: label }));
    node.appendChild(el("span", { textContent: text }));
    log.appendChild(node);
    scrollDown();
    return node;
  }

  // ------------------------------------------------------------------ requests

  function setTyping(delta) {
    pending += delta;
    typing.hidden = pending === 0;
    if (pending) log.after(typing);
  }

  // Sends one request; on failure shows an error with Retry in the place the answer would have gone.
  async function post(path, body, ctx) {
    ctx = ctx || {};
    setTyping(1);
    let data = null;
    let problem = "";
    try {
      const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      data = await res.json().catch(() => null);
      if (!res.ok || !data || !Array.isArray(data.replies)) {
        problem = "The server answered with an error (" + res.status + (data && data.error ? ": " + data.error : "") + ").";
      }
    } catch (e) {
      problem = "The server can't be reached. Check that smpolicy is running, then retry.";
    } finally {
      setTyping(-1);
    }
    if (problem) { showError(problem, () => post(path, body, ctx), ctx); return; }
    const toPanel = ctx.dialog || data.replies.some((r) => r.dialog);
    if (toPanel && !data.replies.every((r) => r.field_errors && r.field_errors.length)) clearPanel();
    data.replies.forEach((r) => render(r, ctx, toPanel));
  }

  function showError(message, retry, ctx) {
    const box = el("div", { className: "msg bot error-msg", role: "alert" }, [el("span", { textContent: message + " " })]);
    const again = el("button", { type: "button", textContent: "Retry" });
    again.addEventListener("click", () => { box.remove(); retry(); });
    box.appendChild(again);
    if (ctx.dialog && panel.open) panelBody.appendChild(box); else { log.appendChild(box); scrollDown(); }
    again.focus();
  }

  // ------------------------------------------------------------------ the panel (dialog)

  function clearPanel() { panelBody.textContent = ""; panelForm = null; }

  function openPanel(title) {
    if (panelBody.childElementCount === 1) { // the first reply names the panel
      document.getElementById("panel-title").textContent = title || "Private";
      panel.classList.toggle("titled", Boolean(title));
    }
    if (!panel.open) panel.showModal();
  }

  document.getElementById("panel-close").addEventListener("click", () => panel.close());
  panel.addEventListener("close", () => { clearPanel(); input.focus(); });

  // ------------------------------------------------------------------ cards

  function badge(card) {
    const [icon, tone] = BADGES[card.badge] || ["\u2022", "info"];
    return el("h2", { className: "badge " + tone }, [el("span", { className: "icon", textContent: icon, ariaHidden: "true" }),
      el("span", { textContent: card.title || card.badge })]);
  }

  // Flagged spans of a checked draft, overlapping ones merged: [{s, e, titles, findings: [index, ...]}].
  function mergedMarks(card) {
    const spans = card.marks.map(([s, e, t], i) => ({ s: s, e: e, t: t, i: i })).sort((a, b) => a.s - b.s || b.e - a.e);
    const merged = [];
    spans.forEach((m) => {
      const last = merged[merged.length - 1];
      if (last && m.s < last.e) {
        last.e = Math.max(last.e, m.e);
        if (!last.titles.includes(m.t)) last.titles.push(m.t);
        last.findings.push(m.i);
      } else merged.push({ s: m.s, e: m.e, titles: [m.t], findings: [m.i] });
    });
    return merged;
  }

  // The draft with its flagged parts marked and numbered like the findings below it.
  function draftView(card) {
    const merged = mergedMarks(card);
    const p = el("p", { className: "draft" });
    let at = 0;
    merged.forEach((m, n) => {
      if (m.s > at) p.appendChild(document.createTextNode(card.draft.slice(at, m.s)));
      p.appendChild(el("mark", { title: m.titles.join(", ") }, [card.draft.slice(m.s, m.e)]));
      p.appendChild(el("sup", { className: "n", textContent: String(n + 1), ariaHidden: "true" }));
      p.appendChild(el("span", { className: "sr", textContent: " (flagged " + (n + 1) + ": " + m.titles.join(", ") + ")" }));
      at = m.e;
    });
    if (at < card.draft.length) p.appendChild(document.createTextNode(card.draft.slice(at)));
    return el("figure", { className: "draft-box" }, [el("figcaption", { textContent: "Your draft" + (merged.length ? ", flagged parts marked" : "") }), p]);
  }

  // One finding per flagged span: what was flagged, the guideline(s), and what to do (each said once).
  function findingList(card) {
    const list = el("ol", { className: "findings" });
    mergedMarks(card).forEach((m) => {
      const advice = [];
      m.findings.sort((a, b) => a - b).forEach((i) => {
        const text = card.fields[i][1].replace(/^\u201c[^\u201d]*\u201d:\s*/, "");
        if (!advice.includes(text)) advice.push(text);
      });
      list.appendChild(el("li", {}, [
        el("q", { textContent: card.draft.slice(m.s, m.e) }), " ",
        el("span", { className: "guideline", textContent: m.titles.join(", ") }),
        el("p", { textContent: advice.join(" ") }),
      ]));
    });
    return list;
  }

  function copyButton(value, what) {
    const b = el("button", { type: "button", className: "copy", textContent: "Copy", ariaLabel: "Copy the " + what });
    b.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(value); b.textContent = "Copied"; } catch (e) { b.textContent = "Select and copy"; }
    });
    return b;
  }

  function fieldList(card) {
    const dl = el("dl");
    const seen = new Set();
    card.fields.forEach(([k, v]) => {
      if (seen.has(k + "\u0000" + v)) return; // one line per finding, however many rules found it
      seen.add(k + "\u0000" + v);
      dl.appendChild(el("dt", { textContent: k }));
      const dd = el("dd", {}, [el("span", { className: "value", textContent: v })]);
      if (k === "Case") dd.appendChild(copyButton(v, "case reference"));
      if (k === "Follow-up code") dd.appendChild(copyButton(v, "follow-up code"));
      dl.appendChild(dd);
    });
    return dl;
  }

  function field(card, name) {
    const f = card.fields.find(([k]) => k === name);
    return f ? f[1] : null;
  }

  // After a quiz answer: mark the chosen and the right choice on the question's buttons.
  function markQuiz(card, row) {
    const chosen = field(card, "Your answer");
    if (!row || chosen === null) return;
    const right = field(card, "Right answer") || chosen;
    row.querySelectorAll("button").forEach((b) => {
      const label = b.dataset.label;
      if (label === right.slice(0, 75)) { b.classList.add("correct"); b.appendChild(el("span", { className: "tag", textContent: " \u2713 right answer" })); }
      if (label === chosen.slice(0, 75)) { b.classList.add("chosen"); b.setAttribute("aria-pressed", "true"); if (label !== right.slice(0, 75)) b.appendChild(el("span", { className: "tag", textContent: " \u2715 your answer" })); }
    });
  }

  function button(b, row, live) {
    const node = el("button", { type: "button", textContent: b.label, className: b.style || "" });
    node.dataset.action = b.action_id;
    node.dataset.label = b.label;
    node.addEventListener("click", async () => {
      const dialog = b.dialog || live.dialog;
      if (b.action_id === "quiz.answer") row.querySelectorAll("button").forEach((x) => { x.disabled = true; });
      if (!dialog) { bubble(b.label, "me"); remember({ who: "me", text: b.label }); }
      await post("/api/local/actions", { user_id: userId, action_id: b.action_id, value: b.value }, { dialog: dialog, row: row });
    });
    return node;
  }

  function renderForm(card, box) {
    const form = el("form", { className: "report-form" });
    card.form.forEach((f) => {
      const id = "f-" + f.name + "-" + Math.random().toString(36).slice(2, 7);
      form.appendChild(el("label", { htmlFor: id, textContent: f.label + (f.required ? " *" : "") }));
      let field;
      if (f.kind === "multiline") field = el("textarea", { rows: 4 });
      else if (f.kind === "choices") {
        field = el("select", { multiple: true, size: Math.min(6, Math.max(2, f.options.length)) });
        f.options.forEach((o) => field.appendChild(el("option", { value: o.value, textContent: o.label })));
      } else if (f.kind === "choice") {
        field = el("select");
        field.appendChild(el("option", { value: "", textContent: "(choose)" }));
        f.options.forEach((o) => field.appendChild(el("option", { value: o.value, textContent: o.label })));
      } else field = el("input", { type: "text" });
      Object.assign(field, { id: id, name: f.name, maxLength: f.max_length, placeholder: f.placeholder || "" });
      if (f.required) field.required = true;
      const error = el("div", { className: "error", id: id + "-error" });
      field.setAttribute("aria-describedby", error.id);
      form.appendChild(field);
      form.appendChild(error);
    });
    const submit = el("button", { type: "submit", textContent: card.submit.label, className: "primary" });
    form.appendChild(submit);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const values = {};
      new FormData(form).forEach((v, k) => { values[k] = k in values ? values[k] + "," + String(v) : String(v); });
      form.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
      panelForm = form;
      submit.disabled = true;
      await post("/api/local/actions", { user_id: userId, action_id: card.submit.action_id, value: card.submit.value, form: values }, { dialog: true });
      submit.disabled = false;
    });
    box.appendChild(form);
  }

  function showFieldErrors(reply) {
    if (!panelForm) return false;
    let first = null;
    reply.field_errors.forEach(([name, message]) => {
      const field = panelForm.querySelector("[name='" + name + "']");
      if (!field) return;
      document.getElementById(field.getAttribute("aria-describedby")).textContent = message;
      field.setAttribute("aria-invalid", "true");
      first = first || field;
    });
    if (first) first.focus();
    return Boolean(first);
  }

  function cardView(card, row, live) {
    const box = el("div", { className: "msg bot card" });
    if (card.badge) box.appendChild(badge(card));
    else if (card.title) box.appendChild(el("h2", { textContent: card.title }));
    if (card.body) box.appendChild(el("div", { className: "body", textContent: card.body }));
    if (card.draft) box.appendChild(draftView(card));
    if (card.draft && card.marks.length === card.fields.length) box.appendChild(findingList(card));
    else if (card.fields.length) box.appendChild(fieldList(card));
    if (card.fields.some(([k]) => k === "Follow-up code")) {
      box.appendChild(el("p", { className: "follow", textContent: "To follow up later, choose \u201cFollow up on a report\u201d (below the chat, or in Help) and enter the case and the code." }));
    }
    if (card.quote) box.appendChild(el("blockquote", { textContent: card.quote }));
    if (card.buttons.length) {
      const buttons = el("div", { className: "buttons" });
      card.buttons.forEach((b) => buttons.appendChild(button(b, buttons, live)));
      box.appendChild(buttons);
    }
    if (card.form.length) renderForm(card, box);
    if (card.note) box.appendChild(el("p", { className: "note", textContent: card.note }));
    markQuiz(card, row);
    return box;
  }

  // Shows one reply: in the panel when it must stay private, else in the conversation (and the history).
  function render(reply, ctx, toPanel) {
    ctx = ctx || {};
    keepCode(reply);
    if (reply.field_errors && reply.field_errors.length && showFieldErrors(reply)) return;
    const card = reply.card;
    const inPanel = toPanel || reply.dialog || Boolean(card && card.form.length);
    const node = card ? cardView(card, ctx.row, { dialog: inPanel }) : el("div", { className: "msg bot", textContent: reply.text });
    if (inPanel) {
      panelBody.appendChild(node);
      openPanel(card && card.title);
      const first = panelBody.querySelector("textarea, input, select, button");
      if (first) first.focus();
      return;
    }
    log.appendChild(node);
    scrollDown();
    if (!ctx.restoring) remember({ who: "bot", reply: reply });
  }

  // ------------------------------------------------------------------ sending

  async function send(text, asDraft) {
    const draft = asDraft || CHECK_PREFIX.test(text);
    const body = asDraft ? "check: " + text : text;
    // A draft is neither shown again nor kept as typed (it may hold a password): the answer card shows it
    // with secrets masked and its flagged parts marked.
    const shown = draft ? "Check my draft (" + text.replace(CHECK_PREFIX, "").length + " characters)" : text;
    bubble(shown, "me");
    remember({ who: "me", text: shown });
    await post("/api/local/messages", { user_id: userId, text: body });
  }

  function setMode(next) {
    mode = next;
    document.getElementById("mode-ask").setAttribute("aria-pressed", String(mode === "ask"));
    document.getElementById("mode-check").setAttribute("aria-pressed", String(mode === "check"));
    document.getElementById("text-label").textContent = mode === "check" ? "Your draft post" : "Your question";
    input.placeholder = mode === "check" ? "Paste the post you want to publish" : "Can I post about our product launch?";
    input.rows = mode === "check" ? 4 : 1;
    document.getElementById("send").textContent = mode === "check" ? "Check draft" : "Send";
    document.getElementById("hint").textContent = mode === "check"
      ? "Ctrl+Enter checks the draft. Drafts are not stored on the server."
      : "Enter sends; Shift+Enter adds a line.";
    input.focus();
  }

  document.getElementById("mode-ask").addEventListener("click", () => setMode("ask"));
  document.getElementById("mode-check").addEventListener("click", () => setMode("check"));

  document.getElementById("ask").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (text) { input.value = ""; send(text, mode === "check"); }
  });
  input.addEventListener("keydown", (ev) => {
    const sendKey = mode === "check" ? ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) : ev.key === "Enter" && !ev.shiftKey;
    if (sendKey && !ev.isComposing) { ev.preventDefault(); document.getElementById("ask").requestSubmit(); }
  });
  document.querySelectorAll("nav button[data-say]").forEach((b) => b.addEventListener("click", () => send(b.dataset.say, false)));
  document.querySelectorAll("nav button[data-action]").forEach((b) => b.addEventListener("click", () =>
    post("/api/local/actions", { user_id: userId, action_id: b.dataset.action, value: "" }, { dialog: true })));
  document.getElementById("clear").addEventListener("click", () => {
    localStorage.removeItem(HISTORY);
    log.textContent = "";
    post("/api/local/messages", { user_id: userId, text: "help" }, {});
    input.focus();
  });

  // ------------------------------------------------------------------ the policy owners' answers

  // An anonymous question's one-time code stays in this browser only, so that the page can fetch the owners'
  // answer when it comes (the server keeps a hash of it and nothing about who asked).
  const CODES = "smpolicy-codes";
  function codes() { try { return JSON.parse(localStorage.getItem(CODES) || "[]"); } catch (e) { return []; } }
  function keepCode(reply) {
    const f = reply.card && reply.card.fields.find(([k]) => k === "Question code");
    if (f && !codes().includes(f[1])) localStorage.setItem(CODES, JSON.stringify(codes().concat([f[1]]).slice(-20)));
  }
  async function checkInbox() {
    try {
      const res = await fetch("/api/local/inbox", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user_id: userId, codes: codes() }) });
      if (!res.ok) return;
      const data = await res.json();
      localStorage.setItem(CODES, JSON.stringify(codes().filter((c) => !data.done.includes(c))));
      data.replies.forEach((r) => render(r, {}, false));
    } catch (e) { /* offline: the next check gets it */ }
  }
  setInterval(checkInbox, 15000);
  window.addEventListener("focus", checkInbox);

  // ------------------------------------------------------------------ start

  const history = loadHistory();
  history.forEach((item) => {
    if (item.who === "me") bubble(item.text, "me");
    else if (item.reply) render(item.reply, { restoring: true }, false);
  });
  // Old quiz buttons can't be answered again; everything else stays usable.
  log.querySelectorAll("button[data-action='quiz.answer']").forEach((b) => { b.disabled = true; });
  if (!history.length) post("/api/local/messages", { user_id: userId, text: "help" }, {});
  checkInbox();
})();
