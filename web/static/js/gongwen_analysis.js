// 公文办理分析: draws the two bar charts from the JSON the page embeds (ECharts, no build step).
(function () {
  "use strict";

  function bar(id, labels, series, unit) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) return;
    var chart = window.echarts.init(element);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 20, bottom: 90, top: 40 },
      xAxis: { type: "category", data: labels, axisLabel: { rotate: 30, interval: 0 } },
      yAxis: { type: "value", name: unit },
      series: series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("analysis-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    bar("chart-duration", data.labels, [
      { name: "平均用时", data: data.avg_hours },
      { name: "P90用时", data: data.p90_hours },
    ], "小时");
    bar("chart-overdue", data.labels, [{ name: "超期率", data: data.overdue_percent }], "%");
  });
})();
