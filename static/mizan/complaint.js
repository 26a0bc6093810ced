// Progressive enhancement of the complaint form: load the communes of the chosen
// province without a page reload. Without JavaScript the "show the communes"
// button does the same through the server.
(function () {
  "use strict";
  var province = document.getElementById("id_province");
  var commune = document.getElementById("id_commune");
  if (!province || !commune || !window.fetch) { return; }
  var base = window.location.pathname.replace(/complaint\/?.*$/, "communes/");
  province.addEventListener("change", function () {
    var code = province.value;
    commune.innerHTML = "";
    var empty = document.createElement("option");
    empty.value = ""; empty.textContent = "—";
    commune.appendChild(empty);
    if (!code) { return; }
    fetch(base + encodeURIComponent(code) + "/", { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        data.communes.forEach(function (item) {
          var option = document.createElement("option");
          option.value = item.code; option.textContent = item.name;
          commune.appendChild(option);
        });
      });
  });
}());
