/* Shopkeeper workspace behaviour: sortable/filterable/paged tables, forms that call the API
   with the CSRF token, live job progress, Plotly charts, uploads. No framework, no CDN. */
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const words = JSON.parse(($("#i18n") || { textContent: "{}" }).textContent || "{}");
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function toast(text, bad) {
    const el = $("#toast");
    if (!el) return;
    el.textContent = text;
    el.style.background = bad ? "#b42318" : "";
    el.classList.add("show");
    clearTimeout(el._t);
    el._t = setTimeout(() => el.classList.remove("show"), bad ? 6000 : 2500);
  }

  async function api(method, url, body, extraHeaders) {
    const headers = Object.assign({ "X-CSRF-Token": csrf(), Accept: "application/json" }, extraHeaders || {});
    const init = { method, headers, credentials: "same-origin" };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const res = await fetch(url, init);
    const type = res.headers.get("content-type") || "";
    const data = type.includes("json") ? await res.json() : await res.text();
    if (!res.ok) {
      const msg = (data && data.detail) || (data && data.title) || res.statusText;
      const err = new Error(msg); err.status = res.status; err.data = data; throw err;
    }
    return data;
  }
  window.shopkeeper = { api, toast, words, renderCharts: () => $$("[data-chart]").forEach(drawChart), watchJob };

  /* -- tables: sort on header click, filter, page --------------------------------------- */
  function cellValue(td) {
    const raw = td.dataset.sort !== undefined ? td.dataset.sort : td.textContent.trim();
    const n = Number(raw.replace(/[,%\s]|[A-Z]{3}$/g, ""));
    return raw !== "" && !isNaN(n) ? n : raw.toLowerCase();
  }
  function setupTable(table) {
    const body = table.tBodies[0];
    if (!body) return;
    const size = Number(table.dataset.pageSize || 0);
    let page = 0, filter = "";
    const rows = () => Array.from(body.rows).filter((r) => !r.classList.contains("empty-row"));
    let pager = null;
    if (size) {
      pager = document.createElement("div");
      pager.className = "pager";
      (table.closest(".table-wrap") || table).after(pager);
    }
    function draw() {
      const visible = rows().filter((r) => !filter || r.textContent.toLowerCase().includes(filter));
      rows().forEach((r) => (r.hidden = true));
      const pages = size ? Math.max(1, Math.ceil(visible.length / size)) : 1;
      page = Math.min(page, pages - 1);
      visible.forEach((r, i) => (r.hidden = size ? i < page * size || i >= (page + 1) * size : false));
      if (pager) {
        pager.innerHTML = "";
        const info = document.createElement("span");
        info.textContent = visible.length ? `${page * size + 1}–${Math.min(visible.length, (page + 1) * size)} ${words.of || "/"} ${visible.length}` : (words.empty || "");
        const prev = document.createElement("button"); prev.type = "button"; prev.textContent = words.prev || "‹";
        const next = document.createElement("button"); next.type = "button"; next.textContent = words.next || "›";
        prev.disabled = page === 0; next.disabled = page >= pages - 1;
        prev.onclick = () => { page--; draw(); }; next.onclick = () => { page++; draw(); };
        pager.append(info, prev, next);
      }
    }
    $$("thead th", table).forEach((th, col) => {
      if (th.dataset.nosort !== undefined) return;
      th.tabIndex = 0;
      const sort = () => {
        const asc = th.getAttribute("aria-sort") !== "ascending";
        $$("thead th", table).forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        const sorted = rows().sort((a, b) => {
          const x = cellValue(a.cells[col] || a), y = cellValue(b.cells[col] || b);
          return (x > y ? 1 : x < y ? -1 : 0) * (asc ? 1 : -1);
        });
        sorted.forEach((r) => body.appendChild(r));
        draw();
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
    });
    if (table.id) {
      $$(`[data-filter-for="${table.id}"]`).forEach((input) =>
        input.addEventListener("input", () => { filter = input.value.trim().toLowerCase(); page = 0; draw(); }));
    }
    draw();
  }

  /* -- forms that call the API -------------------------------------------------------- */
  function formBody(form) {
    const out = {};
    new FormData(form).forEach((value, key) => {
      if (key === "csrf_token") return;
      const input = form.elements[key];
      const kind = input && input.dataset ? input.dataset.type : undefined;
      let v = value;
      if (kind === "number") v = value === "" ? null : Number(value);
      else if (kind === "bool") v = value === "true" || value === "on";
      else if (kind === "list") v = value.split(",").map((s) => s.trim()).filter(Boolean);
      if (key.endsWith("[]")) { const k = key.slice(0, -2); (out[k] = out[k] || []).push(v); }
      else out[key] = v;
    });
    $$("input[type=checkbox][data-type=bool]", form).forEach((c) => { if (!c.checked) out[c.name] = false; });
    return out;
  }
  function setupForm(form) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const submitter = e.submitter;
      const url = (submitter && submitter.dataset.api) || form.dataset.api;
      const method = ((submitter && submitter.dataset.method) || form.dataset.method || "POST").toUpperCase();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      const buttons = $$("button", form); buttons.forEach((b) => (b.disabled = true));
      try {
        const body = method === "GET" || method === "DELETE" ? undefined : formBody(form);
        const headers = form.dataset.idempotent !== undefined ? { "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random() } : {};
        const data = await api(method, url, body, headers);
        const then = form.dataset.then || "reload";
        if (data && data.job_id && data.status) { watchJob(data.job_id, then); return; }
        toast(words.saved || "Saved");
        if (then === "reload") window.location.reload();
        else if (then.startsWith("#")) {
          const target = $(then);
          if (target) { target.hidden = false; target.dispatchEvent(new CustomEvent("api:result", { detail: data })); }
        } else if (then.startsWith("/")) window.location.href = then;
      } catch (err) {
        toast(err.message || words.error || "Error", true);
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    });
  }

  /* -- jobs: live progress, reload when done ------------------------------------------ */
  function watchJob(jobId, then) {
    let box = $(`[data-job="${jobId}"]`);
    if (!box) {
      box = document.createElement("div");
      box.className = "card"; box.dataset.job = jobId;
      const main = $("main.content") || document.body;
      main.insertBefore(box, main.children[1] || null);
    }
    box.innerHTML = '<div class="job-phase"></div><div class="progress"><span></span></div>';
    const phase = $(".job-phase", box), bar = $(".progress > span", box);
    box.dataset.jobState = "running";
    const tick = async () => {
      let job;
      try { job = await api("GET", `/api/v1/jobs/${jobId}`); }
      catch (err) { phase.textContent = err.message; return; }
      phase.textContent = `${job.kind}: ${job.phase || job.status}`;
      bar.style.width = job.progress != null ? `${Math.round(job.progress * 100)}%` : "15%";
      if (job.status === "done") {
        box.dataset.jobState = "done";
        toast(words.done || "Done");
        if ((then || box.dataset.then || "reload") === "reload") setTimeout(() => window.location.reload(), 400);
        else box.dispatchEvent(new CustomEvent("job:done", { detail: job, bubbles: true }));
      } else if (job.status === "failed") {
        box.dataset.jobState = "failed";
        box.classList.add("alert", "bad");
        phase.textContent = `${words.failed || "Failed"}: ${job.error || ""}`;
      } else setTimeout(tick, 700);
    };
    tick();
  }

  /* -- charts ------------------------------------------------------------------------- */
  function drawChart(el) {
    const spec = $("script[type='application/json']", el);
    if (!spec || !window.Plotly) return;
    const fig = JSON.parse(spec.textContent);
    const target = $(".plot", el) || el.appendChild(Object.assign(document.createElement("div"), { className: "plot" }));
    const layout = Object.assign({ margin: { l: 48, r: 12, t: 28, b: 40 }, autosize: true,
      font: { family: getComputedStyle(document.body).fontFamily, size: 12 },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" }, fig.layout || {});
    delete layout.template; delete layout.width;
    window.Plotly.newPlot(target, fig.data || [], layout, { displayModeBar: false, responsive: true });
    el.dataset.drawn = "true";
  }

  /* -- uploads ------------------------------------------------------------------------ */
  function setupDropzone(zone) {
    const input = $("input[type=file]", zone);
    const form = zone.closest("form");
    const pick = () => input.click();
    zone.addEventListener("click", (e) => { if (e.target !== input) pick(); });
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault(); zone.classList.remove("over");
      if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]);
    });
    input.addEventListener("change", () => { if (input.files.length) send(input.files[0]); });
    function send(file) {
      const data = new FormData(); data.append("file", file);
      const preset = form && form.elements.preset ? form.elements.preset.value : "";
      const xhr = new XMLHttpRequest();
      xhr.open("POST", zone.dataset.upload + (preset ? `?preset=${encodeURIComponent(preset)}` : ""));
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      const bar = $(".progress > span", zone.parentElement), status = $(".upload-status", zone.parentElement);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable && bar) bar.style.width = `${Math.round((e.loaded / e.total) * 100)}%`; };
      if (status) status.textContent = `${words.uploading || "Uploading"} ${file.name}…`;
      xhr.onload = () => {
        let data = {}; try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
        if (xhr.status >= 400) { if (status) status.textContent = data.detail || xhr.statusText; toast(data.detail || xhr.statusText, true); return; }
        zone.dispatchEvent(new CustomEvent("upload:done", { detail: data, bubbles: true }));
      };
      xhr.onerror = () => toast(words.error || "Error", true);
      xhr.send(data);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $$("table[data-table]").forEach(setupTable);
    $$("form[data-api]").forEach(setupForm);
    $$("[data-job]").forEach((el) => { if (el.dataset.job) watchJob(el.dataset.job, el.dataset.then); });
    $$("[data-upload]").forEach(setupDropzone);
    const toggle = $("[data-nav-toggle]"), nav = $("[data-nav]");
    if (toggle && nav) toggle.addEventListener("click", () => nav.classList.toggle("open"));
    const draw = () => $$("[data-chart]").forEach(drawChart);
    if (window.Plotly) draw(); else window.addEventListener("load", draw);
  });
})();
