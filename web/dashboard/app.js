/*
 * app.js - the kefu dashboard (served as /app.js by `kefu serve`).
 * A small hash-routed page on top of /api/v1: overview, agents (agent ->
 * day -> chats -> messages), trends, hourly volume, settings history, users.
 * Every piece of data goes into the page through textContent or escaped
 * ECharts tooltips; nothing from the API is ever parsed as HTML.
 */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { me: null, csrf: '', shops: [], filters: { shop: '', from: '', to: '' } };

  /* ---------------------------------------------------------- helpers */
  function escapeHtml(s) {
    return String(s).replace(/[&<>"'`=\/]/g, (c) => '&#' + c.charCodeAt(0) + ';');
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v == null || v === '') continue;
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x)); else q.append(k, v);
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }
  function withFilters(params) {
    const f = state.filters;
    return Object.assign({ shop: f.shop, from: f.from, to: f.to }, params);
  }
  async function api(path, params, opts) {
    const res = await fetch('/api/v1/' + path + query(params || {}), Object.assign({ credentials: 'same-origin' }, opts || {}));
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (res.status === 401 && path !== 'login') { showLogin(); throw new Error('not logged in'); }
    if (!res.ok) throw new Error((body && body.error) || ('HTTP ' + res.status));
    return body;
  }
  async function post(path, obj) {
    return api(path, null, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.csrf },
      body: JSON.stringify(obj),
    });
  }
  const fmt = {
    rate: (v) => (v == null ? '–' : (v * 100).toFixed(2) + '%'),
    secs: (v) => (v == null ? '–' : Number(v).toFixed(1) + ' s'),
    yuan: (v) => (v == null ? '–' : '¥' + (v / 100).toFixed(2)),
    num: (v) => (v == null ? '–' : typeof v === 'boolean' ? (v ? '是' : '') : String(v)),
  };
  const colFmt = {
    conv_rate: fmt.rate, reply_rate: fmt.rate, three_min_rate: fmt.rate, sat_rate: fmt.rate,
    conv_next_day_rate: fmt.rate, first_resp_s: fmt.secs, avg_resp_s: fmt.secs,
    sales_fen: fmt.yuan, paid_fen: fmt.yuan, silent_fen: fmt.yuan, credited_fen: fmt.yuan,
  };
  function zhOf(report, name) {
    const c = (report.columns || []).find((c) => c.name === name);
    return c && c.zh ? c.zh : name;
  }
  /* A table of rows; cells of `links` columns become buttons calling links[col](row). */
  function table(report, cols, links) {
    const t = el('table', { class: 'data' });
    const head = el('tr');
    cols.forEach((c) => head.append(el('th', { class: typeof report.rows[0]?.[c] === 'string' ? 'text' : '', text: zhOf(report, c) })));
    t.append(el('thead', null, head));
    const tb = el('tbody');
    for (const r of report.rows) {
      const tr = el('tr');
      for (const c of cols) {
        const v = r[c];
        const txt = (colFmt[c] || fmt.num)(v);
        const td = el('td', { class: typeof v === 'string' ? 'text' : '' });
        if (links && links[c]) td.append(el('button', { class: 'link', type: 'button', 'data-col': c, text: txt, on: { click: () => links[c](r) } }));
        else td.textContent = txt;
        tr.append(td);
      }
      tb.append(tr);
    }
    t.append(tb);
    return t;
  }
  /* A chart in the view (none when the route is stale, see route()). */
  function chart(put, id, option) {
    const div = el('div', { class: 'chart', id: id });
    if (!put(div)) return null;
    const c = echarts.init(div, null, { renderer: 'canvas' });
    c.on('finished', () => div.setAttribute('data-rendered', '1'));
    c.setOption(Object.assign({ animation: false }, option));
    return c;
  }
  /* Tooltip for axis charts: every name and value escaped. */
  function axisTip(params) {
    const ps = Array.isArray(params) ? params : [params];
    const lines = [escapeHtml(ps[0] ? ps[0].axisValueLabel || ps[0].name : '')];
    for (const p of ps) lines.push(escapeHtml(p.seriesName) + ': ' + escapeHtml(p.value == null ? '–' : p.value));
    return lines.join('<br>');
  }

  /* ------------------------------------------------------------ views */
  function card(label, value) {
    return el('div', { class: 'card' }, el('div', { class: 'label', text: label }), el('div', { class: 'value', text: value }));
  }

  async function viewOverview(put) {
    setTitle('概览 Overview');
    const [byShop, daily] = await Promise.all([
      api('kpi', withFilters({ by: 'shop', per: 'range' })),
      api('kpi', withFilters({ by: 'all', per: 'day' })),
    ]);
    const cards = el('div', { class: 'cards', id: 'cards' });
    for (const r of byShop.rows) {
      const c = el('div', { class: 'card shop-card' });
      c.append(el('div', { class: 'label', text: r.shop }));
      c.append(el('div', { class: 'value', text: fmt.rate(r.conv_rate) }));
      c.append(el('div', { class: 'label', text: '咨询 ' + r.consults + ' · 接待 ' + r.received + ' · 首响 ' + fmt.secs(r.first_resp_s) + ' · 销售 ' + fmt.yuan(r.sales_fen) }));
      cards.append(c);
    }
    put(cards);
    const days = daily.rows.map((r) => r.day);
    chart(put, 'chart-overview', {
      tooltip: { trigger: 'axis', formatter: axisTip },
      legend: { data: ['咨询 consults', '询单转化率 conv %'] },
      xAxis: { type: 'category', data: days },
      yAxis: [{ type: 'value', name: '咨询' }, { type: 'value', name: '%', max: 100 }],
      series: [
        { name: '咨询 consults', type: 'bar', data: daily.rows.map((r) => r.consults) },
        { name: '询单转化率 conv %', type: 'line', yAxisIndex: 1, data: daily.rows.map((r) => (r.conv_rate == null ? null : +(r.conv_rate * 100).toFixed(2))) },
      ],
    });
    put(table(byShop, ['shop', 'consults', 'received', 'inquiries', 'converted', 'conv_rate', 'first_resp_s', 'avg_resp_s', 'three_min_rate', 'sales_fen']));
  }

  async function viewAgents(put) {
    setTitle('客服 Agents');
    const rep = await api('kpi', withFilters({ by: 'agent', per: 'range' }));
    const top = rep.rows.slice().sort((a, b) => b.consults - a.consults).slice(0, 30);
    chart(put, 'chart-agents', {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: axisTip },
      grid: { left: 60, right: 20, bottom: 120 },
      xAxis: { type: 'category', data: top.map((r) => r.agent), axisLabel: { rotate: 40 } },
      yAxis: { type: 'value', name: '咨询' },
      series: [{ name: '咨询 consults', type: 'bar', data: top.map((r) => r.consults) }],
    });
    put(table(rep, ['shop', 'agent', 'consults', 'received', 'inquiries', 'converted', 'conv_rate', 'first_resp_s', 'avg_resp_s', 'three_min_rate', 'sales_fen'], {
      agent: (r) => go('#/agent/' + encodeURIComponent(r.agent)),
    }));
  }

  async function viewAgent(put, agent) {
    setTitle('客服 ' + agent);
    const rep = await api('kpi', withFilters({ agent: agent, by: 'agent', per: 'day' }));
    const open = (r) => go('#/agent/' + encodeURIComponent(agent) + '/' + encodeURIComponent(r.day));
    put(table(rep, ['day', 'consults', 'received', 'inquiries', 'converted', 'conv_rate', 'first_resp_s', 'avg_resp_s', 'sales_fen'], {
      day: open, consults: open, received: open, inquiries: open, converted: open,
    }));
  }

  async function viewChats(put, agent, day) {
    setTitle('会话 ' + agent + ' · ' + day);
    const rep = await api('chats', { shop: state.filters.shop, agent: agent, from: day, to: day });
    const msgs = el('div', { id: 'messages' });
    put(table(rep, ['buyer', 'first_buyer_ts', 'end', 'received', 'inquiry', 'first_resp_s', 'resp_n', 'converted', 'credited_orders', 'credited_fen'], {
      buyer: async (r) => {
        msgs.textContent = '';
        try {
          const m = await api('messages', { shop: r.shop, agent: r.agent, buyer: r.buyer, day: r.day });
          msgs.append(el('h3', { text: r.buyer + ' · ' + r.day }));
          const t = el('table', { class: 'data' });
          for (const x of m.messages) {
            t.append(el('tr', { class: 'msg-' + x.dir }, el('td', { class: 'text', text: x.ts }), el('td', { class: 'text', text: x.dir }), el('td', { class: 'text', text: x.text })));
          }
          msgs.append(t);
        } catch (e) { showError(e); }
      },
    }));
    put(msgs);
  }

  async function viewTrends(put) {
    setTitle('趋势 Trends');
    const rep = await api('kpi', withFilters({ by: 'all', per: 'day' }));
    const days = rep.rows.map((r) => r.day);
    const pct = (k) => rep.rows.map((r) => (r[k] == null ? null : +(r[k] * 100).toFixed(2)));
    chart(put, 'chart-trends', {
      tooltip: { trigger: 'axis', formatter: axisTip },
      legend: { data: ['询单转化率', '回复率', '三分钟回复率'] },
      xAxis: { type: 'category', data: days },
      yAxis: { type: 'value', name: '%' },
      series: [
        { name: '询单转化率', type: 'line', data: pct('conv_rate') },
        { name: '回复率', type: 'line', data: pct('reply_rate') },
        { name: '三分钟回复率', type: 'line', data: pct('three_min_rate') },
      ],
    });
    chart(put, 'chart-resp', {
      tooltip: { trigger: 'axis', formatter: axisTip },
      legend: { data: ['平均首次响应 s', '平均响应 s'] },
      xAxis: { type: 'category', data: days },
      yAxis: { type: 'value', name: 's' },
      series: [
        { name: '平均首次响应 s', type: 'line', data: rep.rows.map((r) => (r.first_resp_s == null ? null : +r.first_resp_s.toFixed(1))) },
        { name: '平均响应 s', type: 'line', data: rep.rows.map((r) => (r.avg_resp_s == null ? null : +r.avg_resp_s.toFixed(1))) },
      ],
    });
  }

  async function viewHourly(put) {
    setTitle('时段 Hourly volume');
    const h = await api('hourly', withFilters({}));
    const data = [];
    let max = 1;
    h.counts.forEach((row, d) => row.forEach((v, hr) => { data.push([hr, d, v]); if (v > max) max = v; }));
    const hours = Array.from({ length: 24 }, (_, i) => String(i));
    chart(put, 'chart-hourly', {
      tooltip: { formatter: (p) => escapeHtml(h.weekdays[p.value[1]] + ' ' + p.value[0] + ':00') + ': ' + escapeHtml(p.value[2]) },
      xAxis: { type: 'category', data: hours },
      yAxis: { type: 'category', data: h.weekdays },
      visualMap: { min: 0, max: max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
      grid: { bottom: 80 },
      series: [{ name: '买家消息', type: 'heatmap', data: data }],
    });
  }

  async function viewSettings(put) {
    setTitle('设置历史 Settings history');
    const s = await api('settings', state.filters.shop ? { shop: state.filters.shop } : {});
    const t = el('table', { class: 'data' });
    t.append(el('thead', null, el('tr', null, ...['店铺 shop', '键 key', '值 value', '生效 from'].map((x) => el('th', { class: 'text', text: x })))));
    const tb = el('tbody');
    for (const r of s.settings) tb.append(el('tr', null, el('td', { class: 'text', text: r.shop }), el('td', { class: 'text', text: r.key }), el('td', { class: 'text', text: r.value }), el('td', { class: 'text', text: r.from || '始终 always' })));
    t.append(tb);
    put(t);
  }

  async function viewUsers(put) {
    setTitle('用户 Users');
    const u = await api('users');
    const t = el('table', { class: 'data' });
    t.append(el('thead', null, el('tr', null, ...['user', 'role', 'shops', 'agent', 'teams', 'locked'].map((x) => el('th', { class: 'text', text: x })))));
    const tb = el('tbody');
    for (const r of u.users) tb.append(el('tr', null, ...[r.user, r.role, r.shops.join(', '), r.agent || '', r.teams.join(', '), r.locked ? 'locked' : ''].map((x) => el('td', { class: 'text', text: x }))));
    t.append(tb);
    put(t);
  }

  async function viewContracts(put) {
    setTitle('合同与续约评估 Contracts and renewal reviews');
    const c = await api('contracts');
    const t = el('table', { class: 'data', id: 'contracts' });
    t.append(el('thead', null, el('tr', null, ...['合同 contract', '服务商 vendor', '店铺 shops', '首期 first term', ''].map((x) => el('th', { class: 'text', text: x })))));
    const tb = el('tbody');
    for (const r of c.contracts) {
      const link = el('a', { href: '/api/v1/contracts/' + encodeURIComponent(r.id) + '/review', target: '_blank', rel: 'noopener', class: 'review-link', text: '续约评估 review' });
      tb.append(el('tr', null, el('td', { class: 'text', text: r.id }), el('td', { class: 'text', text: r.vendor }), el('td', { class: 'text', text: (r.shops || []).join(', ') }), el('td', { class: 'text', text: r.from + ' — ' + r.to }), el('td', { class: 'text' }, link)));
    }
    t.append(tb);
    put(t);
  }

  /* ----------------------------------------------------------- router */
  function setTitle(s) { $('view-title').textContent = s; }
  function showError(e) { $('view-error').textContent = String(e && e.message ? e.message : e); }
  function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }
  function updateDownloads() {
    const p = withFilters({ report: 'kpi', by: 'agent', per: 'day' });
    $('dl-xlsx').href = '/api/v1/export' + query(Object.assign({ format: 'xlsx' }, p));
    $('dl-csv').href = '/api/v1/export' + query(Object.assign({ format: 'csv' }, p));
  }
  /* Every route renders through its own put(): once a newer route has
   * started (a quick hash change, the first route after login), an older
   * one still waiting for the API puts nothing, so a page never shows two
   * views' content. */
  let routeSeq = 0;
  async function route() {
    if (!state.me) return;
    const my = ++routeSeq;
    const put = (node) => {
      if (my !== routeSeq) return false;
      $('view').append(node);
      return true;
    };
    document.querySelectorAll('.chart').forEach((d) => { const c = echarts.getInstanceByDom(d); if (c) c.dispose(); });
    $('view').textContent = '';
    $('view-error').textContent = '';
    const parts = (location.hash || '#/overview').slice(2).split('/').map(decodeURIComponent);
    document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.view === parts[0] || (parts[0] === 'agent' && a.dataset.view === 'agents')));
    updateDownloads();
    try {
      if (parts[0] === 'agents') await viewAgents(put);
      else if (parts[0] === 'agent' && parts.length === 2) await viewAgent(put, parts[1]);
      else if (parts[0] === 'agent' && parts.length === 3) await viewChats(put, parts[1], parts[2]);
      else if (parts[0] === 'trends') await viewTrends(put);
      else if (parts[0] === 'hourly') await viewHourly(put);
      else if (parts[0] === 'settings') await viewSettings(put);
      else if (parts[0] === 'users') await viewUsers(put);
      else if (parts[0] === 'contracts') await viewContracts(put);
      else await viewOverview(put);
    } catch (e) { if (my === routeSeq) showError(e); }
    if (my === routeSeq) document.body.setAttribute('data-view-ready', parts[0] || 'overview');
  }

  /* ------------------------------------------------------------ login */
  function showLogin() {
    state.me = null;
    $('app').hidden = true;
    $('login').hidden = false;
  }
  async function enter(me) {
    state.me = me;
    state.csrf = me.csrf;
    $('login').hidden = true;
    $('app').hidden = false;
    $('who').textContent = me.user + ' (' + me.role + ')';
    $('nav-users').hidden = me.role !== 'admin';
    $('nav-contracts').hidden = me.role !== 'admin' && me.role !== 'merchant';
    try {
      const s = await api('shops');
      const sel = $('f-shop');
      while (sel.options.length > 1) sel.remove(1);
      for (const name of s.shops) sel.append(el('option', { value: name, text: name }));
    } catch (e) { showError(e); }
    route();
  }
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    try {
      const res = await fetch('/api/v1/login', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: $('login-user').value, password: $('login-password').value }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body.error || 'HTTP ' + res.status);
      $('login-password').value = '';
      await enter(body);
    } catch (e) { $('login-error').textContent = String(e.message || e); }
  });
  $('logout').addEventListener('click', async () => {
    try { await post('logout', {}); } catch (e) { /* already out */ }
    showLogin();
  });
  $('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.filters = { shop: $('f-shop').value, from: $('f-from').value, to: $('f-to').value };
    route();
  });
  window.addEventListener('hashchange', route);
  fetch('/api/v1/me', { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json().then(enter) : showLogin()))
    .catch(showLogin);
})();
