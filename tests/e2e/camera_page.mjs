// boltrtc camera's viewer page without boltrtc camera: playwright serves the page's files at a
// made-up origin as the camera's server would (src/signal/web_files.c: / is camera.html, then
// web/dist, then web/), so that another device side (aiortc in bench/camera, the
// remote_camera example) can be driven through page.routeWebSocket at PAGE_WS.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PAGE_ORIGIN = 'http://127.0.0.1:9';
export const PAGE_WS = 'ws://127.0.0.1:9/ws';
const MIME = { html: 'text/html', js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };

export async function serveCameraPage(page, web) {
  await page.route(`${PAGE_ORIGIN}/**`, (route) => {
    let name = new URL(route.request().url()).pathname.slice(1) || 'camera.html';
    if (name === 'favicon.ico') name = 'favicon.svg';
    const file = [join(web, 'dist', name), join(web, name)].find((f) => existsSync(f));
    if (!file) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ contentType: MIME[name.split('.').pop()] ?? 'application/octet-stream',
                           body: readFileSync(file) });
  });
}
