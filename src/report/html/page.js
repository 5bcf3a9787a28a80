(function () {
  'use strict';
  var order = { LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };
  var severity = document.getElementById('f-severity');
  var namespace = document.getElementById('f-namespace');
  var rule = document.getElementById('f-rule');
  // Only a fleet's page has a cluster filter.
  var cluster = document.getElementById('f-cluster');
  var shown = document.getElementById('shown');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-severity]'));
  var sections = Array.prototype.slice.call(document.querySelectorAll('section[data-filtered]'));
  var namespaces = rows.map(function (row) {
    try { return JSON.parse(row.getAttribute('data-ns') || '[]'); } catch (e) { return []; }
  });

  function matches(i) {
    var row = rows[i];
    var s = severity.value, n = namespace.value, r = rule.value;
    if (cluster && cluster.value && row.getAttribute('data-cluster') !== cluster.value) { return false; }
    if (s && order[row.getAttribute('data-severity')] < order[s]) { return false; }
    if (r && row.getAttribute('data-rule') !== r) { return false; }
    if (n === '*') { return row.getAttribute('data-scope') === 'cluster'; }
    if (n) { return row.getAttribute('data-scope') === 'cluster' || namespaces[i].indexOf(n) >= 0; }
    return true;
  }

  function apply() {
    var findings = 0;
    rows.forEach(function (row, i) {
      var ok = matches(i);
      row.hidden = !ok;
      if (ok && row.hasAttribute('data-finding')) { findings += 1; }
    });
    sections.forEach(function (section) {
      var visible = section.querySelectorAll('tr[data-severity]:not([hidden])').length;
      section.hidden = visible === 0;
      var count = section.querySelector('.count');
      if (count) { count.textContent = String(visible); }
    });
    shown.textContent = String(findings);
    var state = [];
    [['cluster', cluster], ['severity', severity], ['namespace', namespace], ['rule', rule]].forEach(function (pair) {
      if (pair[1] && pair[1].value) { state.push(pair[0] + '=' + encodeURIComponent(pair[1].value)); }
    });
    try { history.replaceState(null, '', '#' + state.join('&')); } catch (e) { /* a page without history */ }
  }

  // A link with #severity=HIGH&namespace=ci opens with those filters.
  location.hash.replace(/^#/, '').split('&').forEach(function (part) {
    var kv = part.split('=');
    var select = { cluster: cluster, severity: severity, namespace: namespace, rule: rule }[kv[0]];
    if (!select || kv.length !== 2) { return; }
    var value = decodeURIComponent(kv[1]);
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === value) { select.value = value; }
    }
  });
  [cluster, severity, namespace, rule].forEach(function (select) {
    if (select) { select.addEventListener('change', apply); }
  });
  apply();
}());
