// 正文 editor: paragraph level buttons over a contenteditable; the server sanitises what is sent.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-gw-editor]");
  if (!form) return;
  const content = form.querySelector("[data-gw-content]");
  const source = form.querySelector("[data-gw-source]");
  source.hidden = true;
  form.querySelectorAll("[data-block]").forEach((button) => {
    button.addEventListener("click", () => {
      content.focus();
      document.execCommand("formatBlock", false, button.dataset.block);
    });
  });
  form.querySelectorAll("[data-inline]").forEach((button) => {
    button.addEventListener("click", () => {
      content.focus();
      document.execCommand(button.dataset.inline);
    });
  });
  form.addEventListener("submit", () => {
    source.value = content.innerHTML;
  });
});
