// staff.js - the page script of the staffing plan page (kefu staff plan -o plan.html).
// Reads the data from <script type="application/json" id="kefu-data">, builds
// every element with textContent (never innerHTML) and draws one ECharts chart
// per shop; tooltip formatters escape every value, because ECharts renders
// tooltips as HTML. Embedded into the binary by scripts/embed_report.py.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('kefu-data').textContent);
  var charts = [];
  window.kefuStaff = { data: D, charts: charts };

  function esc(s) {
    return String(s === null || s === undefined ? '' : s)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function byId(id) { return document.getElementById(id); }
  function tip(params) {
    var ps = Array.isArray(params) ? params : [params];
    var lines = [esc(ps.length ? ps[0].axisValue : '')];
    ps.forEach(function (p) {
      lines.push(esc(p.seriesName) + ': ' + esc(p.value === null || p.value === undefined ? '–' : p.value));
    });
    return lines.join('<br>');
  }

  document.title = String(D.title);
  byId('title').textContent = String(D.title);
  var total = 0;
  D.shops.forEach(function (s) { s.gap.forEach(function (g) { if (g) total++; }); });
  byId('summary').textContent = D.shops.length + ' 个店铺，' +
    D.shops.reduce(function (n, s) { return n + s.t.length; }, 0) + ' 个时段；' +
    (total ? total + ' 个时段排班不足' : '全部时段已覆盖');

  var host = byId('shops');
  D.shops.forEach(function (s, i) {
    var sec = el('section');
    sec.appendChild(el('h2', null, s.name));
    var div = el('div', 'chart');
    div.id = 'chart-' + i;
    sec.appendChild(div);
    host.appendChild(sec);
    var c = echarts.init(div, null, { renderer: 'canvas' });
    c.setOption({
      animation: false,
      tooltip: { trigger: 'axis', formatter: tip },
      legend: { data: ['预测咨询量', '所需坐席', '排班坐席', '在岗', '缺口'] },
      grid: { left: 50, right: 50, bottom: 70 },
      xAxis: { type: 'category', data: s.t },
      yAxis: [{ type: 'value', name: '坐席' }, { type: 'value', name: '咨询量' }],
      dataZoom: [{ type: 'inside' }, { type: 'slider' }],
      series: [
        { name: '预测咨询量', type: 'bar', yAxisIndex: 1, data: s.volume, itemStyle: { color: '#c6d4e8' } },
        { name: '所需坐席', type: 'line', step: 'start', data: s.raw, showSymbol: false },
        { name: '排班坐席', type: 'line', step: 'start', data: s.need, showSymbol: false },
        { name: '在岗', type: 'line', step: 'start', data: s.on_duty, showSymbol: false, areaStyle: { opacity: 0.15 } },
        { name: '缺口', type: 'bar', data: s.gap, itemStyle: { color: '#d9534f' } }
      ]
    });
    charts.push(c);
  });

  function fill(table, cols, rows) {
    var head = el('tr');
    cols.forEach(function (c) { head.appendChild(el('th', null, c)); });
    var th = el('thead');
    th.appendChild(head);
    table.appendChild(th);
    var tb = el('tbody');
    rows.forEach(function (r) {
      var tr = el('tr');
      r.forEach(function (v) { tr.appendChild(el('td', null, v)); });
      tb.appendChild(tr);
    });
    table.appendChild(tb);
  }
  fill(byId('shifts'), D.shifts.columns, D.shifts.rows);
  fill(byId('meta'), ['设置', '值'], D.meta);
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-ready', '1');
})();
