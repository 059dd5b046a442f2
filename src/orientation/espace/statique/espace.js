// « tout sélectionner » of the bulk validation form (progressive enhancement: the form works without it)
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-cocher]").forEach(function (maitre) {
    maitre.addEventListener("change", function () {
      document.querySelectorAll('input[name="' + maitre.dataset.cocher + '"]').forEach(function (c) {
        c.checked = maitre.checked;
      });
    });
  });
});
