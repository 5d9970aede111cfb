// The dashboard's script: polls the live parts of the page (GET ui/fragment) and swaps them in,
// and sends what the buttons and forms ask for to the ordinary control endpoints. Plain JS, no
// framework; everything from the server goes in through textContent or the server's own escaped
// HTML.
(function () {
  'use strict';
  var BASE = location.pathname.replace(/\/ui(\/.*)?$/, '');
  var REFRESH_MS = Number(document.body.getAttribute('data-refresh-ms')) || 2000;
  var statusEl = document.getElementById('status');
  var flashEl = document.getElementById('flash');
  var autoEl = document.getElementById('autorefresh');
  var here = new URLSearchParams(location.search);
  var lastHtml = {};
  var openState = {};
  var inFlight = null;
  var timer = null;

  function filterQuery() {
    var out = new URLSearchParams();
    ['account', 'region'].forEach(function (k) {
      var v = here.get(k);
      if (v) out.set(k, v);
    });
    var s = out.toString();
    return s ? '?' + s : '';
  }

  function setStatus(text, bad) {
    statusEl.textContent = text;
    statusEl.className = bad ? 'bad' : 'muted';
  }

  function flash(text, bad) {
    flashEl.textContent = text;
    flashEl.className = bad ? 'bad' : '';
  }

  // A control endpoint: resolves to its JSON answer, rejects with its {"error"} message.
  function api(method, path, body) {
    var init = { method: method, headers: {}, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(BASE + path, init).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = JSON.parse(t); } catch (e) { /* not JSON */ }
        if (!r.ok) throw new Error((j && j.error) || (r.status + ' ' + t));
        return j;
      });
    });
  }

  // <details> the user opened or closed stay so across refreshes.
  document.addEventListener('toggle', function (ev) {
    var d = ev.target;
    if (d.tagName === 'DETAILS' && d.dataset.key) openState[d.dataset.key] = d.open;
  }, true);

  function restoreDetails(root) {
    root.querySelectorAll('details[data-key]').forEach(function (d) {
      var want = openState[d.dataset.key];
      if (want !== undefined && d.open !== want) d.open = want;
    });
  }

  function swap(html) {
    var tpl = document.createElement('template');
    tpl.innerHTML = html;
    tpl.content.querySelectorAll('[data-slot]').forEach(function (fresh) {
      var name = fresh.getAttribute('data-slot');
      var cur = document.querySelector('[data-slot="' + name + '"]');
      if (!cur || lastHtml[name] === fresh.innerHTML) return;
      lastHtml[name] = fresh.innerHTML;
      cur.replaceChildren.apply(cur, Array.prototype.slice.call(fresh.childNodes));
      restoreDetails(cur);
    });
  }

  function refresh() {
    if (inFlight) return inFlight;
    inFlight = fetch(BASE + '/ui/fragment' + filterQuery(), { cache: 'no-store' })
      .then(function (r) {
        return r.text().then(function (t) {
          swap(t);
          var when = new Date().toLocaleTimeString();
          setStatus(r.ok ? 'updated ' + when : 'HTTP ' + r.status + ' at ' + when, !r.ok);
        });
      })
      .catch(function (e) { setStatus('emulator unreachable (' + e.message + ')', true); })
      .then(function () { inFlight = null; });
    return inFlight;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (autoEl.checked && !document.hidden) refresh().then(schedule);
      else schedule();
    }, REFRESH_MS);
  }

  // ---- buttons (event delegation: slots are replaced under them) -------------------------------
  function run(b) {
    var op = b.dataset.op;
    var p;
    if (op === 'clock') {
      p = api('POST', '/clock', JSON.parse(b.dataset.body)).then(function (j) {
        return 'clock: ' + j.virtual + (j.frozen ? ' (frozen)' : '');
      });
    } else if (op === 'reset') {
      var acc = b.dataset.account;
      if (!window.confirm('Reset account ' + acc + ' to the world file\'s state?')) {
        return Promise.resolve();
      }
      p = api('POST', '/reset', { account: acc }).then(function (j) { return 'reset ' + j.reset.join(', '); });
    } else if (op === 'delete-fault') {
      p = api('DELETE', '/faults/' + encodeURIComponent(b.dataset.id)).then(function (j) {
        return 'deleted ' + j.deleted.join(', ');
      });
    } else if (op === 'trace-fill') {
      var f = document.getElementById('trace-form');
      f.elements.nat_gateway_id.value = b.dataset.gateway;
      document.getElementById('trace-card').scrollIntoView({ block: 'nearest' });
      f.elements.src_ip.focus();
      return Promise.resolve();
    } else {
      return Promise.resolve();
    }
    b.disabled = true;
    return p
      .then(function (msg) { flash(msg, false); })
      .catch(function (e) { flash(op + ' failed: ' + e.message, true); })
      .then(function () {
        b.disabled = false;
        return refresh();
      });
  }

  document.addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-op]');
    if (!b) return;
    ev.preventDefault();
    run(b);
  });

  // ---- forms -------------------------------------------------------------------------------------
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function port(v) {
    v = String(v || '').trim();
    return v === '' ? 0 : (/^\d+$/.test(v) ? Number(v) : v);
  }

  function gatewayOption(id) {
    var opts = document.querySelectorAll('#gateway-ids option');
    for (var i = 0; i < opts.length; i++) if (opts[i].value === id) return opts[i];
    return null;
  }

  function showTrace(j) {
    var out = document.getElementById('trace-result');
    out.replaceChildren();
    out.appendChild(el('p', j.verdict, 'verdict ' + (j.matched ? 'ok' : 'bad')));
    if (j.translated) {
      var t = j.translated;
      out.appendChild(el('p', 'translated: ' + t.src_ip + ':' + t.src_port + ' → ' + t.dst_ip + ':' + t.dst_port +
        ' (' + t.protocol + ')', 'small'));
    }
    var table = el('table', undefined, 't');
    var head = el('tr');
    ['entry', 'kind', '', 'why'].forEach(function (h) { head.appendChild(el('th', h)); });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    if (!j.entries.length) {
      var none = el('tr');
      none.appendChild(el('td', 'the gateway has no ' + (j.direction === 'inbound' ? 'DNAT' : 'SNAT') + ' entries'))
        .colSpan = 4;
      body.appendChild(none);
    }
    j.entries.forEach(function (c) {
      var tr = el('tr', undefined, c.matched ? 'hit' : '');
      tr.appendChild(el('td')).appendChild(el('code', c.entry_id));
      tr.appendChild(el('td', c.kind));
      tr.appendChild(el('td', c.matched ? '✓' : '✗'));
      tr.appendChild(el('td', c.reason));
      body.appendChild(tr);
    });
    out.appendChild(table);
  }

  document.getElementById('trace-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = ev.target.elements;
    var gw = f.nat_gateway_id.value.trim();
    var body = {
      nat_gateway_id: gw, direction: f.direction.value, protocol: f.protocol.value,
      src_ip: f.src_ip.value.trim(), src_port: port(f.src_port.value),
      dst_ip: f.dst_ip.value.trim(), dst_port: port(f.dst_port.value)
    };
    var opt = gatewayOption(gw);
    var account = opt ? opt.dataset.account : here.get('account');
    var region = opt ? opt.dataset.region : here.get('region');
    if (account) body.account = account;
    if (region) body.region = region;
    var out = document.getElementById('trace-result');
    api('POST', '/nat/trace', body).then(showTrace).catch(function (e) {
      out.replaceChildren(el('p', 'trace failed: ' + e.message, 'verdict bad'));
    });
  });

  document.getElementById('fault-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = ev.target.elements;
    var rule = { match: {} };
    ['action', 'resource_id', 'account', 'region'].forEach(function (k) {
      var v = f[k].value.trim();
      if (v) rule.match[k] = v;
    });
    var err = f.error.value;
    var msg = f.message.value.trim();
    if (err) rule.error = msg ? { preset: err, message: msg } : err;
    var lat = f.latency_ms.value.trim();
    if (lat) rule.latency_ms = Number(lat);
    var when = f.when.value;
    var wv = f.when_value.value.trim();
    if (when) {
      rule.when = {};
      rule.when[when] = Number(wv);
    }
    api('POST', '/faults', rule)
      .then(function (j) { flash('added fault rule ' + j.id, false); })
      .catch(function (e) { flash('fault rule refused: ' + e.message, true); })
      .then(refresh);
  });

  // Remember the auto-refresh choice for this tab.
  try {
    if (sessionStorage.getItem('nat-ui-autorefresh') === 'off') autoEl.checked = false;
    autoEl.addEventListener('change', function () {
      sessionStorage.setItem('nat-ui-autorefresh', autoEl.checked ? 'on' : 'off');
      if (autoEl.checked) refresh();
    });
  } catch (e) { /* storage unavailable */ }

  document.querySelectorAll('[data-slot]').forEach(function (s) { lastHtml[s.getAttribute('data-slot')] = null; });
  setStatus('live: refreshing every ' + REFRESH_MS / 1000 + ' s', false);
  schedule();
})();
