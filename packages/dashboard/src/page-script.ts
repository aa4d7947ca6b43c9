/**
 * The dashboard page's script (served as `dashboard.js`), plain browser JavaScript with no build step. It polls
 * `data` (with the page's own query string as the filter), draws each chart with uPlot (the global `uPlot`
 * from `uplot.js`), fills the numbers, the unpriced list and the sortable model table. Each chart's element
 * gets `data-points` (values drawn) and `data-nonzero` (values other than 0), so tests can tell it has data.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';

  var PALETTE = ['#3b5bdb', '#e8590c', '#2f9e44', '#c2255c', '#7048e8', '#0c8599', '#e67700', '#5c940d',
    '#862e9c', '#1971c2', '#d6336c', '#087f5b'];
  var FIXED_COLORS = { total: '#1d2330', other: '#adb5bd', p50: '#2f9e44', p95: '#e8590c', p99: '#c92a2a' };

  var charts = {};
  var sort = { key: 'costUsd', descending: true };
  var lastData = null;
  var timer = null;
  var updates = 0;

  function byId(id) { return document.getElementById(id); }

  function formatUsd(value) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    var digits = Math.abs(value) >= 100 ? 2 : Math.abs(value) >= 1 ? 4 : 6;
    return '$' + value.toFixed(digits);
  }
  function formatSeconds(value) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    return value < 1 ? Math.round(value * 1000) + ' ms' : value.toFixed(2) + ' s';
  }
  function formatRatio(value) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    return (value * 100).toFixed(value < 0.1 ? 2 : 1) + '%';
  }
  function formatCount(value) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    return Math.round(value).toLocaleString('en-US');
  }
  function formatRate(value) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(2);
  }
  var FORMATS = { usd: formatUsd, seconds: formatSeconds, ratio: formatRatio, count: formatCount, rate: formatRate };
  // Axis ticks are round numbers: fewer digits than the legend's exact values, so they fit the axis.
  var AXIS_FORMATS = {
    usd: function (v) { return '$' + Number(v.toPrecision(3)); },
    seconds: formatSeconds,
    ratio: function (v) { return Number((v * 100).toPrecision(3)) + '%'; },
    count: formatCount,
    rate: formatRate,
  };
  // Whole steps for counts: there is no half a call in flight.
  var COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

  function colorFor(name, index) {
    return FIXED_COLORS[name] || PALETTE[index % PALETTE.length];
  }

  function query() {
    return window.location.search;
  }

  function setQueryParam(name, value) {
    var params = new URLSearchParams(window.location.search);
    if (value) params.set(name, value); else params.delete(name);
    var search = params.toString();
    window.history.replaceState(null, '', search ? '?' + search : window.location.pathname);
  }

  function fillSelect(select, values, selected) {
    var wanted = [''].concat(values.map(function (v) { return v.value; })).join('\n');
    if (select.dataset.options !== wanted) {
      select.textContent = '';
      var all = document.createElement('option');
      all.value = '';
      all.textContent = 'all';
      select.appendChild(all);
      values.forEach(function (v) {
        var option = document.createElement('option');
        option.value = v.value;
        option.textContent = v.label;
        select.appendChild(option);
      });
      select.dataset.options = wanted;
    }
    select.value = selected || '';
  }

  function renderFilters(data) {
    var params = new URLSearchParams(window.location.search);
    var provider = params.get('provider') || '';
    fillSelect(byId('filter-provider'), data.filters.providers.map(function (p) { return { value: p, label: p }; }), provider);
    var models = [];
    var seen = {};
    data.filters.models.forEach(function (m) {
      if ((provider && m.provider !== provider) || seen[m.model]) return;
      seen[m.model] = true;
      models.push({ value: m.model, label: m.model });
    });
    fillSelect(byId('filter-model'), models, params.get('model') || '');
    var holder = byId('filter-labels');
    Object.keys(data.filters.labels).sort().forEach(function (name) {
      var select = holder.querySelector('select[data-label="' + CSS.escape(name) + '"]');
      if (!select) {
        var label = document.createElement('label');
        label.textContent = name + ' ';
        select = document.createElement('select');
        select.dataset.label = name;
        select.addEventListener('change', function () { setQueryParam('label.' + name, select.value); refreshNow(); });
        label.appendChild(select);
        holder.appendChild(label);
      }
      fillSelect(select, data.filters.labels[name].map(function (v) { return { value: v, label: v }; }),
        params.get('label.' + name) || '');
    });
  }

  function countPoints(lines) {
    var points = 0;
    var nonzero = 0;
    lines.forEach(function (line) {
      line.values.forEach(function (v) {
        if (v !== null) { points += 1; if (v !== 0) nonzero += 1; }
      });
    });
    return { points: points, nonzero: nonzero };
  }

  function renderChart(figure, view) {
    var field = figure.dataset.field;
    var unit = figure.dataset.unit;
    var format = FORMATS[unit] || formatRate;
    var axisFormat = AXIS_FORMATS[unit] || formatRate;
    var lines = view[field] || [];
    var plotBox = figure.querySelector('.plot');
    var counts = countPoints(lines);
    figure.dataset.points = String(counts.points);
    figure.dataset.nonzero = String(counts.nonzero);
    var state = charts[field];
    if (lines.length === 0 || view.timestamps.length === 0) {
      if (state) { state.plot.destroy(); delete charts[field]; }
      plotBox.textContent = '';
      var empty = document.createElement('p');
      empty.className = 'empty';
      empty.textContent = 'no data yet';
      plotBox.appendChild(empty);
      return;
    }
    var data = [view.timestamps].concat(lines.map(function (line) { return line.values; }));
    var names = lines.map(function (line) { return line.name; }).join('|');
    if (state && state.names === names) {
      state.plot.setData(data);
      return;
    }
    if (state) state.plot.destroy();
    plotBox.textContent = '';
    var options = {
      width: Math.max(200, plotBox.clientWidth),
      height: 220,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      series: [{}].concat(lines.map(function (line, i) {
        return {
          label: line.name,
          stroke: colorFor(line.name, i),
          width: line.name === 'total' ? 2.5 : 1.5,
          dash: line.name === 'total' ? [6, 4] : undefined,
          spanGaps: false,
          points: { size: 5 },
          value: function (u, v) { return v === null || v === undefined ? '–' : format(v); },
        };
      })),
      axes: [
        {},
        {
          size: 64,
          incrs: unit === 'count' ? COUNT_STEPS : undefined,
          values: function (u, values) { return values.map(axisFormat); },
        },
      ],
    };
    charts[field] = { names: names, plot: new uPlot(options, data, plotBox) };
  }

  function renderNumbers(data) {
    var total = data.total;
    var cost = byId('total-cost');
    cost.textContent = formatUsd(total.costUsd);
    cost.dataset.usd = String(total.costUsd);
    byId('total-requests').textContent = formatCount(total.requests);
    byId('total-errors').textContent = formatRatio(total.errorRatio);
    byId('total-tokens').textContent = formatCount(total.tokens.input + total.tokens.output);
    byId('total-p95').textContent = formatSeconds(total.latency.p95);
    byId('total-in-flight').textContent = formatCount(total.inFlight);
  }

  function renderUnpriced(data) {
    var list = byId('unpriced-list');
    list.textContent = '';
    if (data.unpriced.length === 0) {
      var none = document.createElement('li');
      none.className = 'none';
      none.textContent = 'none: every call was priced';
      list.appendChild(none);
      return;
    }
    data.unpriced.forEach(function (u) {
      var item = document.createElement('li');
      item.textContent = u.model + ' (' + u.provider + '): ' + formatCount(u.requests) + ' calls';
      list.appendChild(item);
    });
  }

  function valueAt(row, key) {
    return key.split('.').reduce(function (value, part) { return value === null || value === undefined ? value : value[part]; }, row);
  }

  var CELL_FORMATS = {
    requests: formatCount, errorRatio: formatRatio, costUsd: formatUsd, unpricedRequests: formatCount,
    'tokens.input': formatCount, 'tokens.output': formatCount,
  };

  function renderTable(data) {
    var headers = Array.prototype.slice.call(document.querySelectorAll('#models th'));
    var keys = headers.map(function (th) { return th.dataset.key; });
    headers.forEach(function (th) {
      th.classList.toggle('sorted-asc', th.dataset.key === sort.key && !sort.descending);
      th.classList.toggle('sorted-desc', th.dataset.key === sort.key && sort.descending);
    });
    var rows = data.models.slice().sort(function (a, b) {
      var x = valueAt(a, sort.key);
      var y = valueAt(b, sort.key);
      var order;
      if (typeof x === 'string' || typeof y === 'string') order = String(x).localeCompare(String(y));
      else order = (x === null || !isFinite(x) ? -Infinity : x) - (y === null || !isFinite(y) ? -Infinity : y);
      if (order === 0) order = a.model.localeCompare(b.model);
      return sort.descending ? -order : order;
    });
    var body = document.querySelector('#models tbody');
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      keys.forEach(function (key) {
        var td = document.createElement('td');
        var value = valueAt(row, key);
        var format = CELL_FORMATS[key] || (key.indexOf('.p') > 0 ? formatSeconds : null);
        td.textContent = format ? format(value) : String(value);
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    body.textContent = '';
    body.appendChild(fragment);
    byId('model-count').textContent = '(' + rows.length + ')';
  }

  function render(data) {
    lastData = data;
    renderFilters(data);
    renderNumbers(data);
    Array.prototype.forEach.call(document.querySelectorAll('figure.chart'), function (figure) {
      renderChart(figure, data.charts);
    });
    renderUnpriced(data);
    renderTable(data);
    updates += 1;
    document.body.dataset.updates = String(updates);
    var status = byId('status');
    status.classList.remove('error');
    status.textContent = 'updated ' + new Date(data.generatedAt).toLocaleTimeString() + ' · ' +
      data.charts.timestamps.length + ' samples every ' + data.charts.intervalSeconds + ' s';
  }

  function refresh() {
    clearTimeout(timer);
    var refreshSeconds = lastData ? lastData.refreshSeconds : 5;
    return fetch('data' + query(), { cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) throw new Error('data answered ' + response.status);
        return response.json();
      })
      .then(function (data) { refreshSeconds = data.refreshSeconds; render(data); })
      .catch(function (error) {
        var status = byId('status');
        status.classList.add('error');
        status.textContent = 'cannot load data: ' + error.message;
      })
      .then(function () { timer = setTimeout(refresh, refreshSeconds * 1000); });
  }
  function refreshNow() { refresh(); }

  byId('filter-provider').addEventListener('change', function (event) {
    setQueryParam('provider', event.target.value);
    setQueryParam('model', '');
    refreshNow();
  });
  byId('filter-model').addEventListener('change', function (event) {
    setQueryParam('model', event.target.value);
    refreshNow();
  });
  Array.prototype.forEach.call(document.querySelectorAll('#models th'), function (th) {
    function sortBy() {
      if (sort.key === th.dataset.key) sort.descending = !sort.descending;
      else sort = { key: th.dataset.key, descending: th.dataset.key !== 'model' && th.dataset.key !== 'provider' };
      if (lastData) renderTable(lastData);
    }
    th.addEventListener('click', sortBy);
    th.addEventListener('keydown', function (event) { if (event.key === 'Enter') sortBy(); });
  });
  window.addEventListener('resize', function () {
    Object.keys(charts).forEach(function (field) {
      var plot = charts[field].plot;
      plot.setSize({ width: Math.max(200, plot.root.parentElement.clientWidth), height: 220 });
    });
  });
  refresh();
})();
`;
