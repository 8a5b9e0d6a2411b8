// negsim explore: send each control's change to the server, show the results it draws.
// At most one request is in flight; changes made meanwhile are held and sent together, so intermediate slider
// positions are never scored. The results are updated in place (same nodes), so each role="status" element stays
// one live region and screen readers announce the numbers that changed.
// "What would it take" runs beside the changes, not in front of them: a slider moved during a search is sent at once
// (the server calls the search off); each search has a sequence number, so a stale answer never overwrites a newer.
"use strict";
const negsim = (() => {
  const pending = new Map();
  let inflight = false, seq = 0, waiters = [], searching = 0, searchSeq = 0;
  const $ = (s) => document.querySelector(s);

  function message(text) { $("#message").textContent = text || ""; }

  function settled() {
    if (!inflight && !searching && pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => waiters.push(resolve));
  }
  function wake() {
    if (inflight || searching || pending.size) return;
    document.body.classList.remove("busy");
    const ws = waiters; waiters = []; ws.forEach((w) => w());
  }

  function morph(a, b) {
    if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) { a.replaceWith(b.cloneNode(true)); return; }
    if (a.nodeType === Node.TEXT_NODE) { if (a.nodeValue !== b.nodeValue) a.nodeValue = b.nodeValue; return; }
    if (a.nodeType !== Node.ELEMENT_NODE) return;
    for (const { name } of [...a.attributes]) if (name !== "open" && !b.hasAttribute(name)) a.removeAttribute(name);
    for (const { name, value } of [...b.attributes]) if (a.getAttribute(name) !== value) a.setAttribute(name, value);
    const ac = [...a.childNodes], bc = [...b.childNodes];
    bc.forEach((child, i) => (i < ac.length ? morph(ac[i], child) : a.appendChild(child.cloneNode(true))));
    ac.slice(bc.length).forEach((child) => child.remove());
  }

  function showResults(html) {
    const fresh = document.createElement("section");
    fresh.innerHTML = html;
    const results = $("#results");
    const now = [...results.childNodes], next = [...fresh.childNodes];
    next.forEach((child, i) => (i < now.length ? morph(now[i], child) : results.appendChild(child)));
    now.slice(next.length).forEach((child) => child.remove());
  }

  function setControl(name, value) {
    const el = document.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!el) return;
    if (el.type === "checkbox") el.checked = value === "on";
    else el.value = value;
    const typed = document.querySelector(`[data-for="${CSS.escape(name)}"]`);
    if (typed) typed.value = String(Number(value));
  }

  function apply(data) {
    if (data.html !== undefined) showResults(data.html);
    if (data.cpu_ms !== undefined) document.body.dataset.cpuMs = data.cpu_ms;
    for (const [name, value] of Object.entries(data.values || {})) setControl(name, value);
    if (data.message !== undefined) message(data.message);
    if (data.saved !== undefined) $("#save-result").textContent = data.saved;
    if (data.talks !== undefined) $("#talks").innerHTML = data.talks;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    return response.json();
  }

  async function pump() {
    if (inflight || pending.size === 0) return;
    inflight = true;
    document.body.classList.add("busy");
    const changes = [...pending.entries()];
    pending.clear();
    const mine = ++seq;
    try {
      const data = await post("/change", { seq: mine, changes });
      if (!data.stale && pending.size === 0) apply(data);
      else { for (const [n, v] of Object.entries(data.values || {})) setControl(n, v); if (data.message) message(data.message); }
    } catch (error) {
      message(`The server did not answer (${error}). Is negsim explore still running?`);
    } finally {
      inflight = false;
      if (pending.size) pump(); else wake();
    }
  }

  function queue(name, value) { pending.set(name, value); pump(); }

  async function action(path, body) {
    inflight = true;
    document.body.classList.add("busy");
    try { apply(await post(path, body)); }
    catch (error) { message(`The server did not answer (${error}).`); }
    finally { inflight = false; if (pending.size) pump(); else wake(); }
  }

  function searchStatus(text) { $("#whatif-status").textContent = text || ""; }

  async function search() {
    const mine = ++searchSeq, sentAt = seq;
    searching += 1;
    $("#whatif-cancel").disabled = false;
    searchStatus("searching… (Cancel calls it off; so does any change)");
    try {
      const data = await post("/whatif", { target: $("#whatif-target").value, changes: $("#whatif-changes").value });
      if (mine !== searchSeq) return;  // a newer search was asked for: this answer is stale
      if (data.called_off || seq !== sentAt || pending.size) { searchStatus(data.status || "called off"); return; }
      apply(data);
      searchStatus(data.status);
    } catch (error) {
      if (mine === searchSeq) { searchStatus(""); message(`The server did not answer (${error}).`); }
    } finally {
      searching -= 1;
      if (mine === searchSeq) $("#whatif-cancel").disabled = true;
      wake();
    }
  }

  async function cancelSearch() {
    if (!searching) return;
    searchSeq += 1;  // whatever the running search answers now is stale
    $("#whatif-cancel").disabled = true;
    try { searchStatus((await post("/whatif-cancel", {})).status); }
    catch (error) { message(`The server did not answer (${error}).`); }
  }

  function setDraft(fix) {
    document.querySelectorAll('select[name^="draft|"]').forEach((select) => {
      const issue = select.name.slice("draft|".length);
      const value = fix[issue] || "";
      if (select.value !== value) { select.value = value; queue(select.name, value); }
    });
  }

  function init() {
    document.addEventListener("input", (event) => {
      const el = event.target;
      if (el.type === "range" && el.name) {
        const typed = document.querySelector(`[data-for="${CSS.escape(el.name)}"]`);
        if (typed) typed.value = String(Number(el.value));
        queue(el.name, el.value);
      }
    });
    document.addEventListener("change", (event) => {
      const el = event.target;
      if (el.dataset.for) {
        const slider = document.querySelector(`[name="${CSS.escape(el.dataset.for)}"]`);
        if (slider && el.value.trim() !== "" && !Number.isNaN(Number(el.value))) slider.value = el.value;
        queue(el.dataset.for, el.value);
      } else if (el.type === "checkbox" && el.name) queue(el.name, el.checked ? "on" : "off");
      else if (el.tagName === "SELECT" && el.name) queue(el.name, el.value);
      else if (el.id === "load-offer" && el.value) {
        setDraft(JSON.parse(el.selectedOptions[0].dataset.fix));
      }
    });
    $("#clear-draft").addEventListener("click", () => { $("#load-offer").value = ""; setDraft({}); });
    $("#complete-draft").addEventListener("click", () => {
      const table = document.querySelector("table.completion");
      if (table) setDraft(JSON.parse(table.dataset.completion));
      else message("Complete my draft: no feasible completion");
    });
    $("#whatif").addEventListener("click", search);
    $("#whatif-cancel").addEventListener("click", cancelSearch);
    $("#talks-play").addEventListener("click", () =>
      action("/talks", { protocol: $("#talks-protocol").value, seed: $("#talks-seed").value }));
    $("#reset").addEventListener("click", () => action("/reset", {}));
    $("#save-variant").addEventListener("click", () =>
      action("/save", { path: $("#variant-path").value, why: $("#variant-why").value }));
    document.body.dataset.ready = "1";
  }
  document.addEventListener("DOMContentLoaded", init);
  return { settled, queue };
})();
window.negsim = negsim;
