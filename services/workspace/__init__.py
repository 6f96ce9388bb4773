"""The web workspace: where agents and supervisors work the SOP in a browser.

A front end over the five services' APIs; it keeps no data of its own (no store). Pages
are rendered on the server with Jinja2; the vendored, pinned htmx (``static/``, with its
licence) and ``static/workspace.js`` add live updates and keyboard shortcuts. Chinese
first (zh-CN), English by the language switch.

Modules, for the screens built on them (supervisor console, admin):

- ``app``: ``create_app(settings, routers=None)``; ``ROUTERS`` lists the route modules'
  routers the app includes (add yours there).
- ``settings``: ``WorkspaceSettings`` (the five services' URLs, display time zone,
  cookie settings, ``workspace_secret`` signing CSRF tokens).
- ``clients``: ``ServiceClients`` on ``request.app.state.clients``: ``get(service, path,
  token, **params)``, ``post(service, path, token, body)``, ``call(...)``; a refusal
  raises ``ServiceProblem(status, code, message, service, details, fields)`` where
  ``fields`` maps a body field to its validation message.
- ``session``: ``signed_in`` (FastAPI dependency) gives the ``SignedInPerson`` (``id``,
  ``login``, ``display_name``, ``roles``, ``role``, ``teams``, ``supervises``, ``token``,
  ``has_role(...)``), or sends the browser to sign in; ``sessions_of(request).form(request)``
  reads a posted form after checking its CSRF token (``csrf_token`` field or the
  ``X-CSRF-Token`` header htmx sends from ``<body hx-headers>``).
- ``pages``: ``render(request, template, person, status_code=200, **context)``; every
  template gets ``t`` (i18n), ``lang``, ``csrf_token``, ``local_time(value)``,
  ``time_left(value)``, ``nav``; ``add_nav(NavEntry(label_key, path, roles, shortcut))``
  adds a navigation entry shown to those roles.
- ``i18n``: ``CATALOGUE`` and ``add_words({key: {"zh-CN": ..., "en": ...}})``.
- ``live``: ``LiveHub`` on ``request.app.state.live`` (the broker reader and the open
  streams); ``hub.showing(person, ticket_ids)`` marks tickets a page shows, so their
  changes reach the browser as ``sd:ticket`` / ``sd:work`` events (``hx-trigger="sd:work
  from:body"``).
- ``routes.auth`` (sign-in, sign-out, language), ``routes.live`` (``GET /live``, the
  event stream), ``routes.agent`` (my work, the ticket page and its actions, search).
- ``templates/base.html``: the layout; blocks ``title``, ``content``, ``nav_extra``,
  ``shortcuts_extra``, ``ticket_id`` (the ticket a page shows, for live updates); forms
  carry ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`` and show
  errors next to the field (``<p class="field-error">``).
"""
