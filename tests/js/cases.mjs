// Where the terminal's modules and the worked cases shared with the Python tests live.
import { readFileSync } from "node:fs";

const root = new URL("../../", import.meta.url);
export const js = (name) => new URL(`src/opentill/terminal/static/terminal/js/${name}`, root).href;
export const cases = (name) => JSON.parse(readFileSync(new URL(`tests/cases/${name}`, root), "utf8"));
