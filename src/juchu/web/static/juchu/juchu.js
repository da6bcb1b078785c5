// Juchu's few behaviours, wired by data-attributes so the pages need no inline script (CSP script-src 'self').
//   data-confirm="…"        on a form: ask before submitting; on a button: ask before its click submits
//   data-select-all="NAME"  a checkbox that ticks every checkbox named NAME
//   data-autosubmit         a select that submits its form when changed (the language switch)
//   data-deadline="ISO"     a countdown to that moment (units from data-unit-h/-m/-s), ticking every second
//   data-reload="SECONDS"   on <body> or any element: reload the page after that many seconds
//   data-list-for="ID"      a <datalist> that offers its options to the input with that id
//   data-add-row="TEMPLATE" a button that appends the <template id=TEMPLATE> to data-rows, numbering it
//                           with the formset counter named by data-total (replaces __prefix__)
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-confirm], input[data-confirm]");
    if (button && !button.form?.hasAttribute("data-confirm") && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[type=checkbox][data-select-all]")) {
      var name = target.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    } else if (target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (!button) {
      return;
    }
    var template = document.getElementById(button.getAttribute("data-add-row"));
    var total = document.getElementById(button.getAttribute("data-total"));
    var rows = document.querySelector(button.getAttribute("data-rows"));
    if (!template || !total || !rows) {
      return;
    }
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, total.value));
    total.value = parseInt(total.value, 10) + 1;
  });

  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.max(0, Math.floor((new Date(el.dataset.deadline) - new Date()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (h ? h + (el.dataset.unitH || "h") : "") + m + (el.dataset.unitM || "m") +
        String(s).padStart(2, "0") + (el.dataset.unitS || "s");
    });
  }

  function start() {
    document.querySelectorAll("datalist[data-list-for]").forEach(function (list) {
      var input = document.getElementById(list.getAttribute("data-list-for"));
      if (input) {
        input.setAttribute("list", list.id);
      }
    });
    if (document.querySelector("[data-deadline]")) {
      tick();
      window.setInterval(tick, 1000);
    }
    var reload = document.querySelector("[data-reload]");
    if (reload) {
      window.setTimeout(function () { window.location.reload(); }, 1000 * parseFloat(reload.getAttribute("data-reload")));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
