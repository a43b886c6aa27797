/* Shopkeeper chats: the shopper's chat (public, embeddable; replies streamed as server-sent
   events), the console's live conversation view, and the shopping guide. No framework, no CDN.
   Every text from the server is put in the page with textContent, never as HTML. */
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const words = (id) => JSON.parse(($(id) || { textContent: "{}" }).textContent || "{}");

  function bubble(box, role, text) {
    const el = document.createElement("div");
    el.className = `msg ${role}`;
    el.dataset.role = role;
    el.textContent = text;
    box.appendChild(el);
    box.scrollTop = box.scrollHeight;
    return el;
  }

  /* Read a text/event-stream response body: calls onEvent(name, data) per event. */
  async function readEvents(res, onEvent) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = "message", data = "";
        block.split("\n").forEach((line) => {
          if (line.startsWith("event: ")) name = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        });
        onEvent(name, data ? JSON.parse(data) : null);
      }
      if (done) break;
    }
  }

  /* -- the shopper's chat ------------------------------------------------------------- */
  function shopperChat(root) {
    const w = words("#chat-words");
    const box = $(".chat", root), form = $("form", root), input = $("textarea", form);
    const status = $(".chat-status", root);
    const key = "shopkeeper-chat";
    let convo = null, lastTurn = 0, polling = null;
    try { convo = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { convo = null; }

    async function start() {
      const res = await fetch("/api/v1/chat/conversations", { method: "POST", headers: { Accept: "application/json" } });
      const data = await res.json();
      if (!res.ok) throw new Error(data.detail || res.statusText);
      convo = { id: data.conversation_id, token: data.token };
      sessionStorage.setItem(key, JSON.stringify(convo));
    }
    async function poll() {
      if (!convo) return;
      const res = await fetch(`/api/v1/chat/conversations/${encodeURIComponent(convo.id)}?after=${lastTurn}`,
        { headers: { "X-Chat-Token": convo.token, Accept: "application/json" } });
      if (res.status === 403 || res.status === 404) { sessionStorage.removeItem(key); convo = null; return; }
      if (!res.ok) return;
      const data = await res.json();
      data.messages.forEach((m) => {
        if (m.turn <= lastTurn) return;
        lastTurn = m.turn;
        if (m.role === "agent" || !root.dataset.live) bubble(box, m.role === "customer" ? "shopper" : m.role, m.text);
      });
      root.dataset.live = "1";
      status.textContent = data.taken ? w.taken : data.with_person ? w.waiting : "";
      if (data.with_person && !polling) polling = setInterval(poll, 3000);
      if (!data.with_person && polling) { clearInterval(polling); polling = null; }
    }
    async function send(text) {
      if (!convo) await start();
      bubble(box, "shopper", text);
      const reply = bubble(box, "assistant", "");
      reply.classList.add("typing");
      const res = await fetch(`/api/v1/chat/conversations/${encodeURIComponent(convo.id)}/messages`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Chat-Token": convo.token, Accept: "text/event-stream" },
        body: JSON.stringify({ text }),
      });
      if (!res.ok) {
        const data = await res.json().catch(() => ({}));
        reply.remove();
        throw new Error(res.status === 429 ? (w.slow_down || data.detail) : (data.detail || res.statusText));
      }
      await readEvents(res, (name, data) => {
        if (name === "token") { reply.textContent += data; box.scrollTop = box.scrollHeight; }
        else if (name === "turn") {
          reply.textContent = data.text;
          reply.classList.remove("typing");
          reply.dataset.intent = data.intent;
          lastTurn = Math.max(lastTurn, data.turn || 0);
          if (data.handoff) {
            status.textContent = w.waiting;
            if (!polling) polling = setInterval(poll, 3000);
          }
        }
      });
    }
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      const button = $("button", form);
      button.disabled = true;
      try { await send(text); status.classList.remove("bad"); }
      catch (err) { status.textContent = err.message || w.error; status.classList.add("bad"); }
      finally { button.disabled = false; input.focus(); }
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    if (convo) poll().catch(() => {});
  }

  /* -- the console: a conversation's new messages appear by themselves ----------------- */
  function consoleConversation(root) {
    const box = $(".chat", root), id = root.dataset.conversation;
    let last = Number(root.dataset.lastTurn || 0);
    setInterval(async () => {
      try {
        const data = await window.shopkeeper.api("GET", `/api/v1/service/conversations/${encodeURIComponent(id)}?after=${last}`);
        data.messages.forEach((m) => {
          if (m.turn <= last) return;
          last = m.turn;
          bubble(box, m.role === "customer" ? "shopper" : m.role, m.text);
        });
      } catch (e) { /* the next tick tries again */ }
    }, 4000);
  }

  /* -- the shopping guide ------------------------------------------------------------- */
  function guideChat(root) {
    const w = words("#guide-words");
    const box = $(".chat", root), form = $("form.guide-ask", root), input = $("input[name=text]", form);
    const startForm = $("form.guide-start", root);
    let guideId = null;
    async function start() {
      const customer = startForm ? startForm.elements.customer_id.value.trim() : "";
      const data = await window.shopkeeper.api("POST", "/api/v1/customers/guide", { customer_id: customer || null });
      guideId = data.guide_id;
      box.innerHTML = "";
      const note = $(".guide-note", root);
      if (note) note.textContent = data.recommender ? `${w.personalised} ${data.recommender}` : (customer ? w.not_personalised : "");
    }
    if (startForm) startForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await start(); input.focus(); } catch (err) { window.shopkeeper.toast(err.message, true); }
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      try {
        if (!guideId) await start();
        bubble(box, "shopper", text);
        const data = await window.shopkeeper.api("POST", `/api/v1/customers/guide/${encodeURIComponent(guideId)}/messages`, { text });
        const el = bubble(box, "assistant", data.picks.length ? "" : data.text);
        if (data.picks.length) {
          const intro = document.createElement("div");
          intro.textContent = data.text.split("\n")[0];
          el.appendChild(intro);
          const list = document.createElement("ul");
          list.className = "picks";
          data.picks.forEach((p) => {
            const li = document.createElement("li");
            const title = document.createElement("strong");
            title.textContent = `${p.title} · ${p.price.toFixed(2)}${p.currency ? " " + p.currency : ""}`;
            const why = document.createElement("div");
            why.className = "small";
            why.textContent = p.reasons.join(" · ");
            li.append(title, why);
            list.appendChild(li);
          });
          el.appendChild(list);
        }
      } catch (err) { window.shopkeeper.toast(err.message, true); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-shopper-chat]").forEach(shopperChat);
    document.querySelectorAll("[data-console-conversation]").forEach(consoleConversation);
    document.querySelectorAll("[data-guide-chat]").forEach(guideChat);
  });
})();
