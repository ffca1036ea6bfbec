import AxeBuilder from "@axe-core/playwright";
import * as fs from "node:fs";
import { test, expect, shot, islandsAwake, jsOn, checkHtml } from "./fixtures";

test("home → notices → one notice → 404", async ({ page }, info) => {
  const home = await page.goto("/");
  expect(home?.status()).toBe(200);
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("banner")).toContainText("青山县人民政府");
  await expect(page.getByRole("heading", { level: 2, name: "通知公告" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "政策法规" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "工作动态" })).toBeVisible();
  await shot(page, info, "1-home");

  await page.getByRole("link", { name: "更多 通知公告" }).click();
  await expect(page).toHaveURL(/\/notices$/);
  await expect(page.getByRole("heading", { level: 1, name: "通知公告" })).toBeVisible();
  await expect(page.locator(".article-row")).toHaveCount(15);
  await expect(page.getByText("第 1 / 2 页")).toBeVisible();
  await shot(page, info, "2-notices");

  await page.getByRole("navigation", { name: "分类" }).getByRole("link", { name: "人事招考" }).click();
  await expect(page).toHaveURL(/category=recruitment/);
  await expect(page.locator(".article-row")).toHaveCount(3);

  const first = page.locator(".article-row a").first();
  const title = (await first.textContent())!.trim();
  await first.click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  await expect(page.getByText("发布机构")).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "附件" })).toBeVisible();
  await expect(page.locator(".attachments li").first()).toContainText(/\.pdf/);
  // An attachment downloads as the file it names.
  const file = page.locator(".attachments a").first();
  const [download] = await Promise.all([page.waitForEvent("download"), file.click()]);
  expect(download.suggestedFilename()).toBe((await file.textContent())!.trim());
  expect(fs.readFileSync(await download.path()).subarray(0, 5).toString()).toBe("%PDF-");
  // The print island wakes only where JavaScript and WebAssembly run; elsewhere it stays hidden.
  const print = page.getByRole("button", { name: "打印本页" });
  if (islandsAwake(info)) await expect(print).toBeVisible();
  else await expect(print).toBeHidden();
  await shot(page, info, "3-notice");

  const missing = await page.goto("/notices/999999");
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "页面不存在" })).toBeVisible();
  await shot(page, info, "4-not-found");
  await page.getByRole("main").getByRole("link", { name: "首页" }).click();
  await expect(page).toHaveURL(/\/$/);
  await shot(page, info, "5-home-again");
});

test("paging through notices", async ({ page }, info) => {
  await page.goto("/notices");
  await page.getByRole("link", { name: "下一页" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByText("第 2 / 2 页")).toBeVisible();
  await expect(page.locator(".article-row")).toHaveCount(8);
  await page.getByRole("link", { name: "上一页" }).click();
  await expect(page.getByText("第 1 / 2 页")).toBeVisible();
  await shot(page, info, "6-notices-page-1-again");
});

test("English switch is remembered and switches back", async ({ page }, info) => {
  await page.goto("/notices?page=2");
  await page.getByRole("button", { name: "切换语言" }).click();
  await expect(page).toHaveURL(/\/notices\?page=2$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { level: 1, name: "Notices" })).toBeVisible();
  await expect(page.getByText("Page 2 of 2")).toBeVisible();
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 2, name: "Policies" })).toBeVisible();
  await shot(page, info, "7-home-english");
  // Pages whose content is Chinese only say so, and mark it for screen readers and translators.
  await page.goto("/services");
  await expect(page.locator("main")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByText("This page is available in Chinese only.")).toBeVisible();
  await page.getByRole("button", { name: "Switch language" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.locator("main")).not.toHaveAttribute("lang", /.*/);
});

