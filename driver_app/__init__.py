"""noriai: driver_app — the drivers' mobile web app, served by the API process at ``/driver/``.

static/ holds the app (plain ES modules, no build step, no outside URLs): index.html, app.js
(screens and actions), api.js (bearer token, JSON, the live stream read with fetch), outbox.js
(actions queued on the phone, each with a client_id, sent once), map.js (the route drawn on a
canvas from ``/api/v1/driver/route`` over ``/api/v1/map/roads``), tickets.js (synced ticket data,
offline checks with ticket-verify.js, camera scanning with BarcodeDetector), i18n.js (Japanese
first, English), sw.js + manifest.webmanifest + icons/ (installable PWA, shell cached offline).
area.js keeps each service area apart (API prefix, keys kept on the phone).
geometry.py builds the map data; web.py mounts the files; make_icons.py draws the icons.
"""
