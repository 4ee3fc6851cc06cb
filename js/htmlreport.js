// The HTML report's filters, grouping and pages. The report is complete
// without this script (every finding is in the table, in a scroll box);
// with it the table shows one page, or collapsible groups, of the
// findings that match the filters. The state lives in the URL's fragment
// (#code=shared_pin&group=cos), so the chart bars, which are links, filter
// the table, and a filtered view can be bookmarked.
(function () {
  "use strict";
  var PAGE = 50;
  var KEYS = ["code", "cos", "field"];
  var $ = function (id) { return document.getElementById(id); };
  var table = $("findings");
  if (!table) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var sel = { code: $("f-code"), cos: $("f-cos"), field: $("f-field") };
  var q = $("f-q"), group = $("f-group");
  var page = 0, open = {}, all = {};
  // The count and the page buttons are above the table and below it.
  var each = function (cls, f) { Array.prototype.forEach.call(document.querySelectorAll("." + cls), f); };

  document.documentElement.className += " js";
  $("tools").hidden = false;
  $("tools-bottom").hidden = false;

  // Each filter lists the values present, the most frequent first.
  KEYS.forEach(function (k) {
    var n = Object.create(null); // keyed by the file's text: "__proto__" too
    rows.forEach(function (r) { var v = r.getAttribute("data-" + k); n[v] = (n[v] || 0) + 1; });
    Object.keys(n).sort(function (a, b) { return n[b] - n[a] || (a < b ? -1 : 1); }).forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = label(v) + " (" + n[v] + ")";
      sel[k].appendChild(o);
    });
  });

  function label(v) { return v === "" ? "(none)" : v; }

  function matches(r) {
    for (var i = 0; i < KEYS.length; i++) {
      var s = sel[KEYS[i]];
      if (s.selectedIndex > 0 && r.getAttribute("data-" + KEYS[i]) !== s.value) return false;
    }
    var t = q.value.trim().toLowerCase();
    if (t === "") return true;
    return r.getAttribute("data-line") === t || r.textContent.toLowerCase().indexOf(t) >= 0;
  }

  function cell(tag, cls, text, span) {
    var c = document.createElement(tag);
    if (cls) c.className = cls;
    if (text !== undefined) c.textContent = text;
    if (span) c.colSpan = span;
    return c;
  }

  function users(list) {
    var seen = {}, n = 0;
    list.forEach(function (r) { var l = r.getAttribute("data-line"); if (!seen[l]) { seen[l] = true; n++; } });
    return n;
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function render() {
    var m = rows.filter(matches);
    var out = [];
    var by = group.value;
    var pages = 1;
    if (m.length === 0) {
      var tr = document.createElement("tr");
      tr.appendChild(cell("td", "note", "No finding matches the filters.", 6));
      out.push(tr);
    } else if (by === "") {
      pages = Math.ceil(m.length / PAGE);
      page = Math.max(0, Math.min(page, pages - 1));
      out = m.slice(page * PAGE, (page + 1) * PAGE);
    } else {
      var groups = Object.create(null), order = [];
      m.forEach(function (r) {
        var v = r.getAttribute("data-" + by);
        if (!groups[v]) { groups[v] = []; order.push(v); }
        groups[v].push(r);
      });
      order.sort(function (a, b) { return groups[b].length - groups[a].length || (a < b ? -1 : 1); });
      order.forEach(function (v) {
        var g = groups[v], id = by + "=" + v;
        var head = document.createElement("tr");
        head.className = "group";
        var th = cell("th", "", undefined, 6);
        var b = cell("button", "toggle", (open[id] ? "\u25BE " : "\u25B8 ") + label(v));
        b.type = "button";
        b.setAttribute("aria-expanded", open[id] ? "true" : "false");
        b.onclick = function () { open[id] = !open[id]; render(); };
        th.appendChild(b);
        th.appendChild(cell("span", "count", plural(g.length, "finding", "findings") + " \u00B7 " + plural(users(g), "user", "users")));
        head.appendChild(th);
        out.push(head);
        if (!open[id]) return;
        var shown = all[id] ? g : g.slice(0, PAGE);
        out = out.concat(shown);
        if (shown.length < g.length) {
          var more = document.createElement("tr");
          var td = cell("td", "more", undefined, 6);
          var mb = cell("button", "", "show the other " + (g.length - shown.length));
          mb.type = "button";
          mb.onclick = function () { all[id] = true; render(); };
          td.appendChild(mb);
          more.appendChild(td);
          out.push(more);
        }
      });
    }
    body.textContent = "";
    out.forEach(function (r) { body.appendChild(r); });
    var text = plural(m.length, "finding", "findings") + " in " + plural(users(m), "row", "rows") +
      (m.length < rows.length ? " (of " + rows.length + ")" : "");
    each("f-info", function (e) { e.textContent = text; });
    each("f-pager", function (e) { e.hidden = by !== "" || pages < 2; });
    each("f-page", function (e) { e.textContent = "page " + (page + 1) + " of " + pages; });
    each("f-prev", function (e) { e.disabled = page === 0; });
    each("f-next", function (e) { e.disabled = page >= pages - 1; });
    // The bottom bar repeats the top one only when the table is long.
    $("tools-bottom").hidden = out.length < 20;
  }

  // The fragment holds the filters, the grouping and the page.
  function save() {
    var p = [];
    KEYS.forEach(function (k) { if (sel[k].selectedIndex > 0) p.push(k + "=" + encodeURIComponent(sel[k].value)); });
    if (q.value.trim() !== "") p.push("q=" + encodeURIComponent(q.value.trim()));
    if (group.value !== "") p.push("group=" + group.value);
    if (page > 0) p.push("page=" + (page + 1));
    try { history.replaceState(null, "", "#" + p.join("&")); } catch (e) { /* a file: URL may refuse */ }
  }

  function load() {
    var p = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) {
        try { p[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* not ours */ }
      }
    });
    KEYS.forEach(function (k) {
      sel[k].selectedIndex = 0;
      for (var i = 1; i < sel[k].options.length; i++) {
        if (sel[k].options[i].value === p[k]) sel[k].selectedIndex = i;
      }
    });
    q.value = p.q || "";
    group.value = ["code", "cos", "field"].indexOf(p.group) >= 0 ? p.group : "";
    page = Math.max(0, (parseInt(p.page, 10) || 1) - 1);
  }

  function changed() { page = 0; save(); render(); }
  KEYS.forEach(function (k) { sel[k].onchange = changed; });
  group.onchange = changed;
  q.oninput = changed;
  $("f-clear").onclick = function () {
    KEYS.forEach(function (k) { sel[k].selectedIndex = 0; });
    q.value = "";
    group.value = "";
    changed();
  };
  each("f-prev", function (e) { e.onclick = function () { page--; save(); render(); $("rows").scrollIntoView(); }; });
  each("f-next", function (e) { e.onclick = function () { page++; save(); render(); $("rows").scrollIntoView(); }; });
  window.addEventListener("hashchange", function () {
    load();
    render();
    $("rows").scrollIntoView();
  });
  load();
  render();
})();
