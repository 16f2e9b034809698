/* JSON-Schema forms: conditional sections, table rows, org pickers. Plain JS, no build step.
   The server renders every control and validates every submission; this file only makes the
   page nicer: without it, all sections show (the server ignores hidden ones) and tables offer
   one blank row per submission. */
(function () {
  "use strict";

  /* ---- conditional sections (x-showIf) ---- */

  function currentValue(form, name) {
    var controls = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
    for (var i = 0; i < controls.length; i++) {
      var c = controls[i];
      if (c.type === "checkbox" && controls.length === 1) return c.checked ? "true" : "false";
      if (c.type === "radio" || c.type === "checkbox") { if (c.checked) return c.value; continue; }
      return c.value;
    }
    return "";
  }

  function asControlValue(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function applyConditions(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (block) {
      var rule = JSON.parse(block.getAttribute("data-show-if"));
      var visible = currentValue(form, rule.field) === asControlValue(rule.equals);
      block.hidden = !visible;
      // Disabled controls are neither validated by the browser nor submitted.
      block.querySelectorAll("input, select, textarea, button").forEach(function (c) {
        c.disabled = !visible;
      });
    });
  }

  /* ---- table rows ---- */

  function addRow(table) {
    var template = table.querySelector("template");
    var index = parseInt(table.getAttribute("data-next-row"), 10) || 0;
    var html = template.innerHTML.split("__i__").join(String(index))
      .split("__n__").join(String(index + 1));
    table.querySelector("tbody").insertAdjacentHTML("beforeend", html);
    table.setAttribute("data-next-row", String(index + 1));
    var first = table.querySelector("tbody tr:last-child input, tbody tr:last-child select");
    if (first) first.focus();
  }

  function removeRow(button) {
    var row = button.closest("tr");
    var table = button.closest("[data-table]");
    if (table.querySelectorAll("tbody tr").length > 1) { row.remove(); return; }
    // Keep one row to type into: clearing it is what removes it on the server.
    row.querySelectorAll("input, select, textarea").forEach(function (c) {
      if (c.type === "checkbox") c.checked = false; else c.value = "";
    });
  }

  /* ---- org pickers ---- */

  function itemLabel(kind, item) {
    if (kind === "user") {
      var where = [item.unit, item.department, item.position].filter(Boolean).join(" · ");
      return item.name + (where ? "（" + where + "）" : "");
    }
    if (kind === "department") return (item.unit ? item.unit + " · " : "") + item.name;
    return item.name;
  }

  function addChip(picker, id, label) {
    var name = picker.getAttribute("data-name");
    var chips = picker.querySelector(".picker-chips");
    if (picker.getAttribute("data-multiple") !== "true") chips.innerHTML = "";
    if (chips.querySelector('input[value="' + id + '"]')) return;
    var li = document.createElement("li");
    li.className = "chip";
    var text = document.createElement("span");
    text.textContent = label;
    var hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = name; hidden.value = String(id);
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "chip-remove"; remove.textContent = "×";
    remove.setAttribute("aria-label", "移除 " + label);
    li.append(text, hidden, remove);
    chips.appendChild(li);
  }

  function showResults(picker, items, onPick) {
    var list = picker.querySelector(".picker-results");
    var search = picker.querySelector(".picker-search");
    list.innerHTML = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "picker-empty"; none.textContent = "没有找到匹配的结果";
      list.appendChild(none);
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.setAttribute("role", "option"); li.tabIndex = -1;
      li.textContent = item.label;
      li.addEventListener("click", function () { onPick(item); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); onPick(item); } });
      list.appendChild(li);
    });
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
  }

  function closeResults(picker) {
    picker.querySelector(".picker-results").hidden = true;
    picker.querySelector(".picker-search").setAttribute("aria-expanded", "false");
  }

  function fetchItems(url, kind) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) {
        return (body.items || []).map(function (item) {
          return { id: item.id, label: itemLabel(kind, item), raw: item };
        });
      });
  }

  function search(picker) {
    var kind = picker.getAttribute("data-kind");
    var q = picker.querySelector(".picker-search").value.trim();
    if (!q) { closeResults(picker); return; }
    if (kind === "department") {
      // Departments are listed per unit: find the unit first, then pick one of its departments.
      var unitsUrl = picker.getAttribute("data-endpoint").replace(/departments$/, "units");
      fetchItems(unitsUrl + "?q=" + encodeURIComponent(q), "unit").then(function (units) {
        showResults(picker, units.map(function (u) { return { id: u.id, label: u.label + " ▸" }; }), function (unit) {
          fetchItems(picker.getAttribute("data-endpoint") + "?unit_id=" + unit.id, kind).then(function (deps) {
            showResults(picker, deps, function (d) { addChip(picker, d.id, d.label); closeResults(picker); });
          });
        });
      });
      return;
    }
    fetchItems(picker.getAttribute("data-endpoint") + "?q=" + encodeURIComponent(q), kind).then(function (items) {
      showResults(picker, items, function (item) {
        addChip(picker, item.id, item.label);
        closeResults(picker);
        picker.querySelector(".picker-search").value = "";
      });
    });
  }

  function initPicker(picker) {
    var input = picker.querySelector(".picker-search");
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { search(picker); }, 250);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); search(picker); }
      if (e.key === "ArrowDown") {
        var first = picker.querySelector('.picker-results [role="option"]');
        if (first) { e.preventDefault(); first.focus(); }
      }
      if (e.key === "Escape") closeResults(picker);
    });
    picker.addEventListener("click", function (e) {
      if (e.target.classList.contains("chip-remove")) e.target.closest(".chip").remove();
    });
  }

  /* ---- wiring ---- */

  function initForm(form) {
    applyConditions(form);
    form.addEventListener("change", function () { applyConditions(form); });
    form.addEventListener("click", function (e) {
      if (e.target.matches("[data-add-row]")) addRow(e.target.closest("[data-table]"));
      if (e.target.matches("[data-remove-row]")) removeRow(e.target);
    });
    form.querySelectorAll("[data-picker]").forEach(initPicker);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.oa-form").forEach(initForm);
  });
})();
