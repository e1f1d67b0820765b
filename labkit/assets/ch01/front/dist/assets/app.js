// A tiny client-side router: the browser, not the server, decides what a path shows.
const routes = [
  [/^\/$/, () => "Welcome to the Front App."],
  [/^\/orders\/(\d+)$/, (m) => `Order ${m[1]}: shipped.`],
];

function render() {
  const path = window.location.pathname;
  for (const [pattern, view] of routes) {
    const match = path.match(pattern);
    if (match) {
      document.getElementById("view").textContent = view(match);
      return;
    }
  }
  document.getElementById("view").textContent = `No page at ${path}.`;
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a");
  if (link && link.origin === window.location.origin) {
    event.preventDefault();
    window.history.pushState({}, "", link.pathname);
    render();
  }
});
window.addEventListener("popstate", render);
render();
