// report.js - the page script of the self-contained HTML report (kefu report).
// Reads the data from <script type="application/json" id="kefu-data">, builds
// every element with textContent (never innerHTML), and draws the charts with
// ECharts; tooltip formatters escape every value, because ECharts renders
// tooltips as HTML. Embedded into the binary by scripts/embed_report.py.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('kefu-data').textContent);
  var charts = [];
  window.kefuReport = { data: D, charts: charts };

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

  document.title = String(D.title);
  byId('title').textContent = String(D.title);
  if (D.range) {
    byId('range').textContent = D.range.from + ' 至 ' + D.range.to + '（' + D.range.days +
      ' 天；对比上一周期 ' + D.range.prev_from + ' 至 ' + D.range.prev_to + '）';
  } else {
    byId('range').textContent = '所选范围内没有数据';
  }

  // Settings metadata
  (function () {
    var t = byId('meta');
    (D.meta || []).forEach(function (kv) {
      var tr = el('tr');
      tr.appendChild(el('th', null, kv[0]));
      tr.appendChild(el('td', null, kv[1]));
      t.appendChild(tr);
    });
  })();
  if (D.empty) { document.body.setAttribute('data-ready', '1'); return; }

  // Summary cards against the previous period
  (function () {
    var box = byId('cards');
    D.cards.forEach(function (c) {
      var card = el('div', 'card');
      card.setAttribute('data-key', c.key);
      card.appendChild(el('div', 'label', c.zh));
      card.appendChild(el('div', 'value', c.value === null ? '—' : c.value));
      var line = el('div', 'delta');
      if (typeof c.v === 'number' && typeof c.pv === 'number') {
        var d = c.v - c.pv;
        var txt = (d > 0 ? '▲ +' : d < 0 ? '▼ ' : '= ') + d.toFixed(2) + (c.unit === '%' ? ' 个百分点' : (' ' + c.unit));
        var good = d === 0 ? 'same' : ((d > 0) === c.higher_better ? 'good' : 'bad');
        line.className = 'delta ' + good;
        line.textContent = txt;
      } else {
        line.textContent = '上一周期无可比数据';
      }
      card.appendChild(line);
      card.appendChild(el('div', 'prev', '上一周期：' + (c.prev === null ? '—' : c.prev)));
      box.appendChild(card);
    });
  })();

  // Per-agent table, sortable by any column
  (function () {
    var A = D.agents, t = byId('agents');
    var thead = el('thead'), tbody = el('tbody'), tfoot = el('tfoot');
    var hr = el('tr');
    var state = { col: -1, asc: true };
    A.columns.forEach(function (c, i) {
      var th = el('th', c.text ? 'text' : 'num', c.zh);
      th.setAttribute('data-col', c.name);
      th.title = c.name;
      th.addEventListener('click', function () { sortBy(i); });
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    function render(rows) {
      while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
      rows.forEach(function (r) {
        var tr = el('tr');
        r.forEach(function (cell, i) {
          tr.appendChild(el('td', A.columns[i].text ? 'text' : 'num', cell[0] === null ? '' : cell[0]));
        });
        tbody.appendChild(tr);
      });
    }
    function sortBy(i) {
      state.asc = state.col === i ? !state.asc : !!A.columns[i].text;
      state.col = i;
      var rows = A.rows.slice();
      var text = A.columns[i].text, dir = state.asc ? 1 : -1;
      rows.sort(function (a, b) {
        var x = text ? a[i][0] : a[i][1], y = text ? b[i][0] : b[i][1];
        if (x === null && y === null) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return dir * (text ? String(x).localeCompare(String(y), 'zh') : (x - y));
      });
      Array.prototype.forEach.call(hr.children, function (th, k) {
        th.setAttribute('aria-sort', k === i ? (state.asc ? 'ascending' : 'descending') : 'none');
      });
      render(rows);
    }
    render(A.rows);
    var fr = el('tr', 'total');
    A.total.forEach(function (v, i) {
      fr.appendChild(el('td', A.columns[i].text ? 'text' : 'num', v === null ? '' : v));
    });
    tfoot.appendChild(fr);
    t.appendChild(thead); t.appendChild(tbody); t.appendChild(tfoot);
  })();

  // Charts
  if (typeof echarts === 'undefined') { document.body.setAttribute('data-ready', 'no-echarts'); return; }
  function chart(id, option) {
    var c = echarts.init(byId(id), null, { renderer: 'canvas' });
    option.animation = false;
    c.setOption(option);
    charts.push(c);
    return c;
  }
  function axisTip(unitOf) {
    return function (params) {
      if (!params.length) return '';
      var s = esc(params[0].axisValueLabel);
      params.forEach(function (p) {
        var v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
        s += '<br>' + esc(p.seriesName) + '：' + esc(v === null || v === undefined ? '—' : v) + esc(unitOf ? unitOf(p.seriesName) : '');
      });
      return s;
    };
  }
  var days = D.daily.days;
  chart('trend', {
    tooltip: { trigger: 'axis', formatter: axisTip(function (n) { return n === '询单转化率' ? '%' : ''; }) },
    legend: { top: 0 },
    grid: { left: 50, right: 60, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: days },
    yAxis: [{ type: 'value', name: '人数' }, { type: 'value', name: '%', min: 0 }],
    series: [
      { name: '咨询人数', type: 'line', data: D.daily.consults },
      { name: '接待人数', type: 'line', data: D.daily.received },
      { name: '询单人数', type: 'line', data: D.daily.inquiries },
      { name: '询单转化率', type: 'line', yAxisIndex: 1, data: D.daily.conv_rate, connectNulls: false }
    ]
  });
  var weekdays = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
  var hours = []; for (var h = 0; h < 24; h++) hours.push(String(h));
  chart('heatmap', {
    tooltip: {
      formatter: function (p) {
        return esc(weekdays[p.value[1]]) + ' ' + esc(p.value[0]) + ':00–' + esc(p.value[0]) + ':59<br>咨询：' + esc(p.value[2]);
      }
    },
    grid: { left: 50, right: 20, top: 10, bottom: 70 },
    xAxis: { type: 'category', data: hours, name: '时' },
    yAxis: { type: 'category', data: weekdays, inverse: true },
    visualMap: { min: 0, max: Math.max(1, D.heatmap.max), orient: 'horizontal', left: 'center', bottom: 0, calculable: false },
    series: [{ name: '咨询', type: 'heatmap', data: D.heatmap.data }]
  });
  var R = D.resp;
  byId('respstat').textContent = '接待会话 ' + R.n + ' 个；中位数 ' + (R.median === null ? '—' : R.median + ' 秒') +
    '，P90 ' + (R.p90 === null ? '—' : R.p90 + ' 秒');
  chart('resp', {
    tooltip: { trigger: 'axis', formatter: axisTip(function () { return ' 个会话'; }) },
    grid: { left: 50, right: 20, top: 20, bottom: 30 },
    xAxis: { type: 'category', data: R.labels },
    yAxis: { type: 'value', name: '会话' },
    series: [{ name: '首次响应', type: 'bar', data: R.counts }]
  });
  chart('funnel', {
    tooltip: { formatter: function (p) { return esc(p.name) + '：' + esc(p.value); } },
    series: [{ name: '转化漏斗', type: 'funnel', sort: 'none', left: '10%', width: '80%', minSize: '10%',
      label: { show: true, position: 'inside', formatter: function (p) { return p.name + ' ' + p.value; } },
      data: D.funnel }]
  });
  byId('salesstat').textContent = '落实销售额 ' + D.daily.credited_total + ' 元' +
    (D.daily.silent_total === null ? '（按客服筛选时不含静默销售）' : '；静默销售额 ' + D.daily.silent_total + ' 元');
  var series = [{ name: '落实销售额', type: 'bar', stack: 's', data: D.daily.sales_fen }];
  if (D.daily.silent_total !== null) series.push({ name: '静默销售额', type: 'bar', stack: 's', data: D.daily.silent_fen });
  chart('sales', {
    tooltip: { trigger: 'axis', formatter: axisTip(function () { return ' 元'; }) },
    legend: { top: 0 },
    grid: { left: 60, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: days },
    yAxis: { type: 'value', name: '元' },
    series: series
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-ready', '1');
})();
