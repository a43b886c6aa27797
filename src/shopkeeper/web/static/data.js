/* The Data page: show an upload's recognised mapping, then load it as a job. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("upload");
    if (!section) return;
    const sk = window.shopkeeper, w = sk.words;
    const preview = document.getElementById("preview");
    const result = document.getElementById("load-result");
    let upload = null;
    const cell = (tag, text) => { const el = document.createElement(tag); el.textContent = text == null ? "" : String(text); return el; };
    section.addEventListener("upload:done", (e) => {
      upload = e.detail;
      preview.hidden = false; result.hidden = true;
      const p = upload.preview;
      const problem = preview.querySelector(".preview-problem");
      const mapBody = preview.querySelector(".preview-map tbody");
      const head = preview.querySelector(".preview-sample thead"), body = preview.querySelector(".preview-sample tbody");
      mapBody.innerHTML = ""; head.innerHTML = ""; body.innerHTML = "";
      problem.hidden = !upload.problem; problem.textContent = upload.problem || "";
      section.querySelector(".upload-status").textContent = `${upload.name} · ${upload.size.toLocaleString()} B`;
      if (!p) return;
      preview.querySelector(".preview-summary").textContent = `${p.mapping} → ${p.tables.join(", ")}${p.encoding ? " · " + p.encoding : ""}`;
      Object.entries(p.columns).forEach(([field, column]) => {
        const tr = document.createElement("tr"); tr.append(cell("td", field), cell("td", column)); mapBody.append(tr);
      });
      preview.querySelector(".preview-unused").textContent = p.unused.length ? `– ${p.unused.join(", ")}` : "";
      const hr = document.createElement("tr"); p.header.forEach((h) => hr.append(cell("th", h))); head.append(hr);
      p.sample.forEach((row) => { const tr = document.createElement("tr"); row.forEach((v) => tr.append(cell("td", v))); body.append(tr); });
    });
    section.querySelector("[data-load-upload]").addEventListener("click", async () => {
      if (!upload) return;
      const preset = section.querySelector("select[name=preset]").value || null;
      const force = section.querySelector("input[name=force]").checked;
      try {
        const job = await sk.api("POST", `/api/v1/uploads/${upload.upload_id}/load`, { preset, force });
        result.hidden = false; result.dataset.job = job.job_id; result.dataset.then = "event";
        sk.watchJob(job.job_id, "event");
      } catch (err) { sk.toast(err.message, true); }
    });
    result.addEventListener("job:done", (e) => {
      const r = e.detail.result || {};
      result.classList.add("alert", "good");
      result.textContent = "";
      const dw = JSON.parse(document.getElementById("data-words").textContent);
      const n = (v) => (v || 0).toLocaleString();
      const line = cell("p", `${r.load_id || "–"}: ${dw.read} ${n(r.rows_read)} = ${dw.loaded} ${n(r.rows_loaded)} + ${dw.quarantined} ${n(r.rows_quarantined)}`);
      line.dataset.testid = "load-counts";
      result.append(line);
      (r.notes || []).forEach((n) => result.append(cell("p", n)));
      const again = document.createElement("a"); again.href = "/data"; again.textContent = dw.again; result.append(again);
    });
  });
})();
