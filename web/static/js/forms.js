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
    // Text typed before this deferred script ran (a slow phone, a busy machine) fired no
    // "input" event we could hear: search for it now instead of waiting for the next key.
    if (input.value.trim()) search(picker);
  }

  /* ---- rich text (textarea.richtext -> a small editor; the server sanitises what is sent) ---- */

  var RICH_TAGS = ["P", "BR", "STRONG", "EM", "U", "OL", "UL", "LI", "H3", "H4", "SPAN", "A",
    "TABLE", "CAPTION", "THEAD", "TBODY", "TFOOT", "TR", "TH", "TD"];
  var RICH_RENAME = { B: "STRONG", I: "EM", DIV: "P", H1: "H3", H2: "H3" };
  var RICH_BUTTONS = [
    ["p", "正文段落", "formatBlock"], ["h3", "标题", "formatBlock"], ["h4", "小标题", "formatBlock"],
    ["bold", "加粗", "bold"], ["insertOrderedList", "编号列表", "list"],
    ["insertUnorderedList", "项目列表", "list"]
  ];

  // Copy only whitelisted elements (attributes dropped, links kept if http/https) into `into`.
  function copyClean(from, into) {
    from.childNodes.forEach(function (node) {
      if (node.nodeType === Node.TEXT_NODE) { into.appendChild(document.createTextNode(node.data)); return; }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      var tag = RICH_RENAME[node.tagName] || node.tagName;
      if (tag === "SCRIPT" || tag === "STYLE") return;
      if (RICH_TAGS.indexOf(tag) < 0) { copyClean(node, into); return; }
      var copy = document.createElement(tag);
      var href = node.getAttribute("href");
      if (tag === "A" && href && /^https?:/i.test(href)) copy.setAttribute("href", href);
      into.appendChild(copy);
      copyClean(node, copy);
    });
  }

  var RICH_BLOCKS = ["P", "OL", "UL", "H3", "H4", "TABLE"];

  function cleanHtml(html) {
    var parsed = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    var box = document.createElement("div");
    copyClean(parsed.body, box);
    // Loose text at the top (typed into an empty editor) becomes a paragraph of its own.
    var out = document.createElement("div");
    var para = null;
    Array.prototype.slice.call(box.childNodes).forEach(function (node) {
      if (node.nodeType === Node.ELEMENT_NODE && RICH_BLOCKS.indexOf(node.tagName) >= 0) {
        out.appendChild(node); para = null; return;
      }
      if (!para) { para = document.createElement("p"); out.appendChild(para); }
      para.appendChild(node);
    });
    return out.innerHTML;
  }

  function initRichText(textarea) {
    var label = document.querySelector('label[for="' + CSS.escape(textarea.id) + '"]');
    var toolbar = document.createElement("div");
    toolbar.className = "richtext-toolbar"; toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", (label ? label.textContent.trim() : "正文") + "格式");
    var editor = document.createElement("div");
    editor.className = "richtext-editor"; editor.contentEditable = "true";
    editor.setAttribute("role", "textbox"); editor.setAttribute("aria-multiline", "true");
    if (label) { label.id = label.id || textarea.id + "-label"; editor.setAttribute("aria-labelledby", label.id); }
    ["aria-describedby", "aria-invalid"].forEach(function (a) {
      if (textarea.hasAttribute(a)) editor.setAttribute(a, textarea.getAttribute(a));
    });
    editor.style.minHeight = (parseInt(textarea.getAttribute("rows"), 10) || 8) * 1.6 + "em";
    editor.innerHTML = cleanHtml(textarea.value);
    RICH_BUTTONS.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button"; button.className = "btn secondary small"; button.textContent = b[1];
      button.addEventListener("click", function () {
        editor.focus();
        if (b[2] === "formatBlock") document.execCommand("formatBlock", false, b[0]);
        else document.execCommand(b[0]);
        sync();
      });
      toolbar.appendChild(button);
    });
    editor.addEventListener("focus", function () {
      document.execCommand("defaultParagraphSeparator", false, "p");
    });
    function sync() { textarea.value = cleanHtml(editor.innerHTML); }
    editor.addEventListener("input", sync);
    textarea.form.addEventListener("submit", sync);
    textarea.hidden = true;
    textarea.removeAttribute("required");  // the server still checks a required 正文
    textarea.after(toolbar, editor);
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
    form.querySelectorAll("textarea.richtext").forEach(initRichText);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.oa-form").forEach(initForm);
  });
})();
