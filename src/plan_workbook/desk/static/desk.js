// Niceties only: the page works without this script. Drop files or folders on the form to add them at once,
// and copy a chase message with one button.
"use strict";
(function () {
  const form = document.getElementById("drop");
  if (form && window.DataTransfer) {
    const input = document.getElementById("returns");
    form.querySelector(".drop-hint").hidden = false;
    const files = async (entry) => {
      if (entry.isFile) { return [await new Promise((ok, no) => entry.file(ok, no))]; }
      if (!entry.isDirectory) { return []; }
      const reader = entry.createReader(), found = [];
      for (;;) {
        const batch = await new Promise((ok, no) => reader.readEntries(ok, no));
        if (!batch.length) { break; }
        for (const e of batch) { found.push(...await files(e)); }
      }
      return found;
    };
    form.addEventListener("dragover", (e) => { e.preventDefault(); form.classList.add("over"); });
    form.addEventListener("dragleave", () => form.classList.remove("over"));
    form.addEventListener("drop", async (e) => {
      e.preventDefault();
      form.classList.remove("over");
      const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
      const all = entries.length ? (await Promise.all(entries.map(files))).flat() : [...e.dataTransfer.files];
      const list = new DataTransfer();
      all.forEach((f) => list.items.add(f));
      input.files = list.files;
      form.submit();
    });
  }
  document.querySelectorAll("button.copy").forEach((button) => {
    button.hidden = !navigator.clipboard;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(document.getElementById(button.dataset.copy).value)
        .then(() => { button.textContent = "Copied"; });
    });
  });
})();
