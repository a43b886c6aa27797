/* The Settings page: show a new token's secret once, and the model test's answer. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const token = document.getElementById("new-token");
    if (token) token.addEventListener("api:result", (e) => {
      token.textContent = "";
      const code = document.createElement("code"); code.textContent = e.detail.secret;
      const note = document.createElement("p"); note.textContent = token.dataset.note || "";
      token.append(code, note);
    });
    const llm = document.getElementById("llm-result");
    if (llm) llm.addEventListener("api:result", (e) => {
      const r = e.detail;
      llm.className = "alert " + (r.ok ? "good" : "bad");
      llm.textContent = r.ok ? `${r.provider}${r.model ? " · " + r.model : ""}: ${r.answer || ""}${r.latency_s != null ? " (" + r.latency_s + " s)" : ""}` : `${r.provider}: ${r.error}`;
    });
  });
})();
