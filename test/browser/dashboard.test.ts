import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { generate } from "../../src/demo/generator";
import { dropDatabase, freshBucket, freshDatabase, tempDir, type TestS3 } from "../support/infra";
import { freePort, pipelineEnv, startProgram, waitFor, type RunningProcess } from "../support/pipeline";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const REVIEWER_SECRET = "reviewer-key-secret-4d2c9e71";
const API_KEYS = `analyst:review:${REVIEWER_SECRET}`;
const SCREENSHOT = path.join(__dirname, "..", "..", "test-artifacts", "dashboard.png");

let files: { transactions: string; importance: string };
let databaseUrl: string;
let s3: TestS3;
let base: string;
let run: RunningProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the dashboard test drives a real Chromium: install it (apt-get install chromium; npm test does when it runs as root) or set CHROMIUM_PATH; none at ${CHROMIUM}`,
    );
  }
  files = await generate({ rows: 16_000, seed: 31, outDir: tempDir(), dirty: 0, customers: 150, merchants: 6 });
  const port = await freePort();
  [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
  base = `http://127.0.0.1:${port}`;
  run = startProgram(
    "start",
    ["--source", files.transactions, "--importance", files.importance],
    // Chunks land every 1.5 s, each with HIGH-VALUE detections, while the page is open.
    pipelineEnv(databaseUrl, s3, { API_PORT: String(port), API_KEYS, CHUNK_ROWS: "1000", CHUNK_INTERVAL_MS: "1500", HIGH_VALUE_MIN_AMOUNT: "200" }),
  );
  await waitFor("the API", async () => (await fetch(`${base}/api/health`)).ok, 30_000);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  // What a browser does with the Basic challenge of `/`: the user types the key as the password.
  const context = await browser.newContext({ httpCredentials: { username: "analyst", password: REVIEWER_SECRET }, viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  if (run && run.child.exitCode === null) run.child.kill("SIGKILL");
  await run?.exited;
  if (databaseUrl) await dropDatabase(new URL(databaseUrl).pathname.slice(1));
});

const asReviewer = { Authorization: `Bearer ${REVIEWER_SECRET}` };

describe("the dashboard in a real headless Chromium, with API keys", () => {
  it("shows detections arriving live, opens a merchant, and confirms a detection", async () => {
    await page.goto(`${base}/`);
    await page.locator("#live", { hasText: "stream: live" }).waitFor({ timeout: 20_000 });
    await page.locator("#health", { hasText: "pipeline healthy" }).waitFor();

    // A detection stored after the page opened arrives over the stream, highlighted.
    const arrived = page.locator("#live-rows tr.fresh").first();
    await arrived.waitFor({ timeout: 30_000 });
    const id = await arrived.getAttribute("data-id");
    expect(Number(id)).toBeGreaterThan(0);

    const merchant = (await arrived.locator("button.merchant").textContent())!;
    await arrived.locator("button.merchant").click();
    await page.locator("#detail h2", { hasText: `Merchant ${merchant}` }).waitFor();
    expect(await page.locator("#detail dl").textContent()).toMatch(/transactions\d+/);

    await page.locator(`#live-rows tr[data-id="${id}"] td`).first().click();
    await page.locator("#detail h2", { hasText: `Detection ${id}` }).waitFor();
    await page.locator("#detail input[aria-label=assignee]").fill("analyst on duty");
    await page.locator('#detail button[data-status="confirmed"]').click();
    await page.locator("#detail .status.confirmed").waitFor();
    await page.locator("#detail li", { hasText: "status new → confirmed, assignee – → analyst on duty" }).waitFor();

    const stored = (await (await fetch(`${base}/api/detections/${id}`, { headers: asReviewer })).json()) as {
      review: { status: string; assignee: string; updatedBy: string };
      history: unknown[];
    };
    expect(stored.review).toMatchObject({ status: "confirmed", assignee: "analyst on duty" });
    expect(stored.history).toHaveLength(1);

    await page.locator("#queue-status").selectOption("confirmed");
    await page.locator(`#queue-rows tr[data-id="${id}"]`).waitFor();
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  it("shows a visible error when the API stops answering", async () => {
    run.child.kill("SIGTERM");
    await run.exited;
    await page.locator("#banner.shown", { hasText: "does not answer" }).waitFor({ timeout: 15_000 });
    await page.locator("#health", { hasText: "API unreachable" }).waitFor();
  });
});
