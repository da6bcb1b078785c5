// The update-task editor (設定 › 更新タスク), wired by data-attributes so the page needs no inline script.
//   select[data-action-kind]   a row's kind: shows the row's .param elements whose data-kinds list it
//   button[data-move=up|down]  moves its row; the rows' 順 inputs (data-action-order) are renumbered 1..n
//   input[data-action-delete]  greys its row out while ticked (the row is dropped on save)
//   [data-add-row][data-max-rows]  juchu.js adds the row; here it is shown for its kind and numbered, and the
//                              button is disabled once the task has data-max-rows rows
// Without this file every input shows and the 順 numbers are typed by hand; the server checks the same.
(function () {
  "use strict";

  function showFor(row) {
    var select = row.querySelector("select[data-action-kind]");
    var kind = select ? select.value : "";
    row.querySelectorAll(".param[data-kinds]").forEach(function (el) {
      var kinds = el.getAttribute("data-kinds").split(" ").filter(Boolean);
      var isMallCell = el.parentElement && el.parentElement.classList.contains("mall-write");
      el.hidden = kind ? kinds.indexOf(kind) < 0 : isMallCell && kinds.length === 0;
    });
  }

  function renumber(tbody) {
    var n = 0;
    tbody.querySelectorAll("tr.action-row").forEach(function (row) {
      var order = row.querySelector("input[data-action-order]");
      n += 1;
      if (order) {
        order.value = n;
      }
    });
    var add = document.querySelector("[data-add-row][data-max-rows]");
    if (add) {
      add.disabled = n >= parseInt(add.getAttribute("data-max-rows"), 10);
    }
  }

  function rows() {
    return document.querySelector("#actions tbody");
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var row = target.closest && target.closest("tr.action-row");
    if (!row) {
      return;
    }
    if (target.matches("select[data-action-kind]")) {
      showFor(row);
    } else if (target.matches("input[data-action-delete]")) {
      row.style.opacity = target.checked ? "0.45" : "";
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-move]");
    if (button) {
      var row = button.closest("tr.action-row");
      if (button.getAttribute("data-move") === "up" && row.previousElementSibling) {
        row.parentNode.insertBefore(row, row.previousElementSibling);
      } else if (button.getAttribute("data-move") === "down" && row.nextElementSibling) {
        row.parentNode.insertBefore(row.nextElementSibling, row);
      }
      renumber(row.parentNode);
      button.focus();
      return;
    }
    var add = event.target.closest && event.target.closest("[data-add-row][data-max-rows]");
    if (add) {
      // juchu.js (loaded first) has appended the row by now.
      var tbody = rows();
      var last = tbody && tbody.lastElementChild;
      if (last) {
        showFor(last);
        renumber(tbody);
      }
    }
  });

  function start() {
    var tbody = rows();
    if (!tbody) {
      return;
    }
    tbody.querySelectorAll("tr.action-row").forEach(showFor);
    renumber(tbody);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
