/* Content studio: show the drafts a generation wrote (or follow its job). Text is set with
   textContent only: generated copy may contain anything a product title contains. */
(function () {
  "use strict";
  const box = document.getElementById("generated");
  if (!box) return;
  const words = (window.shopkeeper && window.shopkeeper.words) || {};
  const say = JSON.parse((document.getElementById("content-words") || { textContent: "{}" }).textContent || "{}");
  box.addEventListener("api:result", (event) => {
    const data = event.detail || {};
    box.replaceChildren();
    if (data.job && data.job.job_id) {
      window.shopkeeper.watchJob(data.job.job_id, "reload");
      return;
    }
    const list = document.createElement("div");
    list.className = "stack";
    (data.drafts || []).forEach((d) => {
      const card = document.createElement("div");
      card.className = "card";
      card.dataset.testid = "generated-draft";
      const head = document.createElement("div");
      head.className = "row";
      const link = document.createElement("a");
      link.href = "/content/drafts/" + encodeURIComponent(d.draft_id);
      link.textContent = (say["kind." + d.kind] || d.kind) + " · " + d.draft_id;
      const badge = document.createElement("span");
      badge.className = "badge " + (d.grounded ? "good" : "bad");
      badge.textContent = d.grounded ? (say.grounded || "grounded") : (say.unsupported || "unsupported");
      head.append(link, badge);
      if (d.flags && d.flags.length) {
        const n = document.createElement("span");
        n.className = "badge warn";
        n.textContent = String(d.flags.length) + " " + (say.flags || "flags");
        head.append(n);
      }
      const text = document.createElement("p");
      text.style.whiteSpace = "pre-wrap";
      text.textContent = d.text;
      card.append(head, text);
      list.append(card);
    });
    const again = document.createElement("a");
    again.className = "button";
    again.href = window.location.pathname + "#drafts";
    again.textContent = say.refresh || words.done || "OK";
    again.addEventListener("click", () => window.location.reload());
    box.append(list, again);
  });
})();
