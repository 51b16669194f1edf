// Renders resources/icon.svg to resources/icon.png (1024×1024, committed), the icon electron-builder
// turns into each platform's format (.icns, .ico, the Linux sizes). Rerun after changing the SVG.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const svg = readFileSync(new URL('../resources/icon.svg', import.meta.url));
const out = new URL('../resources/icon.png', import.meta.url).pathname;
await sharp(svg, { density: 288 }).resize(1024, 1024).png({ compressionLevel: 9 }).toFile(out);
console.log(`wrote ${out}`);
