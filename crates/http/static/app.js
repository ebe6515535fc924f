// Progressive enhancement only: every page works without this file.
// Asks before destructive form submissions marked with data-confirm.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// "Go back" links on error pages use history when there is one.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("[data-back]");
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
