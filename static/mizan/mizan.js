// Small progressive enhancements for every page; each page works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // After a refused form, move the focus to the error summary so that screen readers
  // read it first and keyboard users start from the list of links to the fields.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
}());
