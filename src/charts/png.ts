/**
 * SVG → PNG for Telegram (/stats sends the desk's chart as a photo). @resvg/resvg-wasm: a WebAssembly
 * build of resvg, so no native compilation or prebuilt binary per platform (unlike @resvg/resvg-js or
 * canvas/sharp), ~2.5 MB, and it draws our SVG exactly as browsers do. WebAssembly sees no system fonts,
 * so a CJK font file is loaded from the usual Debian places (fonts-wqy-microhei, Noto CJK); without one
 * there is no PNG (the caller then sends text only) rather than a chart of empty boxes.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Resvg, initWasm } from "@resvg/resvg-wasm";

export const CJK_FONTS = [
  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
  "/usr/share/fonts/truetype/arphic/uming.ttc",
];

let ready: Promise<Uint8Array[] | undefined> | undefined;

function init(): Promise<Uint8Array[] | undefined> {
  ready ??= (async () => {
    const font = CJK_FONTS.find((p) => existsSync(p));
    if (!font) return undefined;
    const wasm = readFileSync(createRequire(import.meta.url).resolve("@resvg/resvg-wasm/index_bg.wasm"));
    await initWasm(wasm);
    return [new Uint8Array(readFileSync(font))];
  })();
  return ready;
}

/** The chart as PNG bytes, or undefined when no CJK font is installed. */
export async function svgToPng(svg: string, width = 1080): Promise<Uint8Array | undefined> {
  const fonts = await init();
  if (!fonts) return undefined;
  const r = new Resvg(svg, { fitTo: { mode: "width", value: width }, font: { fontBuffers: fonts, defaultFontFamily: "WenQuanYi Micro Hei", loadSystemFonts: false }, background: "#ffffff" });
  const image = r.render();
  const png = image.asPng();
  image.free();
  r.free();
  return png;
}
