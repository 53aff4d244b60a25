import path from "node:path";
import express, { type Router } from "express";
import { DOCS_PATH, OPENAPI_PATH } from "./admin-openapi";
import type { JsonSchema } from "./admin-views";

/** Swagger UI as the npm package ships it, read from this process's node_modules: nothing comes from elsewhere. */
const SWAGGER_UI = path.dirname(require.resolve("swagger-ui-dist/package.json"));
/** The package's files the page uses (not its index.html or initializer, which point at a public demo). */
const ASSETS = ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"] as const;
export const DOCS_ASSETS = `${DOCS_PATH}/assets`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Top-up platform — admin API</title>
  <link rel="stylesheet" href="${DOCS_ASSETS}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_ASSETS}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${DOCS_ASSETS}/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_ASSETS}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/viewer.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to a public validator for a badge.
const VIEWER = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_PATH)},
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  displayRequestDuration: true,
});
`;

/** Scripts and styles of this origin only; Swagger UI sets inline styles and data: images. */
const PAGE_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The OpenAPI document and its viewer, without the bearer token: a browser cannot attach one to
 * opening a page, and the viewer must read the document before its Authorize box can take the token.
 * Neither holds anything but what the source tree does; every call they describe still needs the token.
 */
export function adminDocs(document: JsonSchema): Router {
  const router = express.Router();
  router.get(OPENAPI_PATH, (_req, res) => {
    res.json(document);
  });
  router.get(DOCS_PATH, (_req, res) => {
    res.set("Content-Security-Policy", PAGE_POLICY).type("html").send(PAGE);
  });
  router.get(`${DOCS_PATH}/viewer.js`, (_req, res) => {
    res.type("js").send(VIEWER);
  });
  router.get(`${DOCS_ASSETS}/:file`, (req, res, next) => {
    const file = ASSETS.find((name) => name === req.params.file);
    if (!file) return next();
    res.sendFile(path.join(SWAGGER_UI, file));
  });
  return router;
}
