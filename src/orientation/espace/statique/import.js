// Progress of an import job: the status region is fetched again every 2 s until the job ends
// (progressive enhancement: without JavaScript the page has a link to reload it).
document.addEventListener("DOMContentLoaded", function () {
  var zone = document.querySelector("[data-actualiser]");
  if (!zone) { return; }
  var adresse = zone.dataset.actualiser;
  function suivre() {
    fetch(adresse, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var nouvelle = new DOMParser().parseFromString(html, "text/html").getElementById("suivi-import");
        if (!nouvelle) { return; }
        zone.innerHTML = nouvelle.innerHTML;
        if (nouvelle.hasAttribute("data-actualiser")) { setTimeout(suivre, 2000); }
      })
      .catch(function () { setTimeout(suivre, 5000); });
  }
  setTimeout(suivre, 2000);
});
