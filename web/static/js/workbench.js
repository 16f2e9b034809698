// Draws each process diagram with the bpmn-js navigated viewer and marks the path taken.
(function () {
  "use strict";

  function mark(viewer, ids, cls) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    ids.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, cls); }
    });
  }

  function draw(box) {
    fetch(box.dataset.diagramUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(resp.status); }
        return resp.json();
      })
      .then(function (data) {
        box.innerHTML = "";
        var viewer = new window.BpmnJS({ container: box });
        return viewer.importXML(data.xml).then(function () {
          viewer.get("canvas").zoom("fit-viewport");
          mark(viewer, data.completed, "wb-done");
          mark(viewer, data.current, "wb-current");
          box.dataset.ready = "1";
        });
      })
      .catch(function () {
        box.innerHTML = '<p class="muted">流程图暂时无法显示。</p>';
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.BpmnJS) { return; }
    document.querySelectorAll(".wb-diagram[data-diagram-url]").forEach(draw);
  });
})();

// "全选" boxes: <input type="checkbox" data-check-all="ids"> ticks every box named "ids" in its form.
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var name = e.target.getAttribute && e.target.getAttribute("data-check-all");
    if (!name) { return; }
    e.target.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = e.target.checked;
    });
  });
})();
