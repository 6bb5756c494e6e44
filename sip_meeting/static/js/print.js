// Buttons marked data-print open the browser's print dialog (kept out of inline handlers so the
// content security policy can forbid inline script).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
