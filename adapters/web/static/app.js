// The local web chat: talks to /api/local/* and renders the core's neutral replies.
// Everything is rendered with textContent, never innerHTML, so no reply can inject markup.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const userId = localStorage.getItem("smpolicy-user") || (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
  localStorage.setItem("smpolicy-user", userId);
  let lastForm = null;

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    (children || []).forEach((c) => c && node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  }

  function say(text, who) {
    log.appendChild(el("div", { className: "msg " + who, textContent: text }));
    window.scrollTo(0, document.body.scrollHeight);
  }

  async function post(path, body) {
    const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => ({ error: "bad response" }));
    if (!res.ok) { say("Error: " + (data.error || res.status), "bot"); return; }
    data.replies.forEach(render);
  }

  function button(b, onClick) {
    const node = el("button", { type: "button", textContent: b.label, className: b.style || "" });
    node.dataset.action = b.action_id;
    node.addEventListener("click", onClick);
    return node;
  }

  function renderForm(card, box) {
    const form = el("form", { className: "report-form" });
    card.form.forEach((f) => {
      const id = "f-" + f.name + "-" + Math.random().toString(36).slice(2, 7);
      form.appendChild(el("label", { htmlFor: id, textContent: f.label + (f.required ? " *" : "") }));
      let input;
      if (f.kind === "multiline") input = el("textarea", { rows: 4 });
      else if (f.kind === "choice") {
        input = el("select");
        input.appendChild(el("option", { value: "", textContent: "(choose)" }));
        f.options.forEach((o) => input.appendChild(el("option", { value: o.value, textContent: o.label })));
      } else input = el("input", { type: "text" });
      Object.assign(input, { id: id, name: f.name, maxLength: f.max_length, placeholder: f.placeholder || "" });
      if (f.required) input.required = true;
      form.appendChild(input);
      form.appendChild(el("div", { className: "error", role: "alert" }));
    });
    if (card.note) form.appendChild(el("p", { className: "note", textContent: card.note }));
    const submit = el("button", { type: "submit", textContent: card.submit.label, className: "primary" });
    form.appendChild(submit);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const values = {};
      new FormData(form).forEach((v, k) => { values[k] = String(v); });
      form.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
      lastForm = form;
      submit.disabled = true;
      await post("/api/local/actions", { user_id: userId, action_id: card.submit.action_id, value: card.submit.value, form: values });
      submit.disabled = false;
    });
    box.appendChild(form);
  }

  function render(reply) {
    if (reply.field_errors && reply.field_errors.length && lastForm) {
      reply.field_errors.forEach(([name, message]) => {
        const input = lastForm.querySelector("[name='" + name + "']");
        if (input && input.nextSibling) input.nextSibling.textContent = message;
      });
      return;
    }
    const card = reply.card;
    if (!card) { say(reply.text, "bot"); return; }
    const box = el("div", { className: "msg bot card" });
    if (card.title) box.appendChild(el("h2", { textContent: card.title }));
    if (card.body) box.appendChild(el("div", { className: "body", textContent: card.body }));
    if (card.fields.length) {
      const dl = el("dl");
      card.fields.forEach(([k, v]) => { dl.appendChild(el("dt", { textContent: k })); dl.appendChild(el("dd", { textContent: v })); });
      box.appendChild(dl);
    }
    if (card.quote) box.appendChild(el("blockquote", { textContent: card.quote }));
    if (card.buttons.length) {
      const row = el("div", { className: "buttons" });
      card.buttons.forEach((b) => row.appendChild(button(b, async () => {
        row.querySelectorAll("button").forEach((x) => { x.disabled = true; });
        say(b.label, "me");
        await post("/api/local/actions", { user_id: userId, action_id: b.action_id, value: b.value });
      })));
      box.appendChild(row);
    }
    if (card.form.length) renderForm(card, box);
    if (card.note && !card.form.length) box.appendChild(el("p", { className: "note", textContent: card.note }));
    log.appendChild(box);
    window.scrollTo(0, document.body.scrollHeight);
  }

  async function send(text) {
    say(text, "me");
    await post("/api/local/messages", { user_id: userId, text: text });
  }

  document.getElementById("ask").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = document.getElementById("text");
    const text = input.value.trim();
    if (text) { input.value = ""; send(text); }
  });
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => send(b.dataset.say)));
  post("/api/local/messages", { user_id: userId, text: "help" });
})();
