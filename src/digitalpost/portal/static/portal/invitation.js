// The invitation link carries its code in the fragment (#…), which browsers never send to a server: move it
// into the form and post it, and take it out of the address bar and history.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("invitation-code");
  var code = decodeURIComponent(window.location.hash.slice(1));
  if (!form || !code) {
    return;
  }
  window.history.replaceState(null, "", window.location.pathname);
  form.elements.code.value = code;
  form.submit();
});
