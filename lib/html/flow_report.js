// flow_report.js - the interactive flow-analyzer report.  Reads the JSON
// report (flow-analyzer-json(5)) from <script id="report-data">, draws
// the service map (SVG, pan/zoom, click for details, namespace and
// verdict filters), charts and sortable tables.  Every string from the
// report goes into the page through textContent or setAttribute, never
// through innerHTML, so names with markup render as text.
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var data = null, pos = {}, view = { x: 0, y: 0, k: 1 };
  var selected = null, sortState = {}, fitPending = true;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function sel(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function fmtNs(ns) {
    if (ns === null || ns === undefined) return '-';
    if (ns < 1e3) return ns + 'ns';
    if (ns < 1e6) return (ns / 1e3).toPrecision(3) + 'us';
    if (ns < 1e9) return (ns / 1e6).toPrecision(3) + 'ms';
    return (ns / 1e9).toPrecision(3) + 's';
  }
  function shortTime(t) {
    return t ? String(t).replace(/(\.\d{3})\d*Z$/, '$1Z') : '-';
  }
  function pct(a, b) { return b ? (100 * a / b).toFixed(1) + '%' : '-'; }
  function edgeKey(e) {
    return e.source + '>' + e.destination + '|' + e.protocol + '|' + e.port;
  }
  function edgeLabel(e) {
    return e.source_name + ' \u2192 ' + e.destination_name + ' ' +
      e.protocol + (e.port ? '/' + e.port : '');
  }

  // ---- summary ----
  function renderSummary() {
    var s = data.summary, box = document.getElementById('summary-kv');
    clear(box);
    function kv(k, v, bad) {
      var d = el('div'); d.appendChild(el('span', null, k));
      d.appendChild(el('b', bad ? { 'class': 'bad' } : null, v));
      box.appendChild(d);
    }
    kv('flows', s.flows);
    kv('nodes', s.nodes);
    kv('edges', s.edges);
    kv('dropped', (s.verdicts.DROPPED || 0), (s.verdicts.DROPPED || 0) > 0);
    kv('HTTP 4xx / 5xx', s.http_4xx + ' / ' + s.http_5xx, s.http_5xx > 0);
    kv('DNS errors', s.dns_errors, s.dns_errors > 0);
    kv('TCP resets', s.tcp_resets, s.tcp_resets > 0);
    kv('first', shortTime(s.first));
    kv('last', shortTime(s.last));
    var v = [];
    for (var k in s.verdicts) v.push(k + ' ' + s.verdicts[k]);
    kv('verdicts', v.join(', ') || '-');
    var p = [];
    for (k in s.protocols) p.push(k + ' ' + s.protocols[k]);
    for (k in s.l7) p.push(k + ' ' + s.l7[k]);
    kv('protocols', p.join(', ') || '-');
    var d = [];
    for (k in s.direction) d.push(k + ' ' + s.direction[k]);
    kv('direction', d.join(', ') || '-');
    if (s.lost_events) kv('lost events', s.lost_events, true);
  }

  // ---- filters ----
  function fillSelect(id, values, label) {
    var s = document.getElementById(id), cur = s.value;
    clear(s);
    s.appendChild(el('option', { value: '' }, label));
    values.forEach(function (v) { s.appendChild(el('option', { value: v }, v)); });
    s.value = values.indexOf(cur) >= 0 ? cur : '';
  }
  function renderFilters() {
    var ns = {}, vs = {};
    data.nodes.forEach(function (n) { if (n.namespace) ns[n.namespace] = 1; });
    data.edges.forEach(function (e) { for (var v in e.verdicts) vs[v] = 1; });
    fillSelect('f-ns', Object.keys(ns).sort(), 'all namespaces');
    fillSelect('f-verdict', Object.keys(vs).sort(), 'all verdicts');
  }
  function visibleEdges() {
    var ns = document.getElementById('f-ns').value;
    var vd = document.getElementById('f-verdict').value;
    return data.edges.filter(function (e) {
      if (vd && !(e.verdicts[vd] > 0)) return false;
      if (ns) {
        var a = data.nodes[e.source], b = data.nodes[e.destination];
        if (a.namespace !== ns && b.namespace !== ns) return false;
      }
      return true;
    });
  }

  // ---- layout: Fruchterman-Reingold, positions kept across updates ----
  function layout(nodes, edges, W, H) {
    var n = nodes.length, i, j, it;
    if (!n) return;
    var fresh = 0;
    nodes.forEach(function (nd, idx) {
      if (!pos[nd.id]) {
        var a = 2 * Math.PI * idx / n;
        pos[nd.id] = { x: W / 2 + W / 3 * Math.cos(a),
                         y: H / 2 + H / 3 * Math.sin(a) };
        fresh++;
      }
    });
    if (!fresh || n > 400) return;
    var k = Math.sqrt(W * H / n) * 0.8, t = W / 10;
    var P = nodes.map(function (nd) { return pos[nd.id]; });
    var idx = {};
    nodes.forEach(function (nd, i2) { idx[nd.id] = i2; });
    for (it = 0; it < 250; it++) {
      var dx = new Float64Array(n), dy = new Float64Array(n);
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {
        var ddx = P[i].x - P[j].x, ddy = P[i].y - P[j].y;
        var d2 = ddx * ddx + ddy * ddy + 0.01, f = k * k / d2;
        dx[i] += ddx * f; dy[i] += ddy * f; dx[j] -= ddx * f; dy[j] -= ddy * f;
      }
      edges.forEach(function (e) {
        var a = idx[e.source], b = idx[e.destination];
        if (a === undefined || b === undefined || a === b) return;
        var ddx = P[a].x - P[b].x, ddy = P[a].y - P[b].y;
        var d = Math.sqrt(ddx * ddx + ddy * ddy) + 0.01, f = d / k;
        dx[a] -= ddx * f; dy[a] -= ddy * f; dx[b] += ddx * f; dy[b] += ddy * f;
      });
      for (i = 0; i < n; i++) {
        // gravity keeps disconnected parts on screen
        dx[i] += (W / 2 - P[i].x) * 0.05; dy[i] += (H / 2 - P[i].y) * 0.05;
        var len = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]) + 1e-9;
        P[i].x += dx[i] / len * Math.min(len, t);
        P[i].y += dy[i] / len * Math.min(len, t);
      }
      t *= 0.97;
    }
    // stretch the result over the view (labels need room on the right)
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    P.forEach(function (p) {
      x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y);
    });
    P.forEach(function (p) {
      p.x = x1 > x0 ? 40 + (p.x - x0) / (x1 - x0) * (W - 260) : W / 2;
      p.y = y1 > y0 ? 30 + (p.y - y0) / (y1 - y0) * (H - 60) : H / 2;
    });
  }

  // ---- map ----
  function applyView() {
    var g = document.getElementById('viewport');
    if (g) g.setAttribute('transform', 'translate(' + view.x + ',' + view.y +
      ') scale(' + view.k + ')');
  }
  // Scale and centre the drawn nodes in the W x H view.
  function fit(nodes, W, H) {
    if (!nodes.length) return;
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    nodes.forEach(function (n) {
      var p = pos[n.id];
      x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y);
    });
    // room for labels on the right and the node radius around
    var w = x1 - x0 + 220, h = y1 - y0 + 60;
    var k = Math.max(0.1, Math.min(2, W / w, H / h));
    view.k = k;
    view.x = (W - (x1 - x0) * k) / 2 - x0 * k - 80 * k;
    view.y = (H - (y1 - y0) * k) / 2 - y0 * k;
  }
  function renderMap() {
    var svg = document.getElementById('map');
    var W = svg.clientWidth || 900, H = svg.clientHeight || 520;
    clear(svg);
    var defs = sel('defs');
    [['arrow', '#98a2b3'], ['arrow-drop', '#d92d20']].forEach(function (m) {
      var mk = sel('marker', { id: m[0], viewBox: '0 0 10 10', refX: '22',
        refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto' });
      mk.appendChild(sel('path', { d: 'M0,0 L10,5 L0,10 z', fill: m[1] }));
      defs.appendChild(mk);
    });
    svg.appendChild(defs);
    var g = sel('g', { id: 'viewport' });
    svg.appendChild(g);
    var edges = visibleEdges(), seen = {};
    edges.forEach(function (e) { seen[e.source] = 1; seen[e.destination] = 1; });
    var nodes = data.nodes.filter(function (n) { return seen[n.id]; });
    layout(nodes, edges, W, H);
    var ge = sel('g', { 'class': 'edges' }), gn = sel('g', { 'class': 'nodes' });
    g.appendChild(ge); g.appendChild(gn);
    edges.forEach(function (e) {
      var a = pos[e.source], b = pos[e.destination];
      var dropped = (e.verdicts.DROPPED || 0) > 0;
      var grp = sel('g', { 'class': 'edge' + (dropped ? ' dropped' : ''),
        'data-key': edgeKey(e) });
      var x2 = b.x, y2 = b.y;
      if (e.source === e.destination) { x2 = a.x + 30; y2 = a.y - 30; }
      var vis = sel('line', { 'class': 'vis', x1: a.x, y1: a.y, x2: x2, y2: y2,
        'marker-end': dropped ? 'url(#arrow-drop)' : 'url(#arrow)' });
      var hit = sel('line', { 'class': 'hit', x1: a.x, y1: a.y, x2: x2, y2: y2 });
      var title = sel('title');
      title.textContent = edgeLabel(e) + ' (' + e.flows + ' flows)';
      grp.appendChild(vis); grp.appendChild(hit); grp.appendChild(title);
      grp.addEventListener('click', function (ev) {
        ev.stopPropagation(); select({ edge: e });
      });
      ge.appendChild(grp);
    });
    nodes.forEach(function (n) {
      var p = pos[n.id];
      var grp = sel('g', { 'class': 'node k-' + n.kind +
        (n.dropped > 0 ? ' has-drops' : ''), 'data-id': String(n.id),
        transform: 'translate(' + p.x + ',' + p.y + ')' });
      grp.setAttribute('data-name', n.name);
      var r = 7 + Math.min(10, Math.log(1 + n.sent + n.received));
      grp.appendChild(sel('circle', { r: r.toFixed(1) }));
      var t = sel('text', { x: (r + 3).toFixed(1), y: '4' });
      t.textContent = n.name;
      grp.appendChild(t);
      var title = sel('title'); title.textContent = n.name + ' (' + n.kind + ')';
      grp.appendChild(title);
      grp.addEventListener('click', function (ev) {
        ev.stopPropagation(); select({ node: n });
      });
      gn.appendChild(grp);
    });
    if (fitPending) { fit(nodes, W, H); fitPending = false; }
    applyView();
    markSelected();
    document.getElementById('map-count').textContent =
      nodes.length + ' nodes, ' + edges.length + ' edges shown';
  }
  function markSelected() {
    var svg = document.getElementById('map');
    Array.prototype.forEach.call(svg.querySelectorAll('.selected'),
      function (x) { x.classList.remove('selected'); });
    if (!selected) return;
    var q = null;
    if (selected.node) {
      Array.prototype.forEach.call(svg.querySelectorAll('.node'), function (x) {
        if (x.getAttribute('data-id') === String(selected.node.id)) q = x;
      });
    } else if (selected.edge) {
      Array.prototype.forEach.call(svg.querySelectorAll('.edge'), function (x) {
        if (x.getAttribute('data-key') === edgeKey(selected.edge)) q = x;
      });
    }
    if (q) q.classList.add('selected');
  }
  function detailRows(tbl, rows) {
    rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('th', null, r[0]));
      tr.appendChild(el('td', r[2] ? { 'class': 'bad' } : null, r[1]));
      tbl.appendChild(tr);
    });
  }
  function select(s) {
    selected = s;
    var box = document.getElementById('details');
    clear(box);
    markSelected();
    if (!s) { box.appendChild(el('p', { 'class': 'muted' },
      'Click a node or an edge for details.')); return; }
    var tbl = el('table');
    if (s.node) {
      var n = s.node;
      box.appendChild(el('h3', { id: 'details-title' }, n.name));
      detailRows(tbl, [['kind', n.kind], ['namespace', n.namespace || '-'],
        ['identity', n.identity === null ? '-' : n.identity],
        ['flows sent', n.sent], ['flows received', n.received],
        ['dropped', n.dropped, n.dropped > 0]]);
      box.appendChild(tbl);
      box.appendChild(el('h3', null, 'Edges'));
      var ul = el('ul');
      data.edges.forEach(function (e) {
        if (e.source !== n.id && e.destination !== n.id) return;
        var li = el('li', (e.verdicts.DROPPED || 0) > 0 ? { 'class': 'bad' } : null,
          edgeLabel(e) + ': ' + e.flows + ' flows');
        ul.appendChild(li);
      });
      box.appendChild(ul);
    } else {
      var e = s.edge, rows = [['flows', e.flows], ['replies', e.replies]];
      box.appendChild(el('h3', { id: 'details-title' }, edgeLabel(e)));
      for (var v in e.verdicts) rows.push([v, e.verdicts[v], v === 'DROPPED']);
      rows.push(['drop rate', pct(e.dropped, e.flows), e.dropped > 0]);
      e.drop_reasons.forEach(function (r) {
        rows.push(['drop: ' + r.name, r.count, true]);
      });
      if (e.service) rows.push(['service', e.service]);
      rows.push(['first', shortTime(e.first)], ['last', shortTime(e.last)]);
      rows.push(['L7 requests', e.l7_requests], ['L7 responses', e.l7_responses]);
      if (e.http_responses) rows.push(['HTTP 4xx / 5xx', e.http_4xx + ' / ' +
        e.http_5xx, e.http_4xx + e.http_5xx > 0]);
      if (e.dns_responses) rows.push(['DNS errors', e.dns_errors, e.dns_errors > 0]);
      if (e.tcp_resets) rows.push(['TCP resets', e.tcp_resets, true]);
      if (e.latency) rows.push(['latency p50/p90/p99', fmtNs(e.latency.p50_ns) +
        ' / ' + fmtNs(e.latency.p90_ns) + ' / ' + fmtNs(e.latency.p99_ns)],
        ['latency max', fmtNs(e.latency.max_ns)]);
      detailRows(tbl, rows);
      box.appendChild(tbl);
    }
  }
  function setupPanZoom() {
    var svg = document.getElementById('map'), drag = null;
    svg.addEventListener('mousedown', function (ev) {
      drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false };
      svg.classList.add('dragging');
    });
    window.addEventListener('mousemove', function (ev) {
      if (!drag) return;
      view.x = drag.vx + ev.clientX - drag.x; view.y = drag.vy + ev.clientY - drag.y;
      if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3)
        drag.moved = true;
      applyView();
    });
    var dragged = false;
    window.addEventListener('mouseup', function () {
      svg.classList.remove('dragging');
      dragged = drag !== null && drag.moved;
      drag = null;
    });
    // a click on the background clears the selection, unless it ended a drag
    svg.addEventListener('click', function () {
      if (!dragged) select(null);
      dragged = false;
    });
    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var r = svg.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top;
      var f = ev.deltaY < 0 ? 1.15 : 1 / 1.15, k = Math.max(0.1, Math.min(8, view.k * f));
      view.x = mx - (mx - view.x) * k / view.k; view.y = my - (my - view.y) * k / view.k;
      view.k = k; applyView();
    }, { passive: false });
    document.getElementById('reset').addEventListener('click', function () {
      fitPending = true; renderMap();
    });
    ['f-ns', 'f-verdict'].forEach(function (id) {
      document.getElementById(id).addEventListener('change', function () {
        fitPending = true; renderMap();
      });
    });
  }

  // ---- charts ----
  function barChart(svgId, items, opts) {
    var svg = document.getElementById(svgId);
    clear(svg);
    var W = svg.clientWidth || 800, H = svg.clientHeight || 180, pad = 30;
    if (!items.length) {
      var t = sel('text', { x: 10, y: 20 }); t.textContent = 'no data';
      svg.appendChild(t); return;
    }
    var max = 0;
    items.forEach(function (it) { max = Math.max(max, it.v); });
    var bw = (W - pad - 10) / items.length;
    items.forEach(function (it, i) {
      var h = max ? (H - pad - 10) * it.v / max : 0;
      var r = sel('rect', { 'class': 'bar', x: (pad + i * bw).toFixed(1),
        y: (H - pad - h).toFixed(1), width: Math.max(1, bw - 1).toFixed(1),
        height: h.toFixed(1) });
      var title = sel('title'); title.textContent = it.label + ': ' + it.text;
      r.appendChild(title); svg.appendChild(r);
      if (it.v2) {
        var h2 = (H - pad - 10) * it.v2 / max;
        var r2 = sel('rect', { 'class': 'bar drop', x: (pad + i * bw).toFixed(1),
          y: (H - pad - h2).toFixed(1), width: Math.max(1, bw - 1).toFixed(1),
          height: h2.toFixed(1) });
        svg.appendChild(r2);
      }
    });
    var tmax = sel('text', { x: 2, y: 12 }); tmax.textContent = opts.maxText(max);
    svg.appendChild(tmax);
    var t0 = sel('text', { x: pad, y: H - 12 }); t0.textContent = items[0].label;
    svg.appendChild(t0);
    var t1 = sel('text', { x: W - 10, y: H - 12, 'text-anchor': 'end' });
    t1.textContent = items[items.length - 1].label;
    svg.appendChild(t1);
  }
  function renderCharts() {
    var ts = data.time_series, iv = ts.interval_s;
    document.getElementById('ts-title').textContent =
      'Flows per ' + (iv ? iv + ' s' : 'interval') + ' (dropped in red)';
    barChart('ts', ts.buckets.map(function (b) {
      return { label: b.time, v: b.flows, v2: b.dropped,
        text: b.flows + ' flows, ' + b.dropped + ' dropped' };
    }), { maxText: function (m) { return m + ' flows'; } });
    var lat = [];
    data.services.forEach(function (s) {
      if (s.latency) lat.push({ label: s.name, v: s.latency.p99_ns,
        text: 'p50 ' + fmtNs(s.latency.p50_ns) + ', p90 ' + fmtNs(s.latency.p90_ns) +
          ', p99 ' + fmtNs(s.latency.p99_ns) });
    });
    lat.sort(function (a, b) { return b.v - a.v; });
    barChart('lat', lat.slice(0, 40), { maxText: function (m) { return 'p99 ' + fmtNs(m); } });
  }

  // ---- tables ----
  function table(id, cols, rows) {
    var t = document.getElementById(id);
    clear(t);
    var thead = el('thead'), tr = el('tr'), st = sortState[id];
    cols.forEach(function (c, i) {
      var th = el('th', c.num ? { 'class': 'n' } : null, c.name);
      if (st && st.col === i) th.setAttribute('aria-sort', st.asc ? 'ascending' : 'descending');
      th.addEventListener('click', function () {
        var cur = sortState[id];
        sortState[id] = { col: i, asc: cur && cur.col === i ? !cur.asc : !c.num };
        table(id, cols, rows);
      });
      tr.appendChild(th);
    });
    thead.appendChild(tr); t.appendChild(thead);
    var body = el('tbody'), sorted = rows.slice();
    if (st) {
      sorted.sort(function (a, b) {
        var x = a[st.col], y = b[st.col], r;
        if (typeof x === 'number' && typeof y === 'number') r = x - y;
        else r = String(x).localeCompare(String(y));
        return st.asc ? r : -r;
      });
    }
    sorted.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (v, i) {
        var txt = cols[i].fmt ? cols[i].fmt(v) : v;
        var cls = (cols[i].num ? 'n' : '') + (cols[i].bad && cols[i].bad(v, r) ? ' bad' : '');
        row.appendChild(el('td', cls ? { 'class': cls.trim() } : null, txt));
      });
      body.appendChild(row);
    });
    t.appendChild(body);
  }
  function gt0(v) { return v > 0; }
  function renderTables() {
    table('t-edges', [{ name: 'source' }, { name: 'destination' }, { name: 'proto' },
      { name: 'port', num: 1 }, { name: 'flows', num: 1 }, { name: 'dropped', num: 1, bad: gt0 },
      { name: 'L7 req', num: 1 }, { name: 'service' }],
      data.edges.map(function (e) {
        return [e.source_name, e.destination_name, e.protocol, e.port, e.flows,
          e.dropped, e.l7_requests, e.service || ''];
      }));
    table('t-talkers', [{ name: 'source' }, { name: 'flows sent', num: 1 }],
      data.top_talkers.map(function (x) { return [x.name, x.flows]; }));
    table('t-dests', [{ name: 'destination' }, { name: 'flows received', num: 1 }],
      data.top_destinations.map(function (x) { return [x.name, x.flows]; }));
    table('t-ports', [{ name: 'port' }, { name: 'flows', num: 1 }],
      data.top_ports.map(function (x) { return [x.name, x.flows]; }));
    table('t-k8s', [{ name: 'node' }, { name: 'flows', num: 1 }],
      data.k8s_nodes.map(function (x) { return [x.name, x.flows]; }));
    var lat = data.services.filter(function (s) { return s.latency; });
    table('t-latency', [{ name: 'service' }, { name: 'count', num: 1 },
      { name: 'p50', num: 1, fmt: fmtNs }, { name: 'p90', num: 1, fmt: fmtNs },
      { name: 'p99', num: 1, fmt: fmtNs }, { name: 'max', num: 1, fmt: fmtNs }],
      lat.map(function (s) {
        var l = s.latency;
        return [s.name, l.count, l.p50_ns, l.p90_ns, l.p99_ns, l.max_ns];
      }));
    table('t-http', [{ name: 'edge' }, { name: 'responses', num: 1 },
      { name: '4xx', num: 1, bad: gt0 }, { name: '5xx', num: 1, bad: gt0 }],
      data.edges.filter(function (e) { return e.http_responses > 0; }).map(function (e) {
        return [edgeLabel(e), e.http_responses, e.http_4xx, e.http_5xx];
      }));
    table('t-dns', [{ name: 'query' }, { name: 'queries', num: 1 },
      { name: 'responses', num: 1 }, { name: 'errors', num: 1, bad: gt0 }, { name: 'rcodes' }],
      data.dns.map(function (d) {
        var rc = [];
        for (var k in d.rcodes) rc.push(k + ' ' + d.rcodes[k]);
        return [d.query, d.queries, d.responses, d.errors, rc.join(', ')];
      }));
    table('t-drops', [{ name: 'edge' }, { name: 'dropped', num: 1, bad: gt0 },
      { name: 'rate', num: 1, fmt: function (v) { return (100 * v).toFixed(1) + '%'; } },
      { name: 'TCP resets', num: 1, bad: gt0 }, { name: 'reasons' }],
      data.edges.filter(function (e) { return e.dropped > 0 || e.tcp_resets > 0; })
        .map(function (e) {
          return [edgeLabel(e), e.dropped, e.drop_rate, e.tcp_resets,
            e.drop_reasons.map(function (r) { return r.name + ' ' + r.count; }).join(', ')];
        }));
  }

  function render(d) {
    data = d;
    renderSummary();
    renderFilters();
    renderMap();
    renderCharts();
    renderTables();
    if (selected) {
      // refresh the details with the new numbers
      if (selected.node) select({ node: data.nodes[selected.node.id] || selected.node });
      else {
        var k = edgeKey(selected.edge), f = null;
        data.edges.forEach(function (e) { if (edgeKey(e) === k) f = e; });
        select(f ? { edge: f } : null);
      }
    } else select(null);
  }

  function poll(url, ms) {
    var st = document.getElementById('status');
    function tick() {
      fetch(url, { cache: 'no-store' }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      }).then(function (d) {
        render(d);
        st.textContent = 'live: ' + d.summary.flows + ' flows, updated ' +
          new Date().toLocaleTimeString();
        document.body.setAttribute('data-updates',
          String(1 + Number(document.body.getAttribute('data-updates') || 0)));
      }).catch(function (e) {
        st.textContent = 'live: update failed (' + e.message + ')';
      }).then(function () { setTimeout(tick, ms); });
    }
    setTimeout(tick, ms);
  }

  setupPanZoom();
  render(JSON.parse(document.getElementById('report-data').textContent));
  var live = document.body.getAttribute('data-live');
  if (live) poll(live, Number(document.body.getAttribute('data-poll-ms')) || 2000);
  document.body.setAttribute('data-ready', '1');
})();
