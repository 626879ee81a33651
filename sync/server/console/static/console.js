// The console works without this file; with it, the language menu applies at once, a
// form sent back shows its first problem, and a destructive button asks first.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
    for (const b of select.form.querySelectorAll(".js-hide")) b.hidden = true;
  }
  // a form sent back with problems: the first one in view, its field ready to fix
  const wrong = document.querySelector('[aria-invalid="true"]');
  if (wrong) {
    wrong.scrollIntoView({block: "center"});
    wrong.focus({preventScroll: true});
  }
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
});
