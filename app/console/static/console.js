/* The console's own script (no inline scripts: the CSP allows only files from /console/static).
 *
 * - CSRF: every state-changing fetch() and htmx request carries X-CSRFToken from
 *   <meta name="csrf-token">, and says it is script (X-Requested-With) so errors come back as JSON.
 * - A 401 from a script request (the session ended) takes the browser to the sign-in page.
 * - Charts: every element [data-chart] is drawn with ECharts from the JSON in the
 *   <script type="application/json"> it names (or the one right after it); each chart is kept in
 *   window.consoleCharts[id], so tests read window.consoleCharts[id].getOption().
 * - Forms with data-confirm ask before they submit.
 */
(function () {
  "use strict";

  var SAFE = { GET: true, HEAD: true, OPTIONS: true, TRACE: true };

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : null;
  }

  function csrfToken() {
    return meta("csrf-token");
  }

  function signInUrl() {
    var base = meta("console-sign-in") || "/console/login";
    var next = window.location.pathname + window.location.search;
    return base + "?reason=idle&next=" + encodeURIComponent(next);
  }

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  // ---- fetch: CSRF header and "I am script" on our own requests --------------------------------
  if (window.fetch) {
    var originalFetch = window.fetch.bind(window);
    window.fetch = function (input, init) {
      init = init || {};
      var url = typeof input === "string" ? input : input && input.url;
      var method = (init.method || (input && input.method) || "GET").toUpperCase();
      if (sameOrigin(url)) {
        var headers = new Headers(init.headers || (typeof input !== "string" && input.headers) || {});
        if (!headers.has("X-Requested-With")) headers.set("X-Requested-With", "fetch");
        if (!SAFE[method] && !headers.has("X-CSRFToken") && csrfToken()) headers.set("X-CSRFToken", csrfToken());
        init.headers = headers;
        init.credentials = init.credentials || "same-origin";
      }
      return originalFetch(input, init).then(function (response) {
        if (response.status === 401 && sameOrigin(url)) window.location.assign(signInUrl());
        return response;
      });
    };
  }

  // ---- htmx: the same header, and the sign-in page on 401 --------------------------------------
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) event.detail.headers["X-CSRFToken"] = token;
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail && event.detail.xhr && event.detail.xhr.status === 401) window.location.assign(signInUrl());
  });

  // ---- charts ----------------------------------------------------------------------------------
  window.consoleCharts = window.consoleCharts || {};

  function optionsFor(el) {
    var ref = el.getAttribute("data-chart");
    var source = ref ? document.getElementById(ref) : null;
    if (!source) {
      source = el.nextElementSibling;
      while (source && !(source.tagName === "SCRIPT" && source.type === "application/json")) {
        source = source.nextElementSibling;
      }
    }
    if (!source) throw new Error("chart " + el.id + ": no JSON options next to it");
    return JSON.parse(source.textContent);
  }

  function drawChart(el) {
    if (el.getAttribute("data-chart-ready")) return;
    if (!window.echarts) {
      el.classList.add("chart-unavailable");
      el.textContent = "图表组件未加载（见下方数据表）。";
      return;
    }
    var height = el.getAttribute("data-height");
    if (height && !el.style.height) el.style.height = /^\d+$/.test(height) ? height + "px" : height;
    try {
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(optionsFor(el));
      window.consoleCharts[el.id] = chart;
      el.setAttribute("data-chart-ready", "1");
    } catch (error) {
      el.classList.add("chart-unavailable");
      el.textContent = "图表无法显示（见下方数据表）。";
      el.setAttribute("data-chart-error", String(error && error.message ? error.message : error));
    }
  }

  function drawCharts(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var list = scope.querySelectorAll("[data-chart]");
    for (var i = 0; i < list.length; i++) drawChart(list[i]);
  }

  window.consoleDrawCharts = drawCharts;

  window.addEventListener("resize", function () {
    Object.keys(window.consoleCharts).forEach(function (id) {
      var chart = window.consoleCharts[id];
      if (chart && !chart.isDisposed()) chart.resize();
    });
  });
  document.addEventListener("htmx:load", function (event) {
    drawCharts(event.target);
  });

  // ---- forms that ask first --------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  function ready() {
    drawCharts(document);
    document.documentElement.setAttribute("data-console-ready", "1");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
