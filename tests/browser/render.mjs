// Renders one HTML file in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) and reports what a reader would meet, as one JSON object on stdout:
// console errors, page errors, every request other than the file itself (there must be
// none: the report is self-contained), how much of the page is painted (a blank page is a
// failure), script elements, print layout facts, and the sizes of the PNG and PDF written.
//
// Used by tests/evidence_browser.rs. Usage:
//   node render.mjs --html FILE --png FILE --pdf FILE [--shot FILE] [--expect-text TEXT]...
// --png is the full page; --shot, when given, is the first 1280x1800 pixels (the
// screenshot kept in docs/).

import { chromium } from 'playwright-core';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) {
      throw new Error(`bad arguments near ${key}`);
    }
    const name = key.slice(2);
    if (name === 'expect-text') {
      (out[name] ||= []).push(value);
    } else {
      out[name] = value;
    }
  }
  for (const required of ['html', 'png', 'pdf']) {
    if (!out[required]) throw new Error(`--${required} is required`);
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const executablePath = process.env.NOBASTION_CHROMIUM || '/usr/bin/chromium';
const url = pathToFileURL(resolve(args.html)).href;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // The CI machine runs as root, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
});
const result = {
  url,
  consoleErrors: [],
  pageErrors: [],
  requests: [],
};
try {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 1800 },
    deviceScaleFactor: 1,
  });
  // Anything but the report itself is recorded and refused, so a stray reference can
  // neither reach the network nor go unnoticed.
  await context.route('**/*', (route) => {
    const requested = route.request().url();
    if (requested === url) return route.continue();
    if (!result.requests.includes(requested)) result.requests.push(requested);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') result.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => result.pageErrors.push(String(err)));
  page.on('request', (request) => {
    const requested = request.url();
    if (requested !== url && !result.requests.includes(requested)) {
      result.requests.push(requested);
    }
  });

  await page.goto(url, { waitUntil: 'load' });
  const facts = await page.evaluate((expect) => ({
    title: document.title,
    textLength: document.body ? document.body.innerText.trim().length : 0,
    scriptElements: document.querySelectorAll('script').length,
    sections: [...document.querySelectorAll('section')].map((s) => s.id),
    expectTextMissing: expect.filter((text) => !document.body.innerText.includes(text)),
  }), args['expect-text'] || []);
  Object.assign(result, facts);

  if (args.shot) {
    await page.screenshot({ path: args.shot, fullPage: false });
  }
  await page.screenshot({ path: args.png, fullPage: true });
  result.pngBytes = statSync(args.png).size;

  // How much of the visible page is painted: a blank render is all one colour.
  const shot = await page.screenshot({ fullPage: false });
  const probe = await context.newPage();
  const paint = await probe.evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    const colours = new Set();
    for (let i = 0; i < pixels.length; i += 4 * 7) {
      const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
      if (r < 245 || g < 245 || b < 245) painted += 1;
      colours.add((r << 16) | (g << 8) | b);
    }
    return {
      width: canvas.width,
      height: canvas.height,
      paintedRatio: painted / (pixels.length / (4 * 7)),
      colours: colours.size,
    };
  }, shot.toString('base64'));
  await probe.close();
  result.paint = paint;

  // Print layout: sections start on a new page, and nothing is wider than an A4 page.
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 794, height: 1123 });
  Object.assign(result, await page.evaluate(() => {
    const second = document.querySelectorAll('section')[1];
    const width = document.documentElement.clientWidth;
    const overflow = [...document.querySelectorAll('table, pre, svg, .finding')]
      .filter((el) => el.getBoundingClientRect().right > width + 1)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`);
    return {
      printBreakBefore: second ? getComputedStyle(second).breakBefore : null,
      printRowBreakInside: getComputedStyle(document.querySelector('tr') || document.body).breakInside,
      printOverflow: overflow.slice(0, 20),
    };
  }));
  await page.pdf({ path: args.pdf, format: 'A4', printBackground: true });
  const pdf = readFileSync(args.pdf);
  result.pdfBytes = pdf.length;
  result.pdfHeader = pdf.subarray(0, 5).toString('latin1');
  result.pdfPages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  await context.close();
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
