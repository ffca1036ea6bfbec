// Loads Zhengwu's WebAssembly islands, only where they can run. Pages are complete without it:
// old WeChat WebViews, iOS Lockdown Mode and browsers with JavaScript off keep the plain HTML.
// A module script is ignored by browsers without ES modules; WebAssembly is feature-detected
// so a browser without it logs nothing and changes nothing.
(function () {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") return;
  var me = document.currentScript || document.querySelector("script[data-pkg]");
  var base = (me && me.dataset.pkg) || "/pkg/zhengwu";

  function hydrateIslands(root, mod) {
    root.querySelectorAll("leptos-island").forEach(function (el) {
      // Nested islands are woken by their outer island's children callback.
      if (el.parentElement && el.parentElement.closest("leptos-island")) return;
      var fn = mod[el.dataset.component];
      if (typeof fn === "function") fn(el);
    });
  }

  function start() {
    if (!document.querySelector("leptos-island")) return; // nothing to wake: load nothing
    import(base + ".js")
      .then(function (mod) {
        return mod.default({ module_or_path: base + "_bg.wasm" }).then(function () {
          mod.hydrate();
          hydrateIslands(document.body, mod);
        });
      })
      .catch(function (e) {
        // Enhancement failed (e.g. WebAssembly blocked by policy): the page still works.
        console.warn("islands not loaded:", e && e.message);
      });
  }
  if ("requestIdleCallback" in window) window.requestIdleCallback(start, { timeout: 2000 });
  else window.setTimeout(start, 0);
})();
