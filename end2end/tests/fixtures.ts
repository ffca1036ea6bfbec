// Shared test setup: every page fails its test on any console error or uncaught exception,
// the "no WebAssembly" project removes WebAssembly before any script runs, and screenshots
// are kept per project under end2end/artifacts/.
import { test as base, expect, type Page, type TestInfo } from "@playwright/test";
import * as path from "node:path";

export const noWasm = (info: TestInfo) => Boolean(info.project.metadata?.noWasm);
export const jsOn = (info: TestInfo) => info.project.use.javaScriptEnabled !== false;
/** Islands wake only where JavaScript and WebAssembly both run. */
/** Projects with a phone's viewport (the bottom tab bar replaces the main navigation). */
export const onPhone = (info: TestInfo) => (info.project.use.viewport?.width ?? 1280) < 720;
export const islandsAwake = (info: TestInfo) => jsOn(info) && !noWasm(info);

export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use, info) => {
    if (noWasm(info)) {
      await page.addInitScript(() => {
        // As in iOS Lockdown Mode and old WebViews: the global simply is not there.
        delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
      });
    }
    const problems: { text: string; url: string }[] = [];
    // Pages that answer with an error status on purpose (the 404 page, a form shown again with
    // its messages as 422, a 403 page). Chromium logs "Failed to load resource" for the document
    // itself; that line is expected, any other error (a script, a style, CSP) is not.
    const notFoundDocuments = new Set<string>();
    page.on("response", (res) => {
      if (res.status() >= 400 && res.request().isNavigationRequest()) notFoundDocuments.add(res.url());
    });
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push({ text: `console error: ${msg.text()}`, url: msg.location().url });
    });
    page.on("pageerror", (err) => problems.push({ text: `uncaught: ${err.message}`, url: "" }));
    await use(page);
    const unexpected = problems
      .filter((p) => !(p.text.includes("Failed to load resource") && notFoundDocuments.has(p.url)))
      .map((p) => `${p.text} (${p.url})`);
    expect(unexpected, "no console errors or uncaught exceptions").toEqual([]);
  },
});

export { expect };

export async function shot(page: Page, info: TestInfo, name: string) {
  const file = path.join(__dirname, "..", "artifacts", info.project.name, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(name, { path: file, contentType: "image/png" });
}

/**
 * The page at `path` as the server sends it (the context's cookies, no script run), checked by
 * the Nu HTML checker (npm vnu-jar on the machine's Java). Leptos's `<!>` hydration markers are
 * reported as "Bogus comment" and are the one exception; anything else fails the test.
 */
export async function checkHtml(page: Page, info: TestInfo, name: string, path: string) {
  const { execFileSync } = await import("node:child_process");
  const fs = await import("node:fs");
  const res = await page.request.get(path);
  expect(res.status(), `${path} answers`).toBeLessThan(400);
  const dir = require("node:path").join(__dirname, "..", "artifacts", info.project.name, "html");
  fs.mkdirSync(dir, { recursive: true });
  const file = require("node:path").join(dir, `${name}.html`);
  fs.writeFileSync(file, await res.body());
  const jar: string = require("vnu-jar");
  let out = "";
  try {
    execFileSync("java", ["-jar", jar, "--errors-only", "--format", "json", file], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    out = String((e as { stderr?: Buffer }).stderr ?? "");
  }
  const messages: { type: string; message: string; extract?: string }[] = out ? JSON.parse(out).messages : [];
  const errors = messages.filter((m) => m.type === "error" && m.message !== "Bogus comment.");
  expect(errors.map((m) => `${m.message} ${m.extract ?? ""}`), `Nu checker on ${path}`).toEqual([]);
}
