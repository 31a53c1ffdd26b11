// Client-side routes are served by CloudFront's SPA fallback (index.html).
document.getElementById("app").dataset.ready = "true";
