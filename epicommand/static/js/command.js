// Command-centre page: new cases, recoveries and deaths per day (ECharts), from a json_script block.
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  var node = document.getElementById("command-trend");
  var points = data("command-trend-data");
  var labels = data("command-labels") || {};
  if (!node || !points || typeof echarts === "undefined") return;
  var chart = echarts.init(node);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 36, right: 12, top: 36, bottom: 28 },
    xAxis: { type: "category", data: points.days },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: labels.opened, type: "bar", data: points.opened, itemStyle: { color: "#dc3545" } },
      { name: labels.recovered, type: "line", data: points.recovered, showSymbol: false, itemStyle: { color: "#198754" } },
      { name: labels.died, type: "line", data: points.died, showSymbol: false, itemStyle: { color: "#212529" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
