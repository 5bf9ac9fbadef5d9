// A static file server for www/ (the playground) on 127.0.0.1. Serves .wasm as application/wasm
// (needed for streaming compilation) and .mjs/.js as JavaScript; redirects a folder without its
// trailing slash (/course/gpt -> /course/gpt/), as static hosts do, so relative URLs resolve.
// Used by `make serve` and the page tests.
// Usage: node scripts/serve.mjs [port] [root] [--base /course/gpt/] [--csp]
//   --base  serves root under that sub-path instead of /
//   --csp   sends the strict Content-Security-Policy the playground is built to run under
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
};

/** The strictest policy the playground runs under with no violation (EMBEDDING.md). */
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; worker-src 'self'; img-src 'self' data:";

/** The request handler that serves `root` (what `serve` listens with; the page tests put their
 *  own pages in front of it). `base`: the sub-path to serve it under; `csp`: a
 *  Content-Security-Policy header for every response (null: none). */
export function staticHandler(root, { base = '/', csp = null } = {}) {
  const dir = resolve(root);
  const prefix = `/${base.replace(/^\/+|\/+$/g, '')}/`.replace('//', '/');
  return async (req, res) => {
    const headers = csp ? { 'Content-Security-Policy': csp } : {};
    try {
      const url = new URL(req.url, 'http://localhost');
      let pathname = decodeURIComponent(url.pathname);
      if (`${pathname}/` === prefix) pathname = prefix; // the sub-path itself, no slash: redirected below
      else if (!pathname.startsWith(prefix)) throw new Error('outside the served path');
      let path = normalize(join(dir, pathname.slice(prefix.length)));
      if (path !== dir && !path.startsWith(dir + sep)) {
        res.writeHead(403, headers).end('forbidden');
        return;
      }
      if ((await stat(path).catch(() => null))?.isDirectory()) {
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { ...headers, Location: `${url.pathname}/${url.search}` }).end();
          return;
        }
        path = join(path, 'index.html');
      }
      const body = await readFile(path);
      res.writeHead(200, {
        ...headers,
        'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
        'Cache-Control': 'no-cache',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
    }
  };
}

/** Listens on `host`:`port` (0: any free port) with `handler`; resolves to the server. */
export function listen(handler, port = 8000, host = '127.0.0.1') {
  const server = createServer(handler);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

/** Start serving `root` on 127.0.0.1:`port`; resolves to the server once it listens (options as
 *  for `staticHandler`). */
export function serve(root, port = 8000, { host = '127.0.0.1', ...options } = {}) {
  return listen(staticHandler(root, options), port, host);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(name);
    return i < 0 ? null : args.splice(i, name === '--csp' ? 1 : 2).at(1) ?? true;
  };
  const csp = flag('--csp') ? STRICT_CSP : null;
  const base = flag('--base') ?? '/';
  const port = Number(args[0] ?? process.env.PORT ?? 8000);
  const root = args[1] ?? join(fileURLToPath(new URL('..', import.meta.url)), 'www');
  serve(root, port, { base, csp }).then(
    () => console.log(`GPT playground: http://127.0.0.1:${port}${base === '/' ? '/' : `/${base.replace(/^\/+|\/+$/g, '')}/`}  (serving ${root}${csp ? ', strict CSP' : ''}; Ctrl-C to stop)`),
    (err) => {
      console.error(`cannot serve on 127.0.0.1:${port}: ${err.message}`);
      process.exit(1);
    },
  );
}
