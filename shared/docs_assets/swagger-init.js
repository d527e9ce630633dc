// Starts Swagger UI on /docs. A file of its own, not an inline script, so the page works under a
// Content-Security-Policy of script-src 'self'. The document's URL comes from the script tag's data attribute.
(function () {
  "use strict";
  var openapiUrl = document.currentScript.getAttribute("data-openapi-url");
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: openapiUrl,
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      showExtensions: true,
      showCommonExtensions: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    });
  });
})();
