"""The verification web page (GET /verify): upload a bundle, read the step-by-step report.

A convenience for people without the CLI. It posts the file to this node's `/v1/verify`,
so it is exactly as trustworthy as the node's operator; the page says so and points to
`evanchor verify`, which a court runs on its own machine against a chain it trusts. The
node checks offline (it asks no chain for this), so the page shows the report's outcome
(VERIFIED, NOT VERIFIED, CANNOT VERIFY) and its assurance level as the report states
them, and the report's own statement: never more than the level proves.
"""

from __future__ import annotations

VERIFY_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>evanchor: verify a proof bundle</title>
<style>
 body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; }
 .ok { color: #05662b; } .failed { color: #a40e26; font-weight: bold; } .skipped { color: #666; }
 li { margin: .3rem 0; } code { font-size: 13px; word-break: break-all; }
 #summary { padding: .8rem; border: 1px solid #ccc; border-radius: 4px; }
 .cannot { color: #8a5a00; font-weight: bold; }
 .note { color: #555; font-size: 13px; }
</style>
</head>
<body>
<h1>Verify a proof bundle</h1>
<p>Choose a proof bundle or case bundle (<code>.json</code>) written by
<code>evanchor prove</code> or <code>evanchor case prove</code>. Every hash is recomputed
from the bundle's own bytes and the result is shown step by step.</p>
<p class="note">This page asks the node that serves it. To verify without trusting this node,
run <code>evanchor verify bundle.json --rpc URL</code> (or <code>--chain-export</code>) on
your own machine, against a chain you trust.</p>
<input type="file" id="bundle" accept=".json,application/json">
<h2 id="verdict"></h2>
<p id="assurance" hidden></p>
<ol id="steps"></ol>
<p id="summary" hidden></p>
<script>
document.getElementById("bundle").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const verdict = document.getElementById("verdict");
  const steps = document.getElementById("steps");
  const summary = document.getElementById("summary");
  document.getElementById("assurance").hidden = true;
  steps.replaceChildren();
  verdict.textContent = "checking " + file.name + " ...";
  const response = await fetch("/v1/verify", {
    method: "POST", headers: {"Content-Type": "application/json"}, body: await file.text()
  });
  const report = await response.json();
  if (!response.ok) {
    verdict.textContent = "not a readable bundle: " + report.error.message;
    verdict.className = "failed";
    summary.hidden = true;
    return;
  }
  verdict.textContent = report.outcome;
  verdict.className = {"VERIFIED": "ok", "NOT VERIFIED": "failed"}[report.outcome] || "cannot";
  const assurance = document.getElementById("assurance");
  assurance.textContent = "Assurance level: " + report.assurance +
    " (log-only < anchored < anchored+signed < anchored+signed+registered;" +
    " this page checks offline, so it never reaches more than the bundle shows by itself)";
  assurance.hidden = false;
  for (const step of report.steps) {
    const item = document.createElement("li");
    item.className = step.status;
    const name = document.createElement("strong");
    name.textContent = step.step + " (" + step.status + "): ";
    const detail = document.createElement("code");
    detail.textContent = step.detail;
    item.append(name, detail);
    steps.append(item);
  }
  summary.textContent = report.summary;
  summary.hidden = false;
});
</script>
</body>
</html>
"""
