/* A large export's progress page (console/export_job.html): ask how far it got every few seconds,
 * fill in the status, the progress bar and, once done, the download link and its expiry.
 * No inline script (the console's CSP): the page names the status URL and the interval in
 * data-status-url and data-poll-ms. console.js adds the script headers to fetch().
 */
(function () {
  "use strict";

  var FINISHED = { done: true, failed: true, expired: true };

  function field(root, name) {
    return root.querySelector('[data-field="' + name + '"]');
  }

  function setText(root, name, value) {
    var el = field(root, name);
    if (el) el.textContent = value === null || value === undefined ? "—" : String(value);
  }

  function show(root, name, visible) {
    var el = field(root, name);
    if (el) el.hidden = !visible;
  }

  function render(root, state) {
    root.setAttribute("data-status", state.status);
    setText(root, "status_label", state.status_label);
    var bar = field(root, "percent");
    if (bar) bar.value = state.percent;
    setText(root, "percent_text", state.percent + "%");
    setText(root, "rows_written", state.rows_written);
    setText(root, "total", state.total);
    if (state.ready && state.download_url) {
      var link = field(root, "download").querySelector("a");
      link.href = state.download_url;
      setText(root, "expires_at", state.expires_at);
    }
    show(root, "download", Boolean(state.ready));
    show(root, "error", Boolean(state.error));
    if (state.error) setText(root, "error", state.error);
    show(root, "expired", state.status === "expired");
    show(root, "waiting", !FINISHED[state.status]);
  }

  function start(root) {
    var url = root.getAttribute("data-status-url");
    var every = parseInt(root.getAttribute("data-poll-ms"), 10) || 2000;
    if (FINISHED[root.getAttribute("data-status")]) return;

    function poll() {
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (state) {
          render(root, state);
          if (!FINISHED[state.status]) window.setTimeout(poll, every);
        })
        .catch(function () {
          // A hiccup (a restart, the network): try again a little later.
          window.setTimeout(poll, every * 2);
        });
    }

    window.setTimeout(poll, every);
  }

  function ready() {
    var root = document.getElementById("export-job");
    if (root) start(root);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
