// Coverage page: the weekly trend (ECharts) and the commune map (Leaflet, no tile server: circle markers
// at the communes' coordinates). Data come from json_script blocks written by the template.
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  var labels = data("coverage-labels") || {};
  var threshold = data("coverage-threshold") || 0;
  var LOW = "#dc3545", HIGH = "#198754", NONE = "#adb5bd";

  function trend() {
    var node = document.getElementById("coverage-trend");
    var points = data("coverage-trend-data") || [];
    if (!node || typeof echarts === "undefined") return;
    if (!points.length) {
      node.style.height = "auto";
      node.textContent = labels.no_data;
      node.className += " text-muted small";
      return;
    }
    var chart = echarts.init(node);
    var stages = ["first", "primary", "booster"];
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 12, top: 36, bottom: 28 },
      xAxis: { type: "category", data: points.map(function (p) { return p.day; }) },
      yAxis: { type: "value", min: 0, max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); },
               axisLabel: { formatter: "{value}%" } },
      series: stages.map(function (s, i) {
        var series = { name: labels[s], type: "line", showSymbol: points.length < 30,
                       data: points.map(function (p) { return p[s]; }) };
        if (i === 0) {
          series.markLine = { symbol: "none", lineStyle: { type: "dashed", color: LOW },
                              label: { formatter: labels.threshold, position: "insideEndTop" },
                              data: [{ yAxis: Math.round(threshold * 1000) / 10 }] };
        }
        return series;
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function map() {
    var node = document.getElementById("coverage-map");
    var points = data("coverage-points") || [];
    if (!node || typeof L === "undefined") return;
    if (!points.length) {
      node.style.height = "auto";
      node.textContent = labels.no_data;
      node.className += " text-muted small p-2";
      return;
    }
    var m = L.map(node, { attributionControl: false, zoomSnap: 0.25 });
    var bounds = [];
    points.forEach(function (p) {
      var colour = p.share === null ? NONE : (p.share < threshold ? LOW : HIGH);
      var marker = L.circleMarker([p.lat, p.lon], { radius: 9, color: "#333", weight: 1, fillColor: colour,
                                                     fillOpacity: 0.85 }).addTo(m);
      var tip = document.createElement("div");
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.name;
      tip.appendChild(link);
      tip.appendChild(document.createElement("br"));
      tip.appendChild(document.createTextNode(p.label + " (" + p.first + " / " + p.target + ")"));
      marker.bindPopup(tip);
      // A few communes: names always shown (there is no base map to find them by); many: on hover.
      // A DOM node, not a string: Leaflet inserts a string as HTML, and a commune's name is data.
      var label = document.createElement("span");
      label.textContent = p.name + ": " + p.label;
      marker.bindTooltip(label, { permanent: points.length <= 12, direction: "top" });
      bounds.push([p.lat, p.lon]);
    });
    m.fitBounds(bounds, { paddingTopLeft: [80, 40], paddingBottomRight: [80, 20], maxZoom: 11 });
    var legend = document.getElementById("coverage-legend");
    if (legend) {
      [[LOW, labels.low], [HIGH, labels.high], [NONE, labels.no_data]].forEach(function (item) {
        var span = document.createElement("span");
        span.className = "me-3 text-nowrap";
        var dot = document.createElement("span");
        dot.style.cssText = "display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.3em;" +
          "border:1px solid #333;background:" + item[0];
        span.appendChild(dot);
        span.appendChild(document.createTextNode(item[1]));
        legend.appendChild(span);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { trend(); map(); });
})();
