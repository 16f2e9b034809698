/* 流程设计: the bpmn-js modeler, our small properties panel, drafts, 校验 and 部署.
   Also the form JSON editor's live preview. No build step: plain ES2017 in the browser. */
(function () {
  "use strict";

  var SPIFF_FIELDS = [
    ["assignee", "办理人规则", "如 starter、dept_head:starter_department、role:registrar"],
    ["formKey", "表单标识", "对应 forms/<表单标识>.json，留空用通用办理意见表单"],
    ["dueIn", "办理期限", "ISO-8601 时长，如 P3D、PT4H"],
    ["priority", "优先级", "整数"],
    ["title", "待办标题", "Python 表达式，如 f'请假审批：{days} 天'"]
  ];
  var HUMAN_TASKS = ["bpmn:UserTask", "bpmn:ManualTask"];

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function errorText(data) {
    return (data && data.error && data.error.message) || "操作失败，请稍后重试。";
  }

  // ------------------------------------------------------------------ extension elements

  function Extensions(modeler) {
    this.moddle = modeler.get("moddle");
    this.modeling = modeler.get("modeling");
  }

  Extensions.prototype.find = function (bo, type) {
    var ext = bo.extensionElements;
    return ext ? (ext.get("values") || []).filter(function (v) { return v.$instanceOf(type); })[0] : null;
  };

  Extensions.prototype.container = function (element) {
    var bo = element.businessObject;
    var ext = bo.extensionElements;
    if (!ext) {
      ext = this.moddle.create("bpmn:ExtensionElements", { values: [] });
      ext.$parent = bo;
    }
    return ext;
  };

  Extensions.prototype.child = function (ext, type, attrs) {
    var found = this.find({ extensionElements: ext }, type);
    if (!found) {
      found = this.moddle.create(type, attrs);
      found.$parent = ext;
      ext.get("values").push(found);
    }
    return found;
  };

  Extensions.prototype.readProperties = function (element) {
    var props = this.find(element.businessObject, "spiffworkflow:Properties");
    var values = {};
    ((props && props.get("properties")) || []).forEach(function (p) { values[p.name] = p.value; });
    return values;
  };

  // Names the panel does not manage are kept as they were.
  Extensions.prototype.writeProperty = function (element, name, value) {
    var ext = this.container(element);
    var props = this.child(ext, "spiffworkflow:Properties", { properties: [] });
    var list = props.get("properties").filter(function (p) { return p.name !== name; });
    if (value !== "") {
      var property = this.moddle.create("spiffworkflow:Property", { name: name, value: value });
      property.$parent = props;
      list.push(property);
    }
    props.properties = list;
    this.modeling.updateProperties(element, { extensionElements: ext });
  };

  Extensions.prototype.readOperator = function (element) {
    var op = this.find(element.businessObject, "spiffworkflow:ServiceTaskOperator");
    var params = (op && op.parameterList && op.parameterList.get("parameters")) || [];
    return {
      id: (op && op.id) || "",
      resultVariable: (op && op.resultVariable) || "",
      parameters: params.map(function (p) { return { id: p.id || "", type: p.type || "str", value: p.value || "" }; })
    };
  };

  Extensions.prototype.writeOperator = function (element, operator) {
    var moddle = this.moddle;
    var ext = this.container(element);
    var op = this.child(ext, "spiffworkflow:ServiceTaskOperator", {});
    op.id = operator.id;
    op.resultVariable = operator.resultVariable || undefined;
    var list = moddle.create("spiffworkflow:Parameters", { parameters: [] });
    list.$parent = op;
    operator.parameters.filter(function (p) { return p.id; }).forEach(function (p) {
      var param = moddle.create("spiffworkflow:Parameter", p);
      param.$parent = list;
      list.get("parameters").push(param);
    });
    op.parameterList = list;
    this.modeling.updateProperties(element, { extensionElements: ext });
  };

  // ------------------------------------------------------------------ properties panel

  function Panel(modeler, root) {
    this.modeler = modeler;
    this.ext = new Extensions(modeler);
    this.body = root.querySelector("#props-body");
    this.empty = root.querySelector("#props-empty");
    this.element = null;
  }

  Panel.prototype.show = function (element) {
    this.element = element;
    this.body.innerHTML = "";
    var visible = element && element.type !== "label" && element.businessObject;
    this.body.hidden = !visible;
    this.empty.hidden = !!visible;
    if (!visible) { return; }
    var bo = element.businessObject;
    this.body.appendChild(el("p", { "class": "muted" }, bo.$type.replace("bpmn:", "") + " · " + bo.id));
    this.field("name", "名称", bo.name || "", "", this.setName.bind(this));
    if (HUMAN_TASKS.indexOf(bo.$type) >= 0) { this.humanTask(element); }
    if (bo.$type === "bpmn:ServiceTask") { this.serviceTask(element); }
    if (bo.$type === "bpmn:SequenceFlow") { this.sequenceFlow(element); }
  };

  Panel.prototype.field = function (key, label, value, hint, onChange, multiline) {
    var id = "prop-" + key;
    var wrap = el("div", { "class": "field" });
    wrap.appendChild(el("label", { "for": id }, label));
    var input = el(multiline ? "textarea" : "input", { id: id, name: key, type: "text", rows: "2" });
    input.value = value;
    input.addEventListener("change", function () { onChange(input.value.trim()); });
    wrap.appendChild(input);
    if (hint) { wrap.appendChild(el("div", { "class": "hint" }, hint)); }
    this.body.appendChild(wrap);
    return input;
  };

  Panel.prototype.setName = function (value) {
    this.modeler.get("modeling").updateLabel(this.element, value);
  };

  Panel.prototype.humanTask = function (element) {
    var values = this.ext.readProperties(element);
    var ext = this.ext;
    this.body.appendChild(el("h3", {}, "任务属性"));
    SPIFF_FIELDS.forEach(function (spec) {
      this.field(spec[0], spec[1], values[spec[0]] || "", spec[2], function (value) {
        ext.writeProperty(element, spec[0], value);
      });
    }, this);
  };

  Panel.prototype.serviceTask = function (element) {
    var op = this.ext.readOperator(element);
    var save = function () { this.ext.writeOperator(element, op); }.bind(this);
    this.body.appendChild(el("h3", {}, "服务调用"));
    this.field("operator", "服务名称", op.id, "已注册的服务，如 numbering.reserve", function (v) { op.id = v; save(); });
    this.field("resultVariable", "结果变量", op.resultVariable, "服务返回值存入的流程变量", function (v) { op.resultVariable = v; save(); });
    this.parameters(op, save);
  };

  Panel.prototype.parameters = function (op, save) {
    var table = el("table", { "class": "studio-params" });
    table.appendChild(el("caption", {}, "服务参数（value 为 Python 表达式）"));
    var head = el("tr");
    ["参数名", "类型", "值", ""].forEach(function (t) { head.appendChild(el("th", {}, t)); });
    table.appendChild(head);
    var render = function () {
      while (table.rows.length > 1) { table.deleteRow(1); }
      op.parameters.forEach(function (param, index) {
        var row = table.insertRow();
        ["id", "type", "value"].forEach(function (key) {
          var input = el("input", { type: "text", "aria-label": "参数" + (index + 1) + " " + key });
          input.value = param[key];
          input.addEventListener("change", function () { param[key] = input.value.trim(); save(); });
          row.insertCell().appendChild(input);
        });
        var remove = el("button", { type: "button", "class": "link" }, "删除");
        remove.addEventListener("click", function () { op.parameters.splice(index, 1); save(); render(); });
        row.insertCell().appendChild(remove);
      });
    };
    render();
    var add = el("button", { type: "button", "class": "btn secondary" }, "添加参数");
    add.addEventListener("click", function () { op.parameters.push({ id: "", type: "str", value: "" }); render(); });
    this.body.appendChild(table);
    this.body.appendChild(add);
  };

  Panel.prototype.sequenceFlow = function (element) {
    var bo = element.businessObject;
    var modeler = this.modeler;
    var current = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
    this.field("condition", "条件表达式", current, "Python 表达式，如 days > 3；留空为无条件", function (value) {
      var expression = value ? modeler.get("moddle").create("bpmn:FormalExpression", { body: value }) : undefined;
      modeler.get("modeling").updateProperties(element, { conditionExpression: expression });
    }, true);
  };

  // ------------------------------------------------------------------ modeler page

  function Studio(data) {
    this.data = data;
    this.status = document.getElementById("studio-status");
    this.modeler = new window.BpmnJS({
      container: "#canvas",
      keyboard: { bindTo: document },
      moddleExtensions: { spiffworkflow: data.moddle }
    });
    this.panel = new Panel(this.modeler, document.getElementById("props"));
    this.marked = [];
  }

  Studio.prototype.say = function (text, kind) {
    this.status.textContent = text;
    this.status.className = "studio-status " + (kind || "");
  };

  Studio.prototype.open = function () {
    var self = this;
    return this.modeler.importXML(this.data.xml).then(function (result) {
      self.fit();
      if (result.warnings && result.warnings.length) {
        self.say("流程图已打开，有 " + result.warnings.length + " 条导入警告（见浏览器控制台）。", "warn");
      }
      self.wire();
    }).catch(function (err) {
      self.say("流程图无法打开：" + err.message, "bad");
    });
  };

  // Like "fit-viewport", but leaving room for the palette on the left so no node hides under it.
  Studio.prototype.fit = function () {
    var canvas = this.modeler.get("canvas");
    var box = canvas.viewbox();
    var inner = box.inner, outer = box.outer;
    var left = 130, margin = 24;
    var scale = Math.min((outer.width - left - margin) / inner.width,
                         (outer.height - 2 * margin) / inner.height, 1);
    canvas.viewbox({
      x: inner.x - left / scale, y: inner.y - margin / scale,
      width: outer.width / scale, height: outer.height / scale
    });
  };

  Studio.prototype.wire = function () {
    var panel = this.panel;
    var modeler = this.modeler;
    modeler.on("selection.changed", function (event) {
      panel.show(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    modeler.on("element.changed", function (event) {
      if (panel.element && event.element === panel.element && !panel.body.contains(document.activeElement)) {
        panel.show(event.element);
      }
    });
    document.getElementById("btn-save").addEventListener("click", this.save.bind(this));
    document.getElementById("btn-validate").addEventListener("click", this.validate.bind(this));
    document.getElementById("btn-deploy").addEventListener("click", this.deploy.bind(this));
    document.getElementById("btn-download").addEventListener("click", this.download.bind(this));
  };

  Studio.prototype.xml = function () {
    return this.modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
  };

  Studio.prototype.body = function (xml) {
    return {
      xml: xml,
      name: document.getElementById("doc-name").value,
      filename: document.getElementById("doc-filename").value,
      draft_id: this.data.draftId,
      source: this.data.source,
      comment: document.getElementById("deploy-comment").value
    };
  };

  Studio.prototype.save = function () {
    var self = this;
    return this.xml().then(function (xml) { return postJson(self.data.urls.save, self.body(xml)); })
      .then(function (reply) {
        if (reply.status !== 200) { self.say(errorText(reply.data), "bad"); return; }
        self.data.draftId = reply.data.id;
        window.history.replaceState(null, "", self.data.urls.model + "?draft=" + reply.data.id);
        self.say(reply.data.message + "（草稿编号 " + reply.data.id + "）", "ok");
      });
  };

  Studio.prototype.clearMarks = function () {
    var canvas = this.modeler.get("canvas");
    this.modeler.get("overlays").remove({ type: "studio-error" });
    this.marked.forEach(function (id) { canvas.removeMarker(id, "studio-error"); });
    this.marked = [];
  };

  Studio.prototype.showMessages = function (messages) {
    var registry = this.modeler.get("elementRegistry");
    var canvas = this.modeler.get("canvas");
    var overlays = this.modeler.get("overlays");
    var list = document.getElementById("messages-list");
    list.innerHTML = "";
    this.clearMarks();
    messages.forEach(function (m) {
      var where = m.element_id ? (m.element_name ? m.element_name + "（" + m.element_id + "）" : m.element_id) : m.file;
      list.appendChild(el("li", {}, where + "：" + m.message));
      if (m.element_id && registry.get(m.element_id)) {
        canvas.addMarker(m.element_id, "studio-error");
        overlays.add(m.element_id, "studio-error", {
          position: { top: -10, right: 10 },
          html: el("div", { "class": "studio-badge", title: m.message }, "!")
        });
        this.marked.push(m.element_id);
      }
    }, this);
    document.getElementById("studio-messages").hidden = messages.length === 0;
  };

  Studio.prototype.validate = function () {
    var self = this;
    self.say("正在校验……");
    return this.xml().then(function (xml) { return postJson(self.data.urls.validate, self.body(xml)); })
      .then(function (reply) {
        if (reply.status !== 200) { self.say(errorText(reply.data), "bad"); return; }
        self.showMessages(reply.data.messages);
        self.say(reply.data.ok ? "校验通过，没有发现问题。" : "校验发现 " + reply.data.messages.length + " 个问题，已在图上标出。",
                 reply.data.ok ? "ok" : "bad");
      });
  };

  Studio.prototype.deploy = function () {
    var self = this;
    self.say("正在部署……");
    return this.xml().then(function (xml) { return postJson(self.data.urls.deploy, self.body(xml)); })
      .then(function (reply) {
        if (reply.status === 422 && reply.data.messages) {
          self.showMessages(reply.data.messages);
          self.say("部署失败：校验发现 " + reply.data.messages.length + " 个问题。", "bad");
          return;
        }
        if (reply.status !== 201) { self.say(errorText(reply.data), "bad"); return; }
        self.showMessages([]);
        self.say("已部署：" + reply.data.deployed.map(function (d) {
          return d.name + "（" + d.key + "）v" + d.version + (d.created ? "" : "，内容未变，未产生新版本");
        }).join("；"), "ok");
      });
  };

  Studio.prototype.download = function () {
    var filename = document.getElementById("doc-filename").value || "process.bpmn";
    return this.xml().then(function (xml) {
      var link = el("a", { href: URL.createObjectURL(new Blob([xml], { type: "application/xml" })), download: filename });
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  };

  // ------------------------------------------------------------------ form JSON editor

  function formEditor(root) {
    var textarea = root.querySelector("#form-json");
    var preview = root.querySelector("#form-preview");
    var problem = root.querySelector("#form-problem");
    var timer = null;
    var refresh = function () {
      postJson(root.dataset.previewUrl, { text: textarea.value }).then(function (reply) {
        problem.textContent = reply.data.ok ? "" : (reply.data.message || errorText(reply.data));
        if (reply.data.ok) { preview.innerHTML = reply.data.html; }
      });
    };
    // The preview only shows the form; submitting it would leave the editor.
    preview.addEventListener("submit", function (event) { event.preventDefault(); });
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var data = document.getElementById("studio-data");
    if (data) {
      var studio = new Studio(JSON.parse(data.textContent));
      window.oaStudio = studio;  // browser tests drive the modeler through this handle
      studio.ready = studio.open();
    }
    var forms = document.querySelector(".form-studio");
    if (forms) { formEditor(forms); }
  });
})();