test("public pages are valid HTML and carry a description for search and sharing", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop-js", "the server's HTML is the same for every project");
  test.setTimeout(120_000); // the checker starts a Java process per page
  for (const [name, path] of [
    ["home", "/"],
    ["notices", "/notices"],
    ["notice", "/notices/3"],
    ["services", "/services"],
    ["guide", "/services/QS-RS-0005"],
    ["blank-form", "/services/QS-RS-0005/blank-form"],
    ["lookup", "/cases/lookup"],
  ]) {
    await checkHtml(page, info, name, path);
    await page.goto(path);
    const description = await page.locator('meta[name="description"]').getAttribute("content");
    expect(description, `${path} description`).toBeTruthy();
    await expect(page.locator('meta[property="og:title"]')).toHaveCount(1);
  }
  await page.goto("/services/QS-RS-0005");
  expect(await page.locator('meta[name="description"]').getAttribute("content")).toContain("失业保险金申领");
  // Search engines may crawl the public pages, never sign-in, personal pages or the console.
  const robots = await page.request.get("/robots.txt");
  expect(robots.status()).toBe(200);
  expect(robots.headers()["content-type"]).toContain("text/plain");
  const rules = await robots.text();
  for (const path of ["/admin", "/login", "/my", "/sfn/", "/api/"]) expect(rules).toContain(`Disallow: ${path}`);
});

test("长者模式 makes the text larger and can be left", async ({ page }, info) => {
  await page.goto("/");
  const size = () => page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  const before = await size();
  await page.getByRole("button", { name: "长者模式" }).click();
  await expect(page.locator("html")).toHaveClass(/care/);
  // The class is there as soon as the new document is; its stylesheet may apply a moment later.
  await expect.poll(size).toBeGreaterThanOrEqual(before * 1.2);
  await shot(page, info, "8-home-care-mode");
  await page.getByRole("button", { name: "退出长者模式" }).click();
  await expect(page.locator("html")).not.toHaveClass(/care/);
});

test("keyboard: the skip link leads to the main content", async ({ page }) => {
  await page.goto("/notices");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "跳到主要内容" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/#main$/);
});

test("pages meet WCAG 2.1 AA (axe)", async ({ page }, info) => {
  test.skip(!jsOn(info), "axe runs as a script in the page");
  for (const path of ["/", "/notices", "/notices?category=publicity", "/policies", "/notices/999999"]) {
    await page.goto(path);
    const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    const found = result.violations.map((v) => `${path}: ${v.id} (${v.nodes.length}) ${v.help}`);
    expect(found).toEqual([]);
  }
  await page.goto("/");
  await page.getByRole("link", { name: "更多 通知公告" }).click();
  await page.locator(".article-row a").first().click();
  const detail = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(detail.violations.map((v) => v.id)).toEqual([]);
});

test("no horizontal scrolling at this width, nor at 320 px", async ({ page }, info) => {
  const widths = [page.viewportSize()!.width];
  if (widths[0] < 500) widths.push(320); // the smallest phones still in use
  for (const width of widths) {
    await page.setViewportSize({ width, height: 740 });
    for (const path of ["/", "/notices", "/policies", "/notices/3"]) {
      await page.goto(path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${path} at ${width} px`).toBeLessThanOrEqual(0);
    }
  }
  await page.goto("/notices");
  await shot(page, info, `9-notices-${widths[widths.length - 1]}px`);
});

test("find a service from the home page's search and read its guide", async ({ page }, info) => {
  await page.goto("/");
  // The service hub comes first: the search box, the entries, popular services.
  await expect(page.getByRole("heading", { level: 2, name: "热门服务" })).toBeVisible();
  await expect(page.getByRole("link", { name: /个人办事/ })).toBeVisible();
  await expect(page.getByRole("link", { name: /法人办事/ })).toBeVisible();
  await shot(page, info, "hub-1-home");
  await page.getByRole("searchbox", { name: "搜索办事事项" }).fill("低保");
  await page.getByRole("button", { name: "搜索", exact: true }).click();
  await expect(page).toHaveURL(/\/services\?q=/);
  await expect(page.getByRole("status")).toContainText("找到");
  await page.getByRole("link", { name: "最低生活保障申请" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "最低生活保障申请" })).toBeVisible();
  // The process diagram is an image with a text alternative, readable without JavaScript.
  await expect(page.getByRole("img", { name: /办理流程图：申请 → 受理/ })).toBeVisible();
  await expect(page.getByText("到现场次数")).toBeVisible();
  await shot(page, info, "hub-2-guide");
  // Nothing scrolls sideways, not even at 320 px.
  await page.setViewportSize({ width: 320, height: 700 });
  for (const path of ["/", "/services", "/services/QS-MZ-0001", "/services/QS-MZ-0001/blank-form?sample=1"]) {
    await page.goto(path);
    const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(scroll, `${path} at 320 px`).toBeLessThanOrEqual(client);
  }
});
