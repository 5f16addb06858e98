// The catalog filter: narrows the cards as you type.

export function init() {
  const input = document.querySelector("[data-catalog-filter]");
  const cards = [...document.querySelectorAll("[data-catalog-list] > li")];
  const none = document.querySelector("[data-catalog-nomatch]");
  input?.addEventListener("input", () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const card of cards) {
      const match = words.every((w) => card.dataset.search.includes(w));
      card.hidden = !match;
      shown += match ? 1 : 0;
    }
    none.hidden = shown > 0;
  });
}
